"""The staff worker (issue 18): bundle imports and rollbacks run on its thread, one at a time, and
every outcome arrives as a typed event with a stable code and the sentence staff read."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk_app.core.errors import ErrorCode, StaffNote
from kiosk_app.core.events import BundleDone, BundleOp, BundleProgress, BundleRefused, Event
from kiosk_app.core.settings import Settings
from kiosk_app.pipeline.staff import StaffService, StaffWorker
from kiosk_app.ui.bundle_messages import staff_vi
from kiosk_app.ui.messages import ERRORS
from kiosk_app.ui.staff_messages import BUNDLE_ERRORS_VI, bundle_error_vi
from knowledge.bundle import versions
from knowledge.bundle.importer import PHASES
from knowledge.bundle.schema import Bundle
from tests.staff.staff_cases import CASE_NAMES, fake_indexer, make_cases, no_smoke

pytestmark = pytest.mark.usefixtures("fast")  # the fake index is also the one rollback checks


class Gate:
    """An indexer that waits at the gate: the import stays in its "index" phase until ``open``."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self._open = threading.Event()
        self.thread = ""

    def __call__(self, bundle: Bundle, index_dir: Path, progress: Callable[[int, int], None] | None) -> None:
        self.thread = threading.current_thread().name
        self.entered.set()
        assert self._open.wait(20), "the test never opened the gate"
        fake_indexer(bundle, index_dir, progress)

    def open(self) -> None:
        self._open.set()


class Events:
    def __init__(self) -> None:
        self.q: queue.Queue[Event] = queue.Queue()

    def __call__(self, ev: Event) -> None:
        self.q.put(ev)

    def until_outcome(self, timeout: float = 20) -> list[Event]:
        """Every event up to and including the ``BundleDone`` / ``BundleRefused``."""
        seen: list[Event] = []
        while not seen or isinstance(seen[-1], BundleProgress):
            seen.append(self.q.get(timeout=timeout))
        return seen


@pytest.fixture
def gate() -> Gate:
    return Gate()


@pytest.fixture
def worker(settings: Settings, gate: Gate) -> Iterator[tuple[StaffWorker, Events]]:
    events = Events()
    w = StaffWorker(StaffService(settings, indexer=gate, smoke=no_smoke), events)
    yield w, events
    gate.open()
    assert w.stop(10)


def _active(settings: Settings) -> str:
    cur = versions.status(settings).current
    return cur.version if cur else ""


def test_import_runs_on_the_worker_thread_and_its_result_arrives_as_events(
        worker: tuple[StaffWorker, Events], gate: Gate, settings: Settings,
        make_bundle: Callable[..., Path]) -> None:
    w, events = worker
    assert w.import_bundle(make_bundle("1"))  # the gate is shut: it returned without waiting
    assert gate.entered.wait(10) and w.busy
    assert gate.thread == "kiosk-staff" != threading.current_thread().name
    assert _active(settings) == ""  # nothing switched while it runs
    gate.open()
    seen = events.until_outcome()
    assert seen[-1] == BundleDone(BundleOp.IMPORT, "1", 3)
    progress = [e for e in seen if isinstance(e, BundleProgress)]
    assert [p.phase for p in progress if p.phase] == sorted((p.phase for p in progress), key=PHASES.index)
    assert {p.phase for p in progress} == set(PHASES)
    assert [p.fraction for p in progress] == sorted(p.fraction for p in progress)
    assert all(0.0 <= p.fraction <= 1.0 for p in progress)
    assert _active(settings) == "1" and not w.busy


def test_a_second_request_while_one_runs_is_refused_and_the_first_goes_on(
        worker: tuple[StaffWorker, Events], gate: Gate, settings: Settings,
        make_bundle: Callable[..., Path]) -> None:
    w, events = worker
    first, second = make_bundle("1"), make_bundle("2")
    assert w.import_bundle(first)
    assert gate.entered.wait(10)
    assert not w.import_bundle(second)
    assert not w.rollback()
    refusals: list[BundleRefused] = []
    while len(refusals) < 2:  # the first import's progress comes in between
        ev = events.q.get(timeout=5)
        if isinstance(ev, BundleRefused):
            refusals.append(ev)
    assert [(e.op, e.code) for e in refusals] == [
        (BundleOp.IMPORT, ErrorCode.BUNDLE_BUSY), (BundleOp.ROLLBACK, ErrorCode.BUNDLE_BUSY)]
    gate.open()
    assert events.until_outcome()[-1] == BundleDone(BundleOp.IMPORT, "1", 3)
    assert _active(settings) == "1"
    assert w.import_bundle(second)  # free again once the first has reported
    assert events.until_outcome()[-1] == BundleDone(BundleOp.IMPORT, "2", 3)
    assert w.rollback()
    assert events.until_outcome()[-1] == BundleDone(BundleOp.ROLLBACK, "1", 3)


@pytest.mark.parametrize("name", ["not-a-zip", "truncated", "unsigned", "tampered-record", "missing-fee",
                                  "zip-slip-dotdot"])
def test_a_broken_file_is_refused_with_its_code_and_the_checkers_sentence(
        worker: tuple[StaffWorker, Events], gate: Gate, settings: Settings, key: Any, tmp_path: Path,
        make_bundle: Callable[..., Path], small_records: list[Any], name: str) -> None:
    assert name in CASE_NAMES
    w, events = worker
    gate.open()
    assert w.import_bundle(make_bundle("1"))
    assert events.until_outcome()[-1] == BundleDone(BundleOp.IMPORT, "1", 3)
    case = {c.name: c for c in make_cases(small_records, key)}[name]
    bad = tmp_path / "usb" / f"{name}.wkb"
    bad.write_bytes(case.data)
    assert w.import_bundle(bad)
    refused = events.until_outcome()[-1]
    assert isinstance(refused, BundleRefused) and refused.op is BundleOp.IMPORT
    assert refused.code is case.code
    assert refused.note and bundle_error_vi(refused.code, refused.note) == staff_vi(refused.note)
    assert refused.detail  # English, for the log
    assert _active(settings) == "1"


def test_a_crash_inside_the_import_is_reported_not_lost(settings: Settings, make_bundle: Callable[..., Path]
                                                      ) -> None:
    def exploding_smoke(bundle_dir: Path, bundle: Bundle, settings: object = None) -> None:
        raise RuntimeError("smoke test exploded")  # not a KioskError: the worker's own boundary

    events = Events()
    w = StaffWorker(StaffService(settings, indexer=fake_indexer, smoke=exploding_smoke), events)
    assert w.import_bundle(make_bundle("1"))
    refused = events.until_outcome()[-1]
    assert refused == BundleRefused(BundleOp.IMPORT, ErrorCode.INTERNAL, "RuntimeError: smoke test exploded")
    said = bundle_error_vi(refused.code, refused.note)
    assert said.startswith("Không nhập được gói dữ liệu; dữ liệu cũ")
    assert _active(settings) == "" and not w.busy
    assert w.import_bundle(make_bundle("2"))  # the thread survived: it still takes work
    assert events.until_outcome()[-1] == refused
    assert w.stop(5)


def test_every_code_a_bundle_operation_can_end_with_has_a_staff_sentence() -> None:
    staff_codes = {c for c in ErrorCode if c.value.startswith("bundle-")} | {
        ErrorCode.NO_ROLLBACK, ErrorCode.DISK_FULL, ErrorCode.PERMISSION_DENIED, ErrorCode.STORE_MISSING,
        ErrorCode.STORE_CORRUPT, ErrorCode.INTERNAL}
    assert staff_codes <= set(BUNDLE_ERRORS_VI)
    for code in staff_codes:  # staff never read the residents' "máy đang bảo trì"
        assert bundle_error_vi(code) != ERRORS["vi"][ErrorCode.MODEL_MISSING]
    # the checker's own reason wins over the code's sentence
    said = bundle_error_vi(ErrorCode.BUNDLE_SIGNATURE, StaffNote("key-not-pem", {"name": "a.key"}))
    assert said == "Tệp a.key không phải khóa ký hợp lệ."
    assert bundle_error_vi("no-such-code") == BUNDLE_ERRORS_VI[ErrorCode.INTERNAL]
