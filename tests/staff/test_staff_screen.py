"""The staff screen, headless: shows the active bundle, offers the stick's bundle, imports it in the
background with progress, rolls back, lists unanswered questions and ratings, exports the CSV."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk_app.core.settings import Settings, StaffSettings
from kiosk_app.ui.feedback_store import FeedbackStore
from knowledge.bundle import importer, version_check, versions
from tests.staff.staff_cases import fake_index_check, fake_indexer, no_smoke
from tests.staff.staff_screen_harness import open_staff_screen


class FakeApp:
    def __init__(self) -> None:
        self.went: list[str] = []
        self.reloads = 0

    def go(self, name: str) -> None:
        self.went.append(name)

    def reload_bundle(self) -> None:
        self.reloads += 1


@pytest.fixture
def staff(tmp_path: Path, settings: Settings, key: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setattr(version_check, "open_index_check", fake_index_check)  # the index is the fake one
    s = settings.model_copy(update={"staff": StaffSettings(usb_dir=tmp_path / "media")})
    screen = open_staff_screen(s, FeedbackStore(tmp_path / "fb.sqlite3"), FakeApp())
    yield screen
    screen.jobs.stop(5.0)


def _stick(tmp_path: Path, bundle: Path) -> Path:
    stick = tmp_path / "media" / "USB-PHUONG"
    stick.mkdir(parents=True, exist_ok=True)
    dest = stick / bundle.name
    dest.write_bytes(bundle.read_bytes())
    return dest


def test_empty_kiosk_shows_what_is_missing(staff: Any) -> None:
    staff.refresh()
    assert staff.ids.bundle_label.text == "Chưa có gói dữ liệu nào đang dùng."
    assert staff.ids.import_button.disabled and staff.ids.rollback_button.disabled
    assert staff.ids.unanswered_list.text == "Chưa có câu hỏi nào."
    assert staff.ids.ratings_list.text == "Chưa có đánh giá nào."
    staff.on_export_press()
    staff.settle()  # the stick is looked for on the USB thread
    assert "Chưa thấy USB" in staff.status_text


def test_import_from_stick_needs_a_second_tap_then_activates(
        staff: Any, tmp_path: Path, make_bundle: Callable[..., Path]) -> None:
    importer.import_bundle(make_bundle("1"), staff.settings, indexer=fake_indexer, smoke=no_smoke)
    _stick(tmp_path, make_bundle("2"))
    staff.refresh()
    staff.settle()  # the USB scan runs on the staff worker's USB thread
    assert "phiên bản 1" in staff.ids.bundle_label.text and "3 thủ tục" in staff.ids.bundle_label.text
    assert staff.ids.bundle_date.text.startswith("Tạo ngày")
    assert "phuong-2.wkb" in staff.usb_text and not staff.ids.import_button.disabled
    staff.on_import_press()  # first tap only asks
    assert "Bấm lần nữa" in staff.ids.import_button.text
    assert versions.status(staff.settings).current.version == "1"
    staff.on_import_press()
    assert staff.busy and staff.ids.import_button.disabled  # returned at once; no second tap meanwhile
    staff.settle()
    assert versions.status(staff.settings).current.version == "2"
    assert staff.status_text == "Đã nhập và dùng gói 2 (3 thủ tục)."
    assert "phiên bản 2" in staff.ids.bundle_label.text
    assert staff.progress == 1.0 and not staff.busy
    assert staff.controller.reloads == 1
    assert staff.ids.rollback_button.text == "Quay lại phiên bản trước (1)"


def test_refused_bundle_is_explained_in_vietnamese_and_nothing_changes(
        staff: Any, tmp_path: Path, make_bundle: Callable[..., Path]) -> None:
    importer.import_bundle(make_bundle("1"), staff.settings, indexer=fake_indexer, smoke=no_smoke)
    bad = _stick(tmp_path, make_bundle("2", signed=False))
    staff.start_import(bad)
    staff.settle()
    assert staff.status_text == "Không nhập: Gói dữ liệu chưa được ký."
    assert versions.status(staff.settings).current.version == "1"
    assert staff.controller.reloads == 0 and not staff.busy


def test_rollback_from_the_screen(staff: Any, make_bundle: Callable[..., Path]) -> None:
    for v in ("1", "2"):
        importer.import_bundle(make_bundle(v), staff.settings, indexer=fake_indexer, smoke=no_smoke)
    staff.refresh()
    staff.on_rollback_press()
    assert versions.status(staff.settings).current.version == "2"  # first tap only asks
    staff.on_rollback_press()
    staff.settle()
    assert versions.status(staff.settings).current.version == "1"
    assert "Đã quay lại gói 1" in staff.status_text and staff.controller.reloads == 1


def test_rollback_to_a_damaged_previous_is_refused_on_the_screen(staff: Any, make_bundle: Callable[..., Path]
                                                                ) -> None:
    for v in ("1", "2"):
        importer.import_bundle(make_bundle(v), staff.settings, indexer=fake_indexer, smoke=no_smoke)
    (staff.settings.bundles_dir / "phuong-1" / "records" / "ket-hon.yaml").unlink()
    staff.refresh()
    staff.on_rollback_press()
    staff.on_rollback_press()
    staff.settle()
    assert staff.status_text.startswith("Không quay lại được: Phiên bản phuong@1 trên máy bị hỏng.")
    assert "Gói dữ liệu thiếu tệp records/ket-hon.yaml." in staff.status_text
    assert versions.status(staff.settings).current.version == "2" and staff.controller.reloads == 0


def test_feedback_lists_and_export_to_the_stick(staff: Any, tmp_path: Path,
                                               make_bundle: Callable[..., Path]) -> None:
    fb = staff.feedback
    fb.add_rating("khai-sinh", "hai-long")
    fb.add_rating("khai-sinh", "chua-hai-long")
    fb.add_unanswered("nuôi chó có phải đăng ký không, gọi 0912345678", "no-match")
    stick = _stick(tmp_path, make_bundle("1")).parent
    staff.refresh()
    staff.settle()
    listed = staff.ids.unanswered_list.text
    assert "• nuôi chó có phải đăng ký không, gọi …  (không tìm thấy thủ tục" in listed
    assert staff.ids.ratings_list.text == "• khai-sinh: Hài lòng 1 · Bình thường 0 · Chưa hài lòng 1"
    staff.on_export_press()
    staff.settle()  # written on the USB thread
    assert len(list(stick.glob("phan-hoi-kiosk-*.csv"))) == 1
    assert staff.status_text.startswith("Đã xuất phản hồi ra USB")


def test_a_hung_usb_mount_never_freezes_the_screen(staff: Any, tmp_path: Path,
                                                   make_bundle: Callable[..., Path]) -> None:
    _stick(tmp_path, make_bundle("2"))
    real_find, gate, scans = staff.service.find_bundles, threading.Event(), []

    def hung_find() -> Any:  # the stick's mount answers only when the gate opens
        scans.append(threading.current_thread().name)
        assert gate.wait(30)
        return real_find()

    staff.service.find_bundles = hung_find
    t0 = time.monotonic()
    staff.refresh()  # the screen's entry, and the 2 s poll below while the scan hangs
    staff.poll_usb()
    staff.poll_usb()
    assert time.monotonic() - t0 < 1.0  # returned while the scan is still hanging
    assert staff.usb_bundles == [] and staff.ids.import_button.disabled
    assert "phuong-2.wkb" not in staff.usb_text
    gate.set()
    staff.settle()  # the scan's result is delivered to the UI thread
    assert "phuong-2.wkb" in staff.usb_text and "phiên bản 2" in staff.usb_text
    assert not staff.ids.import_button.disabled
    assert scans == ["kiosk-staff-usb", "kiosk-staff-usb"]  # one scan out at a time, one more after it


def test_a_hung_usb_mount_never_freezes_the_export_tap(staff: Any, tmp_path: Path) -> None:
    staff.feedback.add_rating("khai-sinh", "hai-long")
    stick = tmp_path / "media" / "USB-PHUONG"
    stick.mkdir(parents=True)  # a stick without a bundle file: the export lists the mounts
    staff.refresh()
    staff.settle()
    gate, lookups = threading.Event(), []

    def hung_sticks() -> Any:  # the mount answers only when the gate opens (5 s: fail fast on the UI thread)
        lookups.append(threading.current_thread().name)
        gate.wait(5)
        return [stick]  # a tmp folder is no mount point: say it is one

    staff.service.mounted_sticks = hung_sticks
    t0 = time.monotonic()
    staff.on_export_press()
    staff.on_export_press()  # a second tap while the first is out does not queue another export
    assert time.monotonic() - t0 < 1.0  # returned while the stick lookup is still hanging
    assert not staff.status_text.startswith("Đã xuất") and not list(stick.glob("*.csv"))
    gate.set()
    staff.settle()  # the export's outcome is delivered to the UI thread
    assert staff.status_text.startswith("Đã xuất phản hồi ra USB: phan-hoi-kiosk-")
    assert len(list(stick.glob("phan-hoi-kiosk-*.csv"))) == 1
    assert lookups == ["kiosk-staff-usb"]


def test_a_hung_manifest_read_never_freezes_the_import_tap(
        staff: Any, tmp_path: Path, make_bundle: Callable[..., Path]) -> None:
    # bundle 1 is made first, so bundle 2 is newer in version and in creation time (made the other way
    # round, a second boundary between them made 2 "older by date" and asked to confirm a downgrade)
    active = make_bundle("1")
    _stick(tmp_path, make_bundle("2"))
    staff.refresh()
    staff.settle()  # the scan cached the stick file's version check against "no active bundle"
    importer.import_bundle(active, staff.settings, indexer=fake_indexer, smoke=no_smoke)
    real_preview, gate, reads = staff.service.preview_problems, threading.Event(), []

    def hung_preview(path: Any) -> Any:  # the active bundle changed: the check reads the stick again
        reads.append(threading.current_thread().name)
        gate.wait(5)  # 5 s: fail fast when it runs on the UI thread
        return real_preview(path)

    staff.service.preview_problems = hung_preview
    before = staff.ids.import_button.text
    t0 = time.monotonic()
    staff.on_import_press()
    staff.on_import_press()  # tapped again while the check hangs: still only the first tap
    assert time.monotonic() - t0 < 1.0  # returned while the manifest read is still hanging
    assert staff.confirm == "" and staff.ids.import_button.text == before
    gate.set()
    staff.settle()  # the check's result is delivered: the first tap's answer, as before
    assert staff.status_text.startswith("Gói trên USB: phuong-2.wkb · phiên bản 2")
    assert staff.confirm == "import" and staff.ids.import_button.text == "Bấm lần nữa để nhập phuong-2.wkb"
    assert reads == ["kiosk-staff-usb"]
    assert versions.status(staff.settings).current.version == "1"  # nothing imported without the 2nd tap


def test_close_goes_home(staff: Any) -> None:
    staff.on_close_press()
    assert staff.controller.went == ["home"]


def test_without_the_app_the_screen_runs_its_own_worker_and_hears_back_through_the_clock(
        tmp_path: Path, settings: Settings, key: Any, make_bundle: Callable[..., Path],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from kivy.clock import Clock

    from kiosk_app.pipeline.staff import StaffService, StaffWorker
    from kiosk_app.ui.screens.staff import StaffScreen

    monkeypatch.setattr(version_check, "open_index_check", fake_index_check)
    screen = StaffScreen(name="staff", settings=settings)  # the real Clock-based hand-over
    screen.jobs = StaffWorker(StaffService(settings, indexer=fake_indexer, smoke=no_smoke), screen.post_event)
    seen: list[str] = []
    screen.bind(status_text=lambda _w, v: seen.append(v))
    screen.start_import(_stick(tmp_path, make_bundle("1")))
    assert screen.busy  # returned at once: the UI thread is free
    deadline = time.monotonic() + 20
    while screen.busy and time.monotonic() < deadline:
        Clock.tick()
    assert screen.status_text == "Đã nhập và dùng gói 1 (3 thủ tục)."
    assert "Đang tạo chỉ mục tìm kiếm…" in seen and screen.progress == 1.0
    assert screen.jobs.stop(5)
