"""Issue 17 on the staff screen: the stick's bundle is shown with its version and date, the newest by
date is offered, a downgrade needs a confirmation that says so, and a broken feedback database is
reported instead of crashing the screen."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kiosk_app.core.settings import Settings, StaffSettings
from kiosk_app.ui.feedback_store import FeedbackStore
from knowledge.bundle import importer, version_check, versions
from knowledge.bundle.schema import Record, build_bundle_bytes
from knowledge.bundle.signing import sign
from tests.staff.staff_cases import fake_index_check, fake_indexer, no_smoke
from tests.staff.staff_screen_harness import open_staff_screen


class FakeApp:
    def __init__(self) -> None:
        self.reloads = 0

    def go(self, name: str) -> None:
        pass

    def reload_bundle(self) -> None:
        self.reloads += 1


@pytest.fixture
def staff(tmp_path: Path, settings: Settings, key: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setattr(version_check, "open_index_check", fake_index_check)
    s = settings.model_copy(update={"staff": StaffSettings(usb_dir=tmp_path / "media")})
    screen = open_staff_screen(s, FeedbackStore(tmp_path / "fb.sqlite3"), FakeApp())

    def start_and_settle(path: Path, _real: Any = screen.start_import, **kw: Any) -> None:
        _real(path, **kw)  # returns at once; the worker reports through the UI thread's queue
        screen.settle()

    screen.start_import = start_and_settle
    yield screen
    screen.jobs.stop(5.0)


def _on_stick(tmp_path: Path, name: str, data: bytes, mtime: float | None = None) -> Path:
    stick = tmp_path / "media" / "USB"
    stick.mkdir(parents=True, exist_ok=True)
    path = stick / name
    path.write_bytes(data)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def _bundle(records: list[Record], key: Any, version: str, created: datetime) -> bytes:
    return build_bundle_bytes(records, bundle_id="phuong", version=version, created=created,
                              signer=lambda m: sign(m, key))


def test_stick_bundle_shows_version_and_date_and_the_newest_by_date_is_offered(
        staff: Any, tmp_path: Path, small_records: list[Record], key: Any) -> None:
    newer = _bundle(small_records, key, "2026.12.01-1030", datetime(2026, 12, 1, 10, 30, tzinfo=UTC))
    older = _bundle(small_records, key, "2026.11.01-0900", datetime(2026, 11, 1, 9, 0, tzinfo=UTC))
    _on_stick(tmp_path, "phuong-moi.wkb", newer, mtime=1_000_000)
    _on_stick(tmp_path, "phuong-cu-chep-sau.wkb", older, mtime=2_000_000)  # copied later: newest mtime
    staff.refresh()
    staff.settle()  # the USB scan's result reaches the screen
    assert staff.usb_bundles[0].name == "phuong-moi.wkb"
    assert "phuong-moi.wkb · phiên bản 2026.12.01-1030 · tạo " in staff.usb_text
    assert "3 thủ tục" in staff.usb_text and "(và 1 tệp khác)" in staff.usb_text
    staff.on_import_press()
    assert "phiên bản 2026.12.01-1030" in staff.status_text
    assert "Bấm lần nữa để nhập" in staff.ids.import_button.text


def test_a_downgrade_needs_a_confirmation_that_says_so(staff: Any, tmp_path: Path,
                                                      make_bundle: Callable[..., Path]) -> None:
    importer.import_bundle(make_bundle("5"), staff.settings, indexer=fake_indexer, smoke=no_smoke)
    _on_stick(tmp_path, "phuong-4.wkb", make_bundle("4").read_bytes())
    staff.refresh()
    staff.settle()  # the USB scan's result reaches the screen
    assert "phiên bản 4" in staff.usb_text and "CŨ HƠN gói đang dùng" in staff.usb_text
    staff.on_import_press()
    assert staff.confirm == "version" and "CŨ HƠN" in staff.ids.import_button.text
    assert versions.status(staff.settings).current.version == "5"  # type: ignore[union-attr]
    staff.on_import_press()  # the confirmation
    assert versions.status(staff.settings).current.version == "4"  # type: ignore[union-attr]
    assert staff.status_text == "Đã nhập và dùng gói 4 (3 thủ tục)."


def test_a_downgrade_found_only_by_the_import_asks_for_the_confirmation(
        staff: Any, tmp_path: Path, make_bundle: Callable[..., Path]) -> None:
    importer.import_bundle(make_bundle("5"), staff.settings, indexer=fake_indexer, smoke=no_smoke)
    older = _on_stick(tmp_path, "phuong-4.wkb", make_bundle("4").read_bytes())
    staff.refresh()
    staff.settle()  # the USB scan's result reaches the screen
    staff.start_import(older)  # e.g. started before the preview knew
    assert staff.status_text.startswith("Không nhập: Gói 4") and "cũ hơn gói đang dùng 5" in staff.status_text
    assert staff.confirm == "version"
    assert versions.status(staff.settings).current.version == "5"  # type: ignore[union-attr]
    staff.on_import_press()
    assert versions.status(staff.settings).current.version == "4"  # type: ignore[union-attr]


def test_another_wards_bundle_needs_a_confirmation_that_names_it(
        staff: Any, tmp_path: Path, make_bundle: Callable[..., Path]) -> None:
    importer.import_bundle(make_bundle("5"), staff.settings, indexer=fake_indexer, smoke=no_smoke)
    _on_stick(tmp_path, "khac.wkb", make_bundle("6", bundle_id="phuong-khac").read_bytes())
    staff.refresh()
    staff.settle()  # the USB scan's result reaches the screen
    assert "của ĐƠN VỊ KHÁC" in staff.usb_text
    staff.on_import_press()
    assert staff.confirm == "version" and "ĐƠN VỊ KHÁC" in staff.ids.import_button.text
    assert "khác gói đang dùng \"phuong\"" in staff.status_text
    assert versions.status(staff.settings).current.label == "phuong@5"  # type: ignore[union-attr]
    staff.on_import_press()  # the confirmation
    assert versions.status(staff.settings).current.label == "phuong-khac@6"  # type: ignore[union-attr]


def test_a_future_date_found_only_by_the_import_asks_for_the_confirmation(
        staff: Any, tmp_path: Path, small_records: list[Record], key: Any,
        make_bundle: Callable[..., Path]) -> None:
    importer.import_bundle(make_bundle("5"), staff.settings, indexer=fake_indexer, smoke=no_smoke)
    future = _bundle(small_records, key, "6", datetime(2099, 1, 1, tzinfo=UTC))
    path = _on_stick(tmp_path, "tuong-lai.wkb", future)
    staff.refresh()
    staff.settle()  # the USB scan's result reaches the screen
    staff.start_import(path)
    assert staff.status_text.startswith("Không nhập: Gói 6 ghi ngày tạo 01/01/2099, sau ngày giờ của máy")
    assert "đồng hồ của máy bị sai" in staff.status_text
    assert staff.confirm == "version" and "NGÀY TẠO SAU" in staff.ids.import_button.text
    staff.on_import_press()
    assert versions.status(staff.settings).current.version == "6"  # type: ignore[union-attr]


def test_a_reused_version_is_refused_without_a_confirmation(
        staff: Any, tmp_path: Path, small_records: list[Record], make_bundle: Callable[..., Path]) -> None:
    importer.import_bundle(make_bundle("5"), staff.settings, indexer=fake_indexer, smoke=no_smoke)
    _on_stick(tmp_path, "sua.wkb", make_bundle("5", records=small_records[:2]).read_bytes())
    staff.refresh()
    staff.settle()  # the USB scan's result reaches the screen
    assert "TRÙNG PHIÊN BẢN" in staff.usb_text
    for _ in range(3):  # no tap imports it
        staff.on_import_press()
        assert staff.confirm == "" and "phải mang phiên bản mới" in staff.status_text
    assert versions.status(staff.settings).current.record_count == 3  # type: ignore[union-attr]


@pytest.mark.parametrize("damage", ["garbage", "unopenable"])
def test_a_broken_feedback_database_is_reported_not_raised(
        tmp_path: Path, settings: Settings, make_bundle: Callable[..., Path], damage: str) -> None:
    import sqlite3

    from kivy.clock import Clock

    from kiosk_app.ui.screens.staff import StaffScreen
    from kiosk_app.ui.staff_messages import STAFF_VI

    FEEDBACK_BROKEN_VI = STAFF_VI["feedback_broken"]

    db = tmp_path / "fb.sqlite3"
    store = FeedbackStore(db)
    store.add_rating("khai-sinh", "hai-long")
    if damage == "garbage":  # a damaged SD card sector, a half-written file: sqlite3.DatabaseError
        db.write_bytes(b"this is not a database" * 100)
    else:  # the file replaced by a folder: sqlite3.OperationalError "unable to open database file"
        db.unlink()
        db.mkdir()
        with pytest.raises(sqlite3.OperationalError):
            store.unanswered()
    s = settings.model_copy(update={"staff": StaffSettings(usb_dir=tmp_path / "media")})
    screen = StaffScreen(name="staff", settings=s, feedback=store)
    screen.refresh()  # before issue 17: sqlite3.DatabaseError escaped the screen
    assert screen.unanswered_text == FEEDBACK_BROKEN_VI and screen.ratings_text == FEEDBACK_BROKEN_VI
    _on_stick(tmp_path, "phuong-1.wkb", make_bundle("1").read_bytes())
    screen.poll_usb()
    assert screen.jobs.wait_idle(10)  # the scan ran on the USB thread; its result comes through the Clock
    deadline = time.monotonic() + 10
    while not screen.usb_bundles and time.monotonic() < deadline:
        Clock.tick()
    screen.on_export_press()
    assert screen.jobs.wait_idle(10)  # the export ran on the USB thread; its outcome comes through the Clock
    deadline = time.monotonic() + 10
    while screen.status_text != FEEDBACK_BROKEN_VI and time.monotonic() < deadline:
        Clock.tick()
    assert screen.status_text == FEEDBACK_BROKEN_VI
    assert screen.jobs.stop(5.0)
