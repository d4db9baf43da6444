"""Ed25519 keys and signatures: key files, trust, verification policy."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from kiosk_app.core.errors import BundleSignatureError, BundleUnsignedError
from kiosk_app.core.settings import Settings, StaffSettings
from kiosk_app.ui.bundle_messages import staff_vi
from knowledge.bundle.importer import check_bundle
from knowledge.bundle.schema import Record, build_bundle_bytes
from knowledge.bundle.signing import (
    generate_keypair,
    load_private_key,
    sign,
    trust_key,
    trusted_keys,
    verify_signature,
)


def test_keygen_writes_a_private_key_only_the_owner_can_read(tmp_path: Path) -> None:
    priv, pub = generate_keypair(tmp_path / "k")
    assert stat.S_IMODE(priv.stat().st_mode) == 0o600
    assert pub.read_text().startswith("-----BEGIN PUBLIC KEY-----")
    assert b"PRIVATE KEY" in priv.read_bytes()
    with pytest.raises(BundleSignatureError, match="refusing to overwrite"):
        generate_keypair(tmp_path / "k")


def test_trust_copies_the_key_under_its_fingerprint(tmp_path: Path, settings: Settings) -> None:
    _priv, pub = generate_keypair(tmp_path / "k")
    tk = trust_key(settings, pub)
    assert tk.path == settings.keys_dir / f"{tk.fingerprint}.pub"
    assert [k.fingerprint for k in trusted_keys(settings)] == [tk.fingerprint]
    trust_key(settings, pub)  # idempotent
    assert len(trusted_keys(settings)) == 1


@pytest.mark.parametrize("content", [
    b"", b"hello", b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"])
def test_trusting_a_non_key_is_refused(tmp_path: Path, settings: Settings, content: bytes) -> None:
    bad = tmp_path / "bad.pub"
    bad.write_bytes(content)
    with pytest.raises(BundleSignatureError):
        trust_key(settings, bad)
    assert trusted_keys(settings) == []


def test_private_key_file_given_as_public_key_is_refused(tmp_path: Path, settings: Settings) -> None:
    priv, _pub = generate_keypair(tmp_path / "k")
    with pytest.raises(BundleSignatureError):
        trust_key(settings, priv)


def test_signature_verifies_with_any_trusted_key_and_not_after_a_change(tmp_path: Path,
                                                                        settings: Settings) -> None:
    keys = [generate_keypair(tmp_path / n) for n in ("a", "b")]
    for _priv, pub in keys:
        trust_key(settings, pub)
    manifest = b'{"bundle_id": "phuong"}'
    sig = sign(manifest, load_private_key(keys[1][0]))
    assert verify_signature(manifest, sig, trusted_keys(settings)).path.exists()
    with pytest.raises(BundleSignatureError, match="matches none"):
        verify_signature(manifest + b" ", sig, trusted_keys(settings))


def test_policy_unsigned_refused_only_when_required(tmp_path: Path, small_records: list[Record]) -> None:
    path = tmp_path / "u.wkb"
    path.write_bytes(build_bundle_bytes(small_records, bundle_id="phuong", version="1"))
    strict = Settings(data_dir=tmp_path / "a")
    with pytest.raises(BundleUnsignedError) as exc:
        check_bundle(path, strict)
    assert staff_vi(exc.value) == "Gói dữ liệu chưa được ký."
    relaxed = Settings(data_dir=tmp_path / "b", staff=StaffSettings(require_signature=False))
    assert check_bundle(path, relaxed)[2] is None


def test_signed_bundle_on_a_kiosk_without_keys_says_what_to_do(tmp_path: Path, small_records: list[Record],
                                                               settings: Settings) -> None:
    priv, _pub = generate_keypair(tmp_path / "k")
    key = load_private_key(priv)
    path = tmp_path / "s.wkb"
    path.write_bytes(build_bundle_bytes(small_records, bundle_id="phuong", version="1",
                                        signer=lambda m: sign(m, key)))
    with pytest.raises(BundleSignatureError, match="kiosk bundle trust"):
        check_bundle(path, settings)
