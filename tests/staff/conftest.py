"""Fixtures for the staff area: small real records, a trusted signing key, a fast fake indexer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk_app.core.settings import Settings
from knowledge.bundle import version_check
from knowledge.bundle.schema import Record, build_bundle_bytes, load_records_dir
from knowledge.bundle.signing import generate_keypair, load_private_key, sign, trust_key
from tests.staff.staff_cases import fake_index_check, fake_indexer, no_smoke

REPO = Path(__file__).resolve().parents[2]
SAMPLE_RECORDS = REPO / "knowledge" / "sample" / "records"
SMALL_IDS = ("khai-sinh", "ket-hon", "khai-tu")


@pytest.fixture(scope="session")
def sample_records() -> list[Record]:
    return load_records_dir(SAMPLE_RECORDS)


@pytest.fixture(scope="session")
def small_records(sample_records: list[Record]) -> list[Record]:
    by_id = {r.id: r for r in sample_records}
    return [by_id[i] for i in SMALL_IDS]


@pytest.fixture
def key_pair(tmp_path: Path) -> tuple[Path, Path]:
    return generate_keypair(tmp_path / "office-keys")


@pytest.fixture
def key(key_pair: tuple[Path, Path], settings: Settings) -> Ed25519PrivateKey:
    """The office signing key; its public half is trusted by ``settings``."""
    trust_key(settings, key_pair[1])
    return load_private_key(key_pair[0])


@pytest.fixture
def make_bundle(tmp_path: Path, small_records: list[Record], key: Ed25519PrivateKey
                ) -> Callable[..., Path]:
    """Write a signed bundle file of ``records`` (default: the 3 small records) and return its path."""
    def make(version: str = "1", records: list[Record] | None = None, signed: bool = True,
             bundle_id: str = "phuong") -> Path:
        data = build_bundle_bytes(records or small_records, bundle_id=bundle_id, version=version,
                                  signer=(lambda m: sign(m, key)) if signed else None)
        path = tmp_path / "usb" / f"{bundle_id}-{version}.wkb"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path
    return make


@pytest.fixture
def fast(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """Keyword arguments for import_bundle that skip the real (slow) index. Rollback and status check
    a version's index before switching to it: with the fake index, that check is the fake one too."""
    monkeypatch.setattr(version_check, "open_index_check", fake_index_check)
    return {"indexer": fake_indexer, "smoke": no_smoke}
