"""Model packs as a technician uses them: pack a folder, install, re-install, refuse damage."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk_app.cli import main
from kiosk_app.core.errors import BundleUnsignedError, ModelChecksumError
from kiosk_app.core.models import require, verify
from kiosk_app.core.settings import Settings, StaffSettings
from kiosk_app.ops.modelpack import PackEntry, PackError, install_pack, make_pack
from knowledge.bundle.signing import generate_keypair, trust_key


def _pack(tmp_path: Path) -> Path:
    """A pack signed with the office key, whose public half the kiosk under ``tmp_path/data`` trusts."""
    pack = tmp_path / "stick"
    (pack / "piper-vi").mkdir(parents=True)
    (pack / "piper-vi" / "vi.onnx").write_bytes(b"\x01" * 5000)
    (pack / "piper-vi" / "vi.onnx.json").write_text('{"audio": {"sample_rate": 22050}}')
    keys = tmp_path / "office-keys"
    if not keys.exists():
        _priv, pub = generate_keypair(keys)
        trust_key(Settings(data_dir=tmp_path / "data"), pub)
    make_pack(pack, [PackEntry("piper-vi", "tts", "vi", "CC-BY-4.0", "test")],
              sign_key=keys / "bundle-signing.key")
    return pack


def test_install_then_require_and_idempotent(tmp_path: Path, settings: Settings) -> None:
    pack = _pack(tmp_path)
    first = install_pack(pack, settings)
    assert [r.changed for r in first] == [True]
    assert (require(settings, "piper-vi") / "vi.onnx").read_bytes() == b"\x01" * 5000
    assert verify(settings, "piper-vi") == settings.models_path / "piper-vi"
    again = install_pack(pack, settings)
    assert [r.changed for r in again] == [False]


def test_damaged_pack_changes_nothing(tmp_path: Path, settings: Settings) -> None:
    pack = _pack(tmp_path)
    install_pack(pack, settings)
    before = (settings.models_path / "piper-vi" / "vi.onnx").read_bytes()
    (pack / "piper-vi" / "vi.onnx").write_bytes(b"\x02" * 5000)  # same size, other bytes
    with pytest.raises(ModelChecksumError, match="pack is damaged"):
        install_pack(pack, settings)
    assert (settings.models_path / "piper-vi" / "vi.onnx").read_bytes() == before
    assert not list(settings.models_path.glob(".incoming-*"))


UNSAFE = ('[[model]]\nname = "x"\nkind = "tts"\nlanguage = "vi"\nlicence = "l"\n'
          f'[[model.files]]\npath = "../etc/passwd"\nsha256 = "{"0" * 64}"\nsize = 1\n')


@pytest.mark.parametrize("bad", ['[[model]]\nname = "x"\n', "not toml [", UNSAFE])
def test_malformed_pack_is_refused_with_reason(tmp_path: Path, settings: Settings, bad: str) -> None:
    (tmp_path / "pack.toml").write_text(bad)
    relaxed = settings.model_copy(update={"staff": StaffSettings(require_signature=False)})
    with pytest.raises(PackError, match=r"pack\.toml"):  # parsed only when signatures are optional
        install_pack(tmp_path, relaxed)
    with pytest.raises(BundleUnsignedError, match="not signed"):  # else refused before it is parsed
        install_pack(tmp_path, settings)


def test_cli_install_list_verify(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pack = _pack(tmp_path)
    env = ["--config", str(_config(tmp_path))]
    assert main([*env, "models", "install", str(pack)]) == 0
    assert "piper-vi: installed" in capsys.readouterr().out
    assert main([*env, "models", "verify", "piper-vi"]) == 0
    (tmp_path / "data" / "models" / "piper-vi" / "vi.onnx").write_bytes(b"\x03" * 5000)
    assert main([*env, "models", "verify", "piper-vi", "--json"]) == 1
    assert '"ok": false' in capsys.readouterr().out


def _config(tmp_path: Path) -> Path:
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(f'data_dir = "{tmp_path / "data"}"\n')
    return cfg
