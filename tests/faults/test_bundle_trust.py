"""Issue 17, bundles on the kiosk: the smoke test opens an import exactly as the kiosk does, a
downgrade needs a confirmation, the active bundle's signature and hashes are re-checked at start, a
full disk is reported as a full disk. Uses the session's real ward folder (phuong@2 active, @1 previous).
"""

from __future__ import annotations

import errno
import json
import logging
import os
import sqlite3
from pathlib import Path

import pytest

from kiosk_app.cli import main
from kiosk_app.core.errors import BundleDamagedError, BundleError, DiskFullError, ErrorCode
from kiosk_app.core.settings import Settings
from kiosk_app.ui.bundle_messages import staff_vi
from knowledge.bundle import importer, version_folders, versions
from knowledge.bundle.schema import read_bundle_dir, sha256_bytes
from knowledge.service import open_current
from knowledge.types import Verdict
from knowledge.understand import store
from tests.faults.conftest import Ward
from tests.staff.staff_cases import fake_indexer


def _current(s: Settings) -> str:
    return os.readlink(s.bundles_dir / "current")


def _answers(s: Settings, question: str = "đăng ký kết hôn cần giấy tờ gì", pid: str = "ket-hon") -> bool:
    kn = open_current(s)
    try:
        ans = kn.ask(question)
    finally:
        kn.close()
    return ans.verdict is Verdict.ANSWER and ans.procedure_id == pid


def _tamper_record_and_manifest(folder: Path) -> None:
    """What someone with the SD card could do: change a fee and fix its hash in manifest.json."""
    rec = folder / "records" / "ket-hon.yaml"
    text = rec.read_text(encoding="utf-8")
    rec.write_text(text.replace("fee:", "fee:\n  # sửa lén\n", 1), encoding="utf-8")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"]["records/ket-hon.yaml"] = sha256_bytes(rec.read_bytes())
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")


# ---- the smoke test is the kiosk's own opening ----------------------------------------------------
def test_an_import_the_kiosk_could_not_open_is_refused_and_the_old_bundle_answers(
        ward: Ward, ward_copy: Settings, tmp_path: Path) -> None:
    """fake_indexer writes an index.json but no Chroma store: the old title-query smoke test never
    saw the store the kiosk opens; Knowledge.open does, so the import is refused."""
    before = _current(ward_copy)
    with pytest.raises(BundleError, match="smoke test: the kiosk cannot open the imported bundle") as exc:
        importer.import_bundle(ward.bundle_file(tmp_path / "usb", "3"), ward_copy, indexer=fake_indexer)
    assert "Kiểm tra thử thất bại" in staff_vi(exc.value)
    assert _current(ward_copy) == before
    assert not [p for p in ward_copy.bundles_dir.iterdir() if p.name.startswith(".incoming-")]
    assert _answers(ward_copy)


def test_the_smoke_test_reads_what_the_manifest_lists(ward_copy: Settings) -> None:
    """A version folder whose manifest lists a member the folder lacks: Knowledge.open fails, so does
    the smoke test (before issue 17 it only queried the index, and such a bundle went live)."""
    folder = ward_copy.bundles_dir / _current(ward_copy)
    bundle = read_bundle_dir(folder)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"]["records/ghi-chu.yaml"] = "0" * 64
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(BundleError, match=r"cannot open the imported bundle.*records/ghi-chu\.yaml"):
        importer.smoke_test(folder, bundle, ward_copy)


# ---- downgrade -----------------------------------------------------------------------------------
def test_a_downgrade_is_refused_unless_confirmed(ward: Ward, ward_copy: Settings, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    older = ward.bundle_file(tmp_path / "usb", "1")  # version 1 < active 2, and created later: by version
    with pytest.raises(BundleError) as exc:
        importer.import_bundle(older, ward_copy)
    assert exc.value.code is ErrorCode.BUNDLE_DOWNGRADE
    assert "phuong@1" in str(exc.value) and "older than the active phuong@2" in str(exc.value)
    assert "cũ hơn gói đang dùng 2" in staff_vi(exc.value)
    assert _current(ward_copy) == "phuong-2"
    # kiosk bundle import: refused without the flag, imported with it
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(f'data_dir = "{ward_copy.data_dir}"\n[asr]\ndetect_english = false\n', encoding="utf-8")
    monkeypatch.setattr(importer, "_default_indexer", fake_indexer)
    monkeypatch.setattr(importer, "smoke_test", lambda *_a: None)
    assert main(["--config", str(cfg), "bundle", "import", str(older), "--yes"]) == 1
    assert _current(ward_copy) == "phuong-2"
    assert main(["--config", str(cfg), "bundle", "import", str(older), "--yes", "--allow-downgrade"]) == 0
    assert versions.status(ward_copy).current.label == "phuong@1"  # type: ignore[union-attr]


# ---- start-up re-check ---------------------------------------------------------------------------
def test_a_record_and_its_hash_edited_on_the_sd_card_are_caught_at_start(
        ward_copy: Settings, caplog: pytest.LogCaptureFixture) -> None:
    _tamper_record_and_manifest(ward_copy.bundles_dir / "phuong-2")
    with caplog.at_level(logging.ERROR, logger="knowledge.bundle.versions"):
        importer.ensure_sample(ward_copy)  # what the kiosk runs at start
    assert _current(ward_copy) == "phuong-1"  # the previous good version
    assert "phuong-2 fails its start-up check" in caplog.text and "matches none" in caplog.text
    assert _answers(ward_copy)


def test_with_no_good_version_left_the_start_reports_precisely(ward_copy: Settings) -> None:
    for name in ("phuong-2", "phuong-1"):
        _tamper_record_and_manifest(ward_copy.bundles_dir / name)
    with pytest.raises(BundleDamagedError) as exc:
        importer.ensure_sample(ward_copy)
    assert "active bundle phuong-2 fails its start-up check" in str(exc.value)
    assert "kiosk bundle import FILE" in str(exc.value)
    assert "không có phiên bản cũ nào dùng được" in staff_vi(exc.value)


def test_a_deleted_signature_is_caught_at_start(ward_copy: Settings) -> None:
    (ward_copy.bundles_dir / "phuong-2" / "manifest.sig").unlink()
    importer.ensure_sample(ward_copy)
    assert _current(ward_copy) == "phuong-1"


def test_rollback_and_status_check_signatures_too(ward_copy: Settings) -> None:
    _tamper_record_and_manifest(ward_copy.bundles_dir / "phuong-1")
    with pytest.raises(BundleDamagedError, match="matches none"):
        versions.rollback(ward_copy)
    st = versions.status(ward_copy, verify=True)
    assert [v.state for v in st.versions if v.name == "phuong-1"] == ["damaged"]


# ---- a full disk is a full disk ------------------------------------------------------------------
def _enospc(*_a: object, **_k: object) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_full_disk_while_importing(ward: Ward, ward_copy: Settings, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "_write_file", _enospc)
    with pytest.raises(DiskFullError, match="no space left") as exc:
        importer.import_bundle(ward.bundle_file(tmp_path / "usb", "3"), ward_copy)
    assert exc.value.code is ErrorCode.DISK_FULL
    assert staff_vi(exc.value).startswith("Máy hết dung lượng ổ đĩa")
    assert _current(ward_copy) == "phuong-2" and _answers(ward_copy)


def test_full_disk_at_start(ward_copy: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "recover", _enospc)
    with pytest.raises(DiskFullError, match=r"at start-up.*bundles themselves are fine"):
        importer.ensure_sample(ward_copy)


def test_full_disk_when_the_index_opens_is_not_a_damaged_bundle(ward_copy: Settings,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    def full(_path: Path) -> object:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(store, "_client", full)
    with pytest.raises(DiskFullError, match="no space left") as exc:
        open_current(ward_copy)
    assert "damaged" not in str(exc.value) and "kiosk bundle import" not in str(exc.value)
    assert version_folders.active_dir(ward_copy) is not None
