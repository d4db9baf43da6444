"""Issue 17: model packs are signed like bundles (same keys, same policy) and verified before their
pack.toml is parsed; a swapped model with its hash fixed up in pack.toml is refused."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from kiosk_app.cli import main
from kiosk_app.core.errors import BundleError, ErrorCode
from kiosk_app.core.settings import Settings
from kiosk_app.ops.modelpack import PACK_SIG, PackEntry, install_pack, make_pack
from knowledge.bundle.signing import generate_keypair, trust_key


@pytest.fixture
def office(tmp_path: Path, settings: Settings) -> Path:
    """The office private key; its public half is trusted by ``settings``."""
    priv, pub = generate_keypair(tmp_path / "office-keys")
    trust_key(settings, pub)
    return priv


def _pack(root: Path, sign_key: Path | None) -> Path:
    pack = root / "stick"
    (pack / "piper-vi").mkdir(parents=True, exist_ok=True)
    (pack / "piper-vi" / "vi.onnx").write_bytes(b"\x01" * 4096)
    make_pack(pack, [PackEntry("piper-vi", "tts", "vi", "CC-BY-4.0", "test")], sign_key=sign_key)
    return pack


def _swap_model_and_fix_hash(pack: Path) -> None:
    evil = b"\x66" * 4096
    (pack / "piper-vi" / "vi.onnx").write_bytes(evil)
    toml = (pack / "pack.toml").read_text(encoding="utf-8")
    old = hashlib.sha256(b"\x01" * 4096).hexdigest()
    (pack / "pack.toml").write_text(toml.replace(old, hashlib.sha256(evil).hexdigest()), encoding="utf-8")


@pytest.mark.parametrize(("kind", "code", "needle"), [
    ("unsigned", ErrorCode.BUNDLE_UNSIGNED, "not signed"),
    ("foreign-key", ErrorCode.BUNDLE_SIGNATURE, "matches none"),
    ("swapped-model-hash-fixed", ErrorCode.BUNDLE_SIGNATURE, "matches none"),
    ("garbage-signature", ErrorCode.BUNDLE_SIGNATURE, "base64"),
    ("huge-signature", ErrorCode.BUNDLE_SIGNATURE, "signature"),
])
def test_bad_packs_are_refused_and_nothing_is_installed(tmp_path: Path, settings: Settings, office: Path,
                                                        kind: str, code: ErrorCode, needle: str) -> None:
    if kind == "unsigned":
        pack = _pack(tmp_path, None)
    elif kind == "foreign-key":
        other, _ = generate_keypair(tmp_path / "other-keys")
        pack = _pack(tmp_path, other)
    else:
        pack = _pack(tmp_path, office)
        if kind == "swapped-model-hash-fixed":
            _swap_model_and_fix_hash(pack)
        elif kind == "garbage-signature":
            (pack / PACK_SIG).write_bytes(b"!!not base64!!\n")
        else:
            (pack / PACK_SIG).write_bytes(b"A" * 1_000_000)
    with pytest.raises(BundleError) as exc:
        install_pack(pack, settings)
    assert exc.value.code is code and needle in str(exc.value), str(exc.value)
    assert not (settings.models_path / "piper-vi").exists()
    assert not list(settings.models_path.glob(".incoming-*")) if settings.models_path.exists() else True


def test_a_signed_pack_installs_from_the_cli(tmp_path: Path, settings: Settings, office: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    pack = tmp_path / "stick"
    (pack / "piper-vi").mkdir(parents=True)
    (pack / "piper-vi" / "vi.onnx").write_bytes(b"\x01" * 4096)
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(f'data_dir = "{settings.data_dir}"\n', encoding="utf-8")
    env = ["--config", str(cfg)]
    assert main([*env, "models", "pack", str(pack), "--model", "piper-vi:tts:vi:CC-BY-4.0",
                 "--sign", str(office)]) == 0
    assert (pack / PACK_SIG).is_file()
    assert main([*env, "models", "install", str(pack)]) == 0
    assert "piper-vi: installed" in capsys.readouterr().out
    _swap_model_and_fix_hash(pack)
    assert main([*env, "models", "install", str(pack)]) == 1
    assert "[bundle-signature]" in capsys.readouterr().err
