"""Staff screen (behind the admin gesture + PIN, owned by the app): the active bundle, import from a USB
stick, rollback, the questions the kiosk could not answer, satisfaction per procedure, CSV export.

Imports and rollbacks run on the staff worker (``kiosk_app.pipeline.staff.StaffWorker``): a tap only
enqueues, the outcome comes back as typed events (``BundleProgress``, ``BundleDone``,
``BundleRefused``) to ``show`` on the UI thread, and the kiosk keeps answering from the active
bundle until the new one is switched in. Nothing is imported without a tap here, and the first tap on
"Nhập" / "Quay lại" only asks for confirmation. The stick's bundle is shown with its version and
creation date (read from its manifest, unverified until the import checks it; ``stick_preview``); of
several, the newest by that date is offered. A version anomaly (older than the active bundle, another
bundle id, a creation date after the kiosk clock) is imported only after a confirmation that names
it; a reused version with other content is refused outright. A feedback store that cannot be read
(sqlite errors) is reported on the screen, never raised. Text: ``kiosk_app.ui.staff_messages``
(Vietnamese, ward staff).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk_app.core.errors import ErrorCode
from kiosk_app.core.events import BundleDone, BundleOp, BundleProgress, BundleRefused, Event
from kiosk_app.core.settings import Settings
from kiosk_app.pipeline.staff import StaffService, StaffWorker
from kiosk_app.ui import widgets  # noqa: F401  (KLabel, KButton … rules)
from kiosk_app.ui.bundle_messages import staff_vi
from kiosk_app.ui.feedback_store import RATING_VI, REASONS_VI, FeedbackStore
from kiosk_app.ui.staff_messages import BUNDLE_PHASE_VI, BUNDLE_TAG_VI, STAFF_VI, bundle_error_vi, when_vi
from kiosk_app.ui.stick_preview import StickPreview

log = logging.getLogger(__name__)


class StaffScreen(Screen):
    controller = ObjectProperty(None, allownone=True)  # the app: go(name), reload_bundle()
    busy = BooleanProperty(False)
    progress = NumericProperty(0.0)  # 0..1 while importing
    status_text = StringProperty("")
    bundle_text = StringProperty("")
    date_text = StringProperty("")
    usb_text = StringProperty("")
    unanswered_text = StringProperty("")
    ratings_text = StringProperty("")
    can_import = BooleanProperty(False)
    can_rollback = BooleanProperty(False)
    confirm = StringProperty("")  # "", "import", "version" or "rollback": waiting for the next tap
    recording_text = StringProperty(STAFF_VI["recording"])  # + "(X/Y đã ghi)" once counted (issue 20)

    def __init__(self, settings: Settings | None = None, feedback: FeedbackStore | None = None,
                 jobs: StaffWorker | None = None, **kwargs: Any) -> None:
        """``jobs``: the app's staff worker (its events reach ``show`` through the app's router);
        without one the screen makes its own and posts its events to itself."""
        super().__init__(**kwargs)
        self.settings = settings or Settings.model_validate({})
        self.feedback = feedback
        self.usb_bundles: list[Any] = []
        self.stick = StickPreview(lambda: self.service)  # what the screen shows of each file found
        self._confirm_codes: frozenset[ErrorCode] = frozenset()  # what the "version" confirmation clears
        self.post: Callable[[Callable[[], None]], None] = lambda fn: Clock.schedule_once(lambda _dt: fn(), 0)
        self.jobs = jobs or StaffWorker(StaffService(self.settings), self.post_event)
        self._poll_event: Any = None
        self._scanning = False  # a USB scan is out (UI thread): one at a time, a hung mount holds one
        self._rescan = False  # asked for meanwhile: scan again when it is back (the state may have changed)
        self._checking: Any = None  # the stick file whose manifest the import tap reads off the UI thread
        self._exporting = False  # a CSV export is out on the USB thread (UI thread): one at a time

    @property
    def service(self) -> StaffService:
        """The bundle work for this kiosk (the quick reads run here; imports on ``jobs``)."""
        return self.jobs.service

    def post_event(self, ev: Event) -> None:
        """Any thread: hand a staff worker event to ``show`` on the UI thread."""
        self.post(lambda: self.show(ev))

    # ---- screen life ----------------------------------------------------------------------------
    def show(self, ev: Event) -> None:
        """UI thread: an import's progress, a bundle switched in, or why it was not."""
        if isinstance(ev, BundleProgress):
            self.progress = max(self.progress, min(1.0, ev.fraction))
            self.status_text = BUNDLE_PHASE_VI.get(ev.phase, ev.phase)
        elif isinstance(ev, BundleDone):
            self._on_done(ev)
        elif isinstance(ev, BundleRefused):
            self._on_refused(ev)

    def on_pre_enter(self, *args: object) -> None:
        self.confirm = ""
        self.refresh()
        self._poll_event = Clock.schedule_interval(lambda _dt: self.poll_usb(), 2.0)

    def on_leave(self, *args: object) -> None:
        if self._poll_event is not None:
            self._poll_event.cancel()
            self._poll_event = None

    def _feedback(self) -> FeedbackStore | None:
        if self.feedback is None:
            try:
                self.feedback = FeedbackStore(self.settings.data_dir,
                                              retention_days=self.settings.feedback.retention_days)
            except (OSError, sqlite3.Error) as exc:
                log.warning("feedback store unavailable: %s", exc)
        return self.feedback

    # ---- what the screen shows ------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read the bundle state, the USB stick and the feedback (cheap: no index is opened)."""
        st = self.service.status()
        cur = st.current
        if cur is None:
            self.bundle_text = STAFF_VI["no_bundle"]
            self.date_text = ""
        else:
            self.bundle_text = STAFF_VI["bundle"].format(
                title=cur.title or cur.bundle_id, kind=STAFF_VI["sample_kind"] if cur.sample else "",
                version=cur.version, count=cur.record_count)
            self.date_text = STAFF_VI["bundle_dates"].format(created=when_vi(cur.created),
                                                             imported=when_vi(cur.imported_at))
        self.can_rollback = st.previous is not None and not self.busy
        self.ids.rollback_button.text = (STAFF_VI["rollback"].format(version=st.previous.version)
                                         if st.previous else STAFF_VI["rollback_none"])
        self.poll_usb()
        self.count_recordings()
        fb = self._feedback()
        if fb is None:
            return
        try:
            rows = fb.unanswered(limit=30)
            counts = fb.ratings_by_procedure()
        except (OSError, sqlite3.Error) as exc:  # locked, corrupt or unreadable database file
            log.warning("feedback store cannot be read: %s: %s", type(exc).__name__, exc)
            self.unanswered_text = self.ratings_text = STAFF_VI["feedback_broken"]
            return
        self.unanswered_text = "\n".join(
            f"• {u.question}  ({REASONS_VI.get(u.reason, u.reason)}, {when_vi(u.at)})" for u in rows
        ) or STAFF_VI["unanswered_none"]
        self.ratings_text = "\n".join(
            f"• {c.procedure_id or STAFF_VI['unknown_procedure']}: {RATING_VI['hai-long']} {c.hai_long} · "
            f"{RATING_VI['binh-thuong']} {c.binh_thuong} · {RATING_VI['chua-hai-long']} {c.chua_hai_long}"
            for c in counts) or STAFF_VI["ratings_none"]

    def count_recordings(self, *, wait: bool = False) -> None:
        """"Ghi âm câu nói (X/Y đã ghi)": the bundle's recordings plus takes kept on this kiosk, counted
        off the UI thread (it reads the bundle's recordings index and probes the files)."""
        def run() -> None:
            from kiosk_app.pipeline.recording_session import open_for_kiosk
            from kiosk_app.ui.staff_messages import rec_count_vi

            try:
                s = open_for_kiosk(self.settings, lambda: None)
            except Exception as exc:  # thread boundary: keep the plain label
                log.warning("cannot count the recordings: %s", exc)
                return
            text = rec_count_vi(s.done_count, s.total)
            self.post(lambda: setattr(self, "recording_text", text))
        if wait:
            run()
        else:
            threading.Thread(target=run, name="recordings-count", daemon=True).start()

    def on_recording_press(self) -> None:
        if self.controller is not None and not self.busy:
            self.controller.go("recording")

    def poll_usb(self) -> None:
        """Look at the USB stick(s) off the UI thread (a slow or hung mount must not freeze the screen):
        the staff worker's USB thread finds the files and reads their manifests, ``_show_usb`` shows them."""
        if self._scanning:
            self._rescan = True
            return
        self._scanning = True
        self.jobs.scan_usb(self._scanned)

    def _scanned(self, found: list[Any]) -> None:
        """USB thread: read what the screen shows of each file (cached), then hand the files to the UI."""
        try:
            for b in found:
                self.stick.problems(b)  # reads the manifest too
        finally:
            self.post(lambda: self._show_usb(found))

    def _show_usb(self, found: list[Any]) -> None:
        """UI thread: the files a USB scan found (their manifests are cached by then)."""
        self._scanning = False
        if self._rescan:
            self._rescan = False
            self.poll_usb()
        self.usb_bundles = sorted(found, key=lambda b: self.stick.created(b) or "",  # stable: mtime
                                  reverse=True)
        if self.usb_bundles:
            b = self.usb_bundles[0]
            n = len(self.usb_bundles) - 1
            more = STAFF_VI["usb_more"].format(n=n) if n else ""
            self.usb_text = STAFF_VI["usb_found"].format(name=b.name, description=self.stick.describe(b),
                                                         more=more)
        else:
            self.usb_text = STAFF_VI["usb_none"].format(folder=self.settings.staff.usb_dir)
        self.can_import = bool(self.usb_bundles) and not self.busy
        if self.confirm not in ("import", "version"):
            self.ids.import_button.text = STAFF_VI["import" if self.usb_bundles else "import_no_usb"]

    # ---- actions --------------------------------------------------------------------------------
    def on_import_press(self) -> None:
        if self.busy:  # the button is disabled meanwhile; say why if a tap gets through anyway
            self.status_text = bundle_error_vi(ErrorCode.BUNDLE_BUSY)
            return
        if not self.usb_bundles:
            return
        b = self.usb_bundles[0]
        if self.confirm == "version":  # the confirmation of the anomalies the first tap named
            self.confirm = ""
            self.start_import(b.path, confirmed=self._confirm_codes)
            return
        if self.confirm != "import":
            if self._checking is not None:  # its version check is still reading the stick
                return
            if not self.stick.known(b):  # a cache miss reads the stick's manifest: not on the UI thread
                self._checking = b
                self.jobs.on_usb_thread(lambda: self._check(b))
                return
            self._first_tap(b)
            return
        self.confirm = ""
        self.start_import(b.path)

    def _check(self, b: Any) -> None:
        """USB thread: read ``b``'s manifest and version check into the caches, then answer the tap."""
        try:
            self.stick.problems(b)
        finally:
            self.post(lambda: self._checked(b))

    def _checked(self, b: Any) -> None:
        """UI thread: the import tap's version check is back; answer it unless the screen moved on."""
        self._checking = None
        if not self.busy and self.confirm not in ("import", "version") and self.usb_bundles[:1] == [b]:
            self._first_tap(b)

    def _first_tap(self, b: Any) -> None:
        """UI thread: the first import tap on ``b`` (cached): show it, refuse or ask to confirm."""
        problems = self.stick.problems(b)
        self.status_text = STAFF_VI["stick_bundle"].format(name=b.name, description=self.stick.describe(b))
        refused = [p for p in problems if not p.confirmable]
        if refused:  # nothing to confirm: say why and stay as before
            self.status_text = STAFF_VI["import_not"].format(name=b.name, reason=staff_vi(refused[0]))
            return
        self.confirm = "import"
        if problems:
            self.confirm, self._confirm_codes = "version", frozenset(p.code for p in problems)
            tags = ", ".join(BUNDLE_TAG_VI[p.code] for p in problems)
            button = STAFF_VI["import_confirm_version"]
            self.ids.import_button.text = button.format(name=b.name, tags=tags)
            self.status_text += "\n" + " ".join(staff_vi(p) for p in problems)
        else:
            self.ids.import_button.text = STAFF_VI["import_confirm"].format(name=b.name)

    def start_import(self, path: Path | str, *, confirmed: frozenset[ErrorCode] = frozenset()) -> None:
        """Hand the import to the staff worker and return at once; ``confirmed``: the version
        anomalies staff confirmed. Its progress and outcome come back to ``show``."""
        self._begin(STAFF_VI["import_starting"])
        self.jobs.import_bundle(path, confirmed=confirmed)

    def _begin(self, status: str) -> None:
        self.busy, self.can_import, self.can_rollback = True, False, False
        self.progress = 0.0
        self.status_text = status

    def _on_done(self, ev: BundleDone) -> None:
        self.busy = False
        activated = not ev.unchanged
        self.progress = 1.0 if activated else 0.0
        key = ("rollback_done" if ev.op is BundleOp.ROLLBACK else
               "import_done" if activated else "import_unchanged")
        self.status_text = STAFF_VI[key].format(version=ev.version, count=ev.record_count)
        self.refresh()
        if activated and self.controller is not None and hasattr(self.controller, "reload_bundle"):
            self.controller.reload_bundle()  # the pipeline switches between questions

    def _on_refused(self, ev: BundleRefused) -> None:
        reason = bundle_error_vi(ev.code, ev.note)
        if ev.code is ErrorCode.BUNDLE_BUSY:  # the running operation goes on and reports itself
            self.busy = self.busy or self.jobs.busy
            self.status_text = reason
            return
        self.busy = False
        self.progress = 0.0
        key = "rollback_refused" if ev.op is BundleOp.ROLLBACK else "import_refused"
        self.status_text = STAFF_VI[key].format(reason=reason)
        self.refresh()
        if ev.confirmable and self.usb_bundles:  # the next tap confirms what the refusal named
            self.confirm, self._confirm_codes = "version", ev.confirmable
            tags = ", ".join(BUNDLE_TAG_VI[c] for c in sorted(ev.confirmable))
            self.ids.import_button.text = STAFF_VI["import_confirm_refused"].format(tags=tags)

    def on_rollback_press(self) -> None:
        if self.busy or not self.can_rollback:
            return
        if self.confirm != "rollback":
            self.confirm = "rollback"
            self.ids.rollback_button.text = STAFF_VI["rollback_confirm"]
            return
        self.confirm = ""
        self._begin(STAFF_VI["rollback_running"])
        self.jobs.rollback()

    def export_dir(self, bundles: list[Any] | None = None) -> Path | None:
        """Where the CSV goes: the folder of the bundle file on the stick, else a mounted stick (this
        lists the mounts: call it off the UI thread)."""
        bundles = self.usb_bundles if bundles is None else bundles
        if bundles:
            return Path(bundles[0].path).parent
        sticks = self.service.mounted_sticks()
        return sticks[0] if sticks else None

    def on_export_press(self) -> None:
        """Export the feedback CSV to the stick on the USB thread (finding the stick and writing to it
        may hang on a bad mount); the outcome comes back to ``status_text``."""
        fb = self._feedback()
        if fb is None:
            self.status_text = STAFF_VI["export_no_usb"]
            return
        if self._exporting:
            return
        self._exporting = True
        bundles = list(self.usb_bundles)
        self.jobs.on_usb_thread(lambda: self._export(fb, bundles))

    def _export(self, fb: FeedbackStore, bundles: list[Any]) -> None:
        """USB thread: find the stick, write the CSV, post what staff see."""
        status = STAFF_VI["export_failed"]
        try:
            status = self._export_status(fb, bundles)
        finally:
            self.post(lambda: self._exported(status))

    def _export_status(self, fb: FeedbackStore, bundles: list[Any]) -> str:
        dest = self.export_dir(bundles)
        if dest is None:
            return STAFF_VI["export_no_usb"]
        try:
            path = fb.export_csv(dest)
        except sqlite3.Error as exc:
            log.warning("feedback store cannot be read for export: %s: %s", type(exc).__name__, exc)
            return STAFF_VI["feedback_broken"]
        except OSError as exc:
            log.warning("feedback export to %s failed: %s", dest, exc)
            return STAFF_VI["export_failed"]
        return STAFF_VI["export_done"].format(name=path.name)

    def _exported(self, status: str) -> None:
        self._exporting = False
        self.status_text = status

    def on_close_press(self) -> None:
        self.confirm = ""
        if self.controller is not None:
            self.controller.go("home")


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
