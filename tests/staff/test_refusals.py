"""Every corrupted or malicious bundle is refused before anything changes; the old bundle stays active."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kiosk_app.core.errors import BundleError
from kiosk_app.core.settings import Settings, StaffSettings
from kiosk_app.ui.bundle_messages import staff_vi
from knowledge.bundle import importer, versions
from knowledge.bundle.schema import Record, build_bundle_bytes
from knowledge.bundle.signing import generate_keypair, load_private_key, sign, trust_key
from tests.staff.staff_cases import (
    CASE_NAMES,
    SMALL_MAX_BYTES,
    Case,
    fake_indexer,
    make_cases,
    no_smoke,
    write_cases,
)


class Env:
    def __init__(self, root: Path, records: list[Record]) -> None:
        self.settings = Settings(data_dir=root / "data",
                                 staff=StaffSettings(max_bundle_bytes=SMALL_MAX_BYTES))
        priv, pub = generate_keypair(root / "keys")
        trust_key(self.settings, pub)
        self.key = load_private_key(priv)
        good = root / "good.wkb"
        good.write_bytes(build_bundle_bytes(records, bundle_id="phuong", version="1",
                                            signer=lambda m: sign(m, self.key)))
        self.active = importer.import_bundle(good, self.settings, indexer=fake_indexer, smoke=no_smoke).info
        self.cases = {c.name: c for c in make_cases(records, self.key)}
        self.paths = dict(zip(self.cases, write_cases(list(self.cases.values()), root / "usb"), strict=True))


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, small_records: list[Record]) -> Env:
    return Env(tmp_path_factory.mktemp("refusals"), small_records)


def test_the_set_covers_the_attacks_in_the_issue(env: Env) -> None:
    names = set(env.cases)
    for needed in ("unsigned", "foreign-key", "tampered-record", "zip-slip-dotdot", "zip-slip-absolute",
                   "symlink-member", "zip-bomb", "duplicate-member", "missing-fee", "too-large", "truncated"):
        assert needed in names
    assert tuple(env.cases) == CASE_NAMES


@pytest.mark.parametrize("name", CASE_NAMES)
def test_bundle_is_refused_and_old_one_stays(env: Env, name: str) -> None:
    case: Case = env.cases[name]
    before = os.readlink(env.settings.bundles_dir / "current")
    with pytest.raises(BundleError) as exc:
        importer.import_bundle(env.paths[name], env.settings, indexer=fake_indexer, smoke=no_smoke)
    assert exc.value.code is case.code, str(exc.value)
    assert case.needle.lower() in str(exc.value).lower()
    assert staff_vi(exc.value) and staff_vi(exc.value) != "Gói dữ liệu không hợp lệ."  # a precise reason
    assert os.readlink(env.settings.bundles_dir / "current") == before
    assert versions.status(env.settings).current == env.active
    leftovers = [p.name for p in env.settings.bundles_dir.iterdir() if p.name.startswith(".incoming-")]
    assert leftovers == []
    assert not (env.settings.bundles_dir.parent / "evil.yaml").exists()


def test_missing_fee_says_so_in_vietnamese(env: Env) -> None:
    with pytest.raises(BundleError) as exc:
        importer.check_bundle(env.paths["missing-fee"], env.settings)
    assert staff_vi(exc.value) == "Bản ghi khai-sinh thiếu trường lệ phí."


def test_unsigned_says_so_in_vietnamese(env: Env) -> None:
    with pytest.raises(BundleError) as exc:
        importer.check_bundle(env.paths["unsigned"], env.settings)
    assert staff_vi(exc.value) == "Gói dữ liệu chưa được ký."


def test_unsigned_bundle_accepted_when_signatures_are_optional(env: Env, tmp_path: Path) -> None:
    relaxed = Settings(data_dir=tmp_path / "d", staff=StaffSettings(require_signature=False))
    _members, bundle, signed_by, _lint = importer.check_bundle(env.paths["unsigned"], relaxed)
    assert signed_by is None and bundle.manifest.record_count == 3
    with pytest.raises(BundleError):  # a wrong signature is refused even then
        importer.check_bundle(env.paths["foreign-key"], relaxed)
