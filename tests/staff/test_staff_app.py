"""The whole app (real PipelineWorker with fake engines, real staff worker and importer with the fast
fake index, Kivy's Clock between the threads): while staff import a bundle the kiosk keeps answering
from the old one, switches between questions once it is active, and a broken file changes nothing."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from kiosk_app.core.errors import KioskError
from kiosk_app.core.settings import Settings, StaffSettings
from kiosk_app.pipeline import Pipeline
from kiosk_app.pipeline.staff import StaffService
from kiosk_app.pipeline.worker import PipelineWorker
from kiosk_app.ui.bundle_messages import staff_vi
from kiosk_app.ui.staff_messages import BUNDLE_ERRORS_VI
from knowledge.bundle import importer, versions
from knowledge.bundle.schema import Bundle
from tests.fakes import FakeKnowledge, Rig, answer_for, pump_clock, records
from tests.staff.staff_cases import fake_indexer, make_cases, no_smoke

pump = functools.partial(pump_clock, timeout=20.0)  # a step may wait on a real index build


class Gate:
    """An indexer that holds the import in its "index" phase until ``open``."""

    def __init__(self) -> None:
        self.entered, self.opened = threading.Event(), threading.Event()

    def __call__(self, bundle: Bundle, index_dir: Path, progress: Callable[[int, int], None] | None) -> None:
        self.entered.set()
        assert self.opened.wait(30)
        fake_indexer(bundle, index_dir, progress)


@pytest.fixture
def kiosk(tmp_path: Path, settings: Settings, fast: dict[str, Any], key: Any) -> Iterator[Any]:
    from kiosk_app.core.pin import hash_pin
    from kiosk_app.ui.app import KioskApp

    s = settings.model_copy(update={"staff": StaffSettings(usb_dir=tmp_path / "media",
                                                           pin_hash=hash_pin("246813"))})
    recs = records()
    builds: list[str] = []  # the bundle each pipeline was built on

    class Knowing(FakeKnowledge):
        label = ""

        @property
        def bundle(self) -> Any:
            manifest = SimpleNamespace(label=self.label, sample=False)
            return SimpleNamespace(records=self.recs, manifest=manifest)

    def build(sink: Any) -> Pipeline:
        cur = versions.status(s).current
        kn = Knowing(answers={"khai sinh": answer_for(recs["khai-sinh"])})
        kn.label = cur.label if cur else ""
        builds.append(kn.label)
        rig = Rig(s, knowledge=kn)
        rig.pipeline.on_event = sink
        return rig.pipeline

    app = KioskApp(s, worker_factory=lambda sink, ready: PipelineWorker(build, sink, on_ready=ready))
    sm = app.build()
    gate = Gate()
    assert app.staff_jobs is not None
    app.staff_jobs.service = StaffService(s, indexer=gate, smoke=no_smoke)
    yield SimpleNamespace(app=app, sm=sm, staff=sm.get_screen("staff"), builds=builds, gate=gate, settings=s)
    gate.opened.set()
    app.on_stop()


def _stick(settings: Settings, name: str, data: bytes) -> Path:
    stick = settings.staff.usb_dir / "USB"
    stick.mkdir(parents=True, exist_ok=True)
    for old in stick.glob("*.wkb"):
        old.unlink()
    (stick / name).write_bytes(data)
    return stick / name


def _answered(k: Any) -> bool:
    return bool(k.sm.current == "answer" and k.sm.get_screen("answer").title == "Đăng ký khai sinh")


def test_the_kiosk_answers_from_the_old_bundle_while_staff_import_and_switches_after(
        kiosk: Any, make_bundle: Callable[..., Path]) -> None:
    k = kiosk
    importer.import_bundle(make_bundle("1"), k.settings, indexer=fake_indexer, smoke=no_smoke)
    k.app.state.worker.reload()  # the kiosk started on bundle 1
    assert pump(lambda: k.builds[-1:] == ["phuong@1"] and k.sm.get_screen("home").ready)
    k.app.controller.go("staff")
    _stick(k.settings, "phuong-2.wkb", make_bundle("2").read_bytes())
    k.staff.refresh()
    assert pump(lambda: bool(k.staff.usb_bundles))  # the USB scan runs off the UI thread
    k.staff.on_import_press()
    k.staff.on_import_press()
    assert k.staff.busy  # the tap returned at once
    assert k.gate.entered.wait(10)  # the import is building the index on the staff worker
    assert pump(lambda: k.staff.status_text == "Đang tạo chỉ mục tìm kiếm…")
    k.staff.on_import_press()  # a tap getting through while it runs is refused, it goes on
    assert k.staff.busy and "Xin chờ xong rồi thử lại" in k.staff.status_text
    k.staff.on_close_press()  # the clerk walks away; a resident asks meanwhile
    k.app.controller.ask_text("khai sinh")
    assert pump(lambda: _answered(k))
    assert k.builds == ["", "phuong@1"]  # answered by the pipeline built on bundle 1
    k.app.controller.go("staff")
    k.gate.opened.set()
    assert pump(lambda: not k.staff.busy)
    assert k.staff.status_text == "Đã nhập và dùng gói 2 (3 thủ tục)."
    assert pump(lambda: k.builds[-1] == "phuong@2")  # switched in by the pipeline's reload


def test_a_broken_file_leaves_the_active_bundle_answering_and_says_precisely_why(
        kiosk: Any, make_bundle: Callable[..., Path], small_records: list[Any], key: Any) -> None:
    k = kiosk
    k.gate.opened.set()
    importer.import_bundle(make_bundle("1"), k.settings, indexer=fake_indexer, smoke=no_smoke)
    k.app.state.worker.reload()
    assert pump(lambda: k.builds[-1:] == ["phuong@1"])
    builds = len(k.builds)
    case = {c.name: c for c in make_cases(small_records, key)}["tampered-record"]
    bad = _stick(k.settings, "phuong-2.wkb", case.data)
    with pytest.raises(KioskError) as refused:  # what the checker says about this very file
        importer.import_bundle(bad, k.settings, indexer=fake_indexer, smoke=no_smoke)
    k.app.controller.go("staff")
    k.staff.refresh()
    assert pump(lambda: bool(k.staff.usb_bundles))  # the USB scan runs off the UI thread
    k.staff.on_import_press()
    k.staff.on_import_press()
    assert pump(lambda: not k.staff.busy and k.staff.status_text.startswith("Không nhập"))
    assert k.staff.status_text == f"Không nhập: {staff_vi(refused.value)}"
    assert k.staff.status_text != f"Không nhập: {BUNDLE_ERRORS_VI[case.code]}"  # the file's own reason
    assert versions.status(k.settings).current.label == "phuong@1"  # type: ignore[union-attr]
    assert k.staff.progress == 0.0 and k.sm.current == "staff"
    k.staff.on_close_press()
    k.app.controller.ask_text("khai sinh")
    assert pump(lambda: _answered(k))
    assert len(k.builds) == builds  # no reload: the pipeline kept bundle 1 open
