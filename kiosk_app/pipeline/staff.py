"""The bundle work behind the staff screen: ``StaffService`` (what a staff action does to the bundles)
and ``StaffWorker`` (the one thread that runs the slow part of it, reporting typed events).

The screens never call the knowledge engines, so the UI imports no engine (tests/test_import_contract.py);
the engines are imported when first used (the kiosk starts without them).

Why a thread of its own and not the pipeline's: an import builds a search index for tens of seconds
to minutes. On the pipeline's thread residents could not ask anything meanwhile, and a resident's
question would cancel the import (barge-in). A ward clerk expects the kiosk to keep answering from
the bundle it has until the new one is switched in. So the staff worker imports and activates the
bundle on disk (atomic: ``knowledge.bundle.importer``) while the pipeline keeps the old one open;
on ``BundleDone`` the app asks the pipeline worker to reload, which it does between questions
(STYLE rule 14). The staff worker runs at the pipeline worker's lower CPU priority.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk_app.core.errors import BundleError, ErrorCode, KioskError, NoRollbackError
from kiosk_app.core.events import BundleDone, BundleOp, BundleProgress, BundleRefused, Event
from kiosk_app.core.settings import Settings
from kiosk_app.pipeline.jobqueue import WORKER_NICE, JobQueue

if TYPE_CHECKING:
    from knowledge.bundle.importer import Indexer, Smoker
    from knowledge.bundle.schema import Manifest
    from knowledge.bundle.usbwatch import FoundBundle
    from knowledge.bundle.version_policy import VersionProblem
    from knowledge.bundle.versions import BundleStatus

log = logging.getLogger(__name__)

PROGRESS_STEP = 0.01  # progress events: at most one per percent (and one per phase)


class StaffService:
    """One kiosk's bundles as the staff screen sees them. ``indexer``/``smoke``: the importer's
    (tests pass fast fakes; None = the real index build and smoke test)."""

    def __init__(self, settings: Settings, *, indexer: Indexer | None = None,
                 smoke: Smoker | None = None) -> None:
        self.settings = settings
        self._indexer = indexer
        self._smoke = smoke

    def status(self) -> BundleStatus:
        """The active and the previous version (reads only; no index is opened)."""
        from knowledge.bundle.versions import status

        return status(self.settings)

    def find_bundles(self) -> list[FoundBundle]:
        """The ``.wkb`` files on the USB stick(s)."""
        from knowledge.bundle.usbwatch import find_bundles

        return find_bundles(self.settings.staff.usb_dir)

    def mounted_sticks(self) -> list[Path]:
        from knowledge.bundle.usbwatch import mounted_sticks

        return mounted_sticks(self.settings.staff.usb_dir)

    def peek(self, path: Path | str) -> Manifest:
        """The bundle file's manifest, unverified (``BundleError`` when it cannot be read)."""
        from knowledge.bundle.importer import peek_manifest

        return peek_manifest(Path(path))

    def active_target(self) -> str | None:
        """The folder the active version points to: changes when another version becomes active."""
        from knowledge.bundle.version_folders import CURRENT, target

        return target(self.settings.bundles_dir, CURRENT)

    def preview_problems(self, path: Path | str) -> list[VersionProblem]:
        """The version anomalies importing ``path`` would meet, from its manifest alone."""
        from knowledge.bundle.version_policy import preview_problems

        return preview_problems(Path(path), self.settings)

    def import_bundle(self, path: Path | str, progress: Callable[[str, float], None], *,
                      confirmed: frozenset[ErrorCode] = frozenset()) -> BundleDone:
        """Import and activate ``path`` (slow); ``progress(phase, fraction of the whole import)``."""
        from knowledge.bundle.importer import PHASES, import_bundle

        def on_phase(phase: str, done: int, total: int) -> None:
            i = PHASES.index(phase) if phase in PHASES else 0
            progress(phase, (i + (done / total if total else 0)) / len(PHASES))

        res = import_bundle(path, self.settings, on_phase, confirmed=confirmed, indexer=self._indexer,
                            smoke=self._smoke)
        return BundleDone(BundleOp.IMPORT, res.info.version, res.info.record_count, res.unchanged)

    def rollback(self) -> BundleDone:
        """Switch back to the previous version (checked first; ``NoRollbackError`` when none)."""
        from knowledge.bundle.versions import rollback

        info = rollback(self.settings)
        return BundleDone(BundleOp.ROLLBACK, info.version, info.record_count)


@dataclass(frozen=True, slots=True)
class _Job:
    op: BundleOp
    path: Path | None = None
    confirmed: frozenset[ErrorCode] = frozenset()


class StaffWorker:
    """Runs ``service``'s imports and rollbacks on one thread, one at a time; every outcome reaches
    ``on_event`` (from that thread) as ``BundleProgress`` … then ``BundleDone`` or ``BundleRefused``.

    The UI-thread methods only enqueue and return at once. A request while an operation runs is
    refused with ``BundleRefused(code=bundle-busy)``: staff see why, the running import goes on.
    Looking at the USB stick (``scan_usb``) runs on a second thread: a slow or hung mount never
    freezes the screen nor holds up a rollback, and an import never delays the stick's listing.
    """

    def __init__(self, service: StaffService, on_event: Callable[[Event], None], *,
                 name: str = "kiosk-staff") -> None:
        self.service = service
        self._on_event = on_event
        self._jobs: JobQueue[_Job] = JobQueue(self._handle, name=name, nice=WORKER_NICE)
        self._usb: JobQueue[Callable[[], None]] = JobQueue(self._on_usb, name=f"{name}-usb",
                                                           nice=WORKER_NICE)
        self._lock = threading.Lock()
        self._busy = False

    # ---- UI thread API (never blocks) -----------------------------------------------------------
    def import_bundle(self, path: Path | str, *, confirmed: frozenset[ErrorCode] = frozenset()) -> bool:
        """Import ``path`` and make it active; False (and ``BundleRefused``) when one already runs."""
        return self._submit(_Job(BundleOp.IMPORT, Path(path), confirmed))

    def rollback(self) -> bool:
        """Switch back to the previous version; False (and ``BundleRefused``) when one already runs."""
        return self._submit(_Job(BundleOp.ROLLBACK))

    def scan_usb(self, on_found: Callable[[list[FoundBundle]], None]) -> None:
        """Find the bundle files on the USB stick(s) and call ``on_found(files)`` with them, both on
        the USB thread (``on_found`` may read the files too, then hands its result to the UI thread)."""
        self.on_usb_thread(lambda: on_found(self._find()))

    def on_usb_thread(self, job: Callable[[], None]) -> None:
        """Run ``job`` on the USB thread, after the scans and reads asked for before it: anything that
        touches the stick (a hung mount blocks there, not on the screen). ``job`` hands its result to
        the UI thread itself; an exception it raises is logged."""
        with self._lock:
            if not self._usb.started:
                self._usb.start()
            self._usb.put(job)

    @property
    def busy(self) -> bool:
        with self._lock:
            return self._busy

    def wait_idle(self, timeout: float) -> bool:
        """For tests and scripts: wait until the queued operation and USB scan (if any) have reported."""
        with self._lock:
            queues = [q for q in (self._usb, self._jobs) if q.started]
        deadline = time.monotonic() + timeout
        return all(q.wait_idle(max(0.0, deadline - time.monotonic())) for q in queues)

    def stop(self, timeout: float = 0.0) -> bool:
        """End the thread after the running operation (an import cannot be interrupted; a half-done
        one is cleaned up at the next start). True when it ended within ``timeout``. The USB thread
        is told to stop and not waited for (a scan on a hung mount may never return)."""
        with self._lock:
            if self._usb.started:
                self._usb.stop(0.0)
            if not self._jobs.started:
                return True
        return self._jobs.stop(timeout)

    # ---- internals ------------------------------------------------------------------------------
    def _submit(self, job: _Job) -> bool:
        with self._lock:
            refused = self._busy
            if not refused:
                self._busy = True
                if not self._jobs.started:
                    self._jobs.start()
                self._jobs.put(job)
        if refused:
            log.info("bundle %s refused: another bundle operation is running", job.op)
            self._emit(BundleRefused(job.op, ErrorCode.BUNDLE_BUSY,
                                     "another bundle import or rollback is running"))
        return not refused

    def _emit(self, event: Event) -> None:
        try:
            self._on_event(event)
        except Exception:
            log.exception("staff event callback failed on %s", event.type)

    def _find(self) -> list[FoundBundle]:
        try:
            return self.service.find_bundles()
        except Exception:  # thread boundary: the screen still hears back (nothing found)
            log.exception("cannot look for bundle files under %s", self.service.settings.staff.usb_dir)
            return []

    def _on_usb(self, job: Callable[[], None]) -> None:
        try:
            job()
        except Exception:  # thread boundary: the USB thread goes on with the next job
            log.exception("USB job failed")

    def _handle(self, job: _Job) -> None:
        """Staff thread: run one operation (``_run`` turns every exception into an outcome)."""
        outcome = self._run(job)
        with self._lock:  # free before the outcome is announced: the next request is accepted
            self._busy = False
        self._emit(outcome)

    def _run(self, job: _Job) -> BundleDone | BundleRefused:
        last = (-1.0, "")

        def progress(phase: str, fraction: float) -> None:
            nonlocal last
            if phase != last[1] or fraction - last[0] >= PROGRESS_STEP:
                last = (fraction, phase)
                self._emit(BundleProgress(job.op, phase, min(1.0, max(0.0, fraction))))

        try:
            if job.op is BundleOp.IMPORT:
                assert job.path is not None
                done = self.service.import_bundle(job.path, progress, confirmed=job.confirmed)
            else:
                done = self.service.rollback()
        except KioskError as exc:
            log.warning("bundle %s refused: [%s] %s", job.op, exc.code, exc)
            note = exc.note if isinstance(exc, BundleError | NoRollbackError) else None
            return BundleRefused(job.op, exc.code, str(exc), note, getattr(exc, "confirmable", frozenset()))
        except Exception as exc:  # thread boundary: never die silently in the background
            log.exception("bundle %s crashed", job.op)
            return BundleRefused(job.op, ErrorCode.INTERNAL, f"{type(exc).__name__}: {exc}")
        log.info("bundle %s done: version %s (%d procedures)%s", job.op, done.version, done.record_count,
                 " unchanged" if done.unchanged else "")
        return done
