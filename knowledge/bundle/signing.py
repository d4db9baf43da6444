"""Ed25519 signatures for bundles (``cryptography``).

What is signed: the exact bytes of ``manifest.json``. The manifest lists the sha256 of every other
member, so one signature covers the whole bundle. ``manifest.sig`` holds the 64-byte signature,
base64-encoded (one ASCII line), so a technician can look at it.

Keys:
- ``generate_keypair(dir)`` writes ``<name>.key`` (PKCS#8 PEM private key, mode 0600, refuses to
  overwrite) and ``<name>.pub`` (SubjectPublicKeyInfo PEM). The private key stays on the office PC.
- a kiosk trusts every ``*.pub`` in ``settings.keys_dir``; ``kiosk bundle trust FILE`` copies one there
  (named by its fingerprint).

Policy (``verify_bundle``): an unsigned bundle is refused when ``settings.staff.require_signature``
("Gói dữ liệu chưa được ký"); a signature that matches no trusted key is always refused, even when
signatures are optional. The built-in sample bundle is not verified: it is built on the kiosk from
package data (``knowledge/sample``) and never read from a stick (see ``knowledge.bundle.importer``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kiosk_app.core.errors import BundleSignatureError, BundleUnsignedError
from kiosk_app.core.settings import Settings
from knowledge.bundle.schema import Bundle

log = logging.getLogger(__name__)

PRIVATE_SUFFIX = ".key"
PUBLIC_SUFFIX = ".pub"


@dataclass(frozen=True, slots=True)
class TrustedKey:
    fingerprint: str  # first 16 hex digits of sha256(raw public key)
    path: Path
    key: Ed25519PublicKey


def fingerprint(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def generate_keypair(out_dir: Path, name: str = "bundle-signing") -> tuple[Path, Path]:
    """Write a new key pair; returns (private key path, public key path). Never overwrites."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    priv_path, pub_path = out_dir / f"{name}{PRIVATE_SUFFIX}", out_dir / f"{name}{PUBLIC_SUFFIX}"
    for p in (priv_path, pub_path):
        if p.exists():
            raise BundleSignatureError(f"{p} already exists; refusing to overwrite a key",
                                       "key-exists", name=p.name)
    key = Ed25519PrivateKey.generate()
    priv_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())
    pub_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
    fd = os.open(priv_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(priv_pem)
    pub_path.write_bytes(pub_pem)
    log.info("generated signing key %s (public %s, fingerprint %s)", priv_path, pub_path,
             fingerprint(key.public_key()))
    return priv_path, pub_path


def load_private_key(path: Path) -> Ed25519PrivateKey:
    path = Path(path)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as err:
        raise BundleSignatureError(f"cannot read private key {path}: {err.strerror or err}",
                                   "key-unreadable", name=path.name) from err
    except (ValueError, TypeError) as err:
        raise BundleSignatureError(f"{path} is not an unencrypted PEM private key: {err}",
                                   "key-not-pem", name=path.name) from err
    if not isinstance(key, Ed25519PrivateKey):
        raise BundleSignatureError(f"{path} is not an Ed25519 key",
                                   "key-not-ed25519", name=path.name)
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    path = Path(path)
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except OSError as err:
        raise BundleSignatureError(f"cannot read public key {path}: {err.strerror or err}",
                                   "pubkey-unreadable", name=path.name) from err
    except (ValueError, TypeError) as err:
        raise BundleSignatureError(f"{path} is not a PEM public key: {err}",
                                   "pubkey-not-pem", name=path.name) from err
    if not isinstance(key, Ed25519PublicKey):
        raise BundleSignatureError(f"{path} is not an Ed25519 public key",
                                   "pubkey-not-ed25519", name=path.name)
    return key


def sign(manifest_bytes: bytes, key: Ed25519PrivateKey) -> bytes:
    """Return the ``manifest.sig`` content for these manifest bytes."""
    return base64.b64encode(key.sign(manifest_bytes)) + b"\n"


def signer_from_file(path: Path) -> Callable[[bytes], bytes]:
    """A ``signer(manifest_bytes) -> bytes`` for ``knowledge.bundle.schema.build_bundle_bytes``."""
    key = load_private_key(path)
    return lambda manifest_bytes: sign(manifest_bytes, key)


def decode_signature(sig: bytes) -> bytes:
    try:
        raw = base64.b64decode(sig.strip(), validate=True)
    except (binascii.Error, ValueError) as err:
        raise BundleSignatureError("manifest.sig is not base64", "sig-not-base64") from err
    if len(raw) != 64:
        raise BundleSignatureError(f"manifest.sig holds {len(raw)} bytes, an Ed25519 signature has 64",
                                   "sig-wrong-length")
    return raw


def trusted_keys(settings: Settings) -> list[TrustedKey]:
    """Every valid ``*.pub`` in ``settings.keys_dir`` (unreadable files are logged and skipped)."""
    keys: list[TrustedKey] = []
    for path in sorted(settings.keys_dir.glob(f"*{PUBLIC_SUFFIX}")):
        try:
            key = load_public_key(path)
        except BundleSignatureError as err:
            log.warning("ignoring trusted key file %s: %s", path, err)
            continue
        keys.append(TrustedKey(fingerprint(key), path, key))
    return keys


def trust_key(settings: Settings, public_key_file: Path) -> TrustedKey:
    """Copy a public key into ``settings.keys_dir`` (as ``<fingerprint>.pub``)."""
    key = load_public_key(public_key_file)
    fp = fingerprint(key)
    settings.keys_dir.mkdir(parents=True, exist_ok=True)
    dest = settings.keys_dir / f"{fp}{PUBLIC_SUFFIX}"
    pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    tmp = dest.with_name(dest.name + ".tmp")
    tmp.write_bytes(pem)
    os.replace(tmp, dest)
    log.info("trusting bundle signing key %s (from %s)", fp, public_key_file)
    return TrustedKey(fp, dest, key)


def verify_signature(manifest_bytes: bytes, signature: bytes, keys: list[TrustedKey]) -> TrustedKey:
    """Return the trusted key that made ``signature``; BundleSignatureError if none did."""
    raw = decode_signature(signature)
    if not keys:
        raise BundleSignatureError(
            "the bundle is signed but this kiosk trusts no public key; run: kiosk bundle trust PUBLIC_KEY",
            "no-trusted-key")
    for tk in keys:
        try:
            tk.key.verify(raw, manifest_bytes)
        except InvalidSignature:
            continue
        return tk
    raise BundleSignatureError(
        f"the signature matches none of the {len(keys)} trusted key(s) in the keys folder "
        "(bundle changed after signing, or signed with another key)",
        "sig-mismatch")


def verify_manifest(label: str, manifest_bytes: bytes, signature: bytes | None,
                    settings: Settings, *, kind: str = "bundle") -> str | None:
    """Apply the signature policy to a manifest's exact bytes (nothing else needs to be read first).

    Returns the signing key's fingerprint, or None if unsigned (allowed by the settings). ``kind``
    names what is signed in messages ("bundle", "model pack": packs use the same keys and policy)."""
    if signature is None:
        if settings.staff.require_signature:
            reason = "unsigned" if kind == "bundle" else "model-pack-unsigned"
            raise BundleUnsignedError(f"{kind} {label} is not signed and this kiosk requires signed "
                                      f"{kind}s", reason)
        log.warning("%s %s is not signed (signatures are optional in the settings)", kind, label)
        return None
    if len(signature) > 4096:
        raise BundleSignatureError(f"{kind} {label}: signature file of {len(signature)} bytes",
                                   "sig-too-large")
    tk = verify_signature(manifest_bytes, signature, trusted_keys(settings))
    log.info("%s %s signed by trusted key %s", kind, label, tk.fingerprint)
    return tk.fingerprint


def verify_bundle(bundle: Bundle, settings: Settings) -> str | None:
    """``verify_manifest`` for a parsed bundle."""
    return verify_manifest(bundle.manifest.label, bundle.manifest_bytes, bundle.signature, settings)
