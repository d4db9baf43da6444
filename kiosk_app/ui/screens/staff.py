"""Staff screen (behind the admin gesture + PIN, owned by the app): the active bundle, import from a USB
stick, rollback, the questions the kiosk could not answer, satisfaction per procedure, CSV export.

The bundle work is ``kiosk_app.pipeline.staff.StaffService``'s; the import runs in a background
thread, its progress and result come back to the UI thread through ``post`` (``Clock.schedule_once``).
Nothing is imported without a tap here, and the first tap on "Nhập" / "Quay lại" only asks for
confirmation. The stick's bundle is shown with its version and creation date (read from its
manifest, unverified until the import checks it); of several, the newest by that date is offered. A
version anomaly (older than the active bundle, another bundle id, a creation date after the kiosk
clock) is imported only after a confirmation that names it; a reused version with other content is
refused outright. A feedback store that cannot be read (sqlite errors) is reported on the screen,
never raised. Text is Vietnamese (ward staff).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk_app.core.errors import ErrorCode, KioskError
from kiosk_app.core.events import Event
from kiosk_app.core.settings import Settings
from kiosk_app.pipeline.staff import StaffService
from kiosk_app.ui import widgets  # noqa: F401  (KLabel, KButton … rules)
from kiosk_app.ui.feedback_store import RATING_VI, REASONS_VI, FeedbackStore

log = logging.getLogger(__name__)

PHASE_VI = {"read": "Đang đọc và kiểm tra gói…", "copy": "Đang chép dữ liệu…",
            "index": "Đang tạo chỉ mục tìm kiếm…", "smoke": "Đang kiểm tra thử…",
            "activate": "Đang chuyển sang gói mới…"}


FEEDBACK_BROKEN_VI = ("Không đọc được dữ liệu phản hồi trên máy (tệp bị khóa hoặc hỏng). "
                      "Xin báo kỹ thuật viên.")


def _when(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%d/%m/%Y %H:%M")
    except ValueError:
        return iso or "?"


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
    recording_text = StringProperty("Ghi âm câu nói")  # + "(X/Y đã ghi)" once counted (issue 20)

    def __init__(self, settings: Settings | None = None, feedback: FeedbackStore | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.settings = settings or Settings.model_validate({})
        self.feedback = feedback
        self.usb_bundles: list[Any] = []
        self._peeks: dict[tuple[str, int, float], Any] = {}  # (path, size, mtime) -> Manifest | str
        self._confirm_codes: frozenset[ErrorCode] = frozenset()  # what the "version" confirmation clears
        self._problem_cache: dict[tuple[str, int, float, str | None], list[Any]] = {}
        self.import_kwargs: dict[str, Any] = {}  # tests pass a fast indexer here
        self.post: Callable[[Callable[[], None]], None] = lambda fn: Clock.schedule_once(lambda _dt: fn(), 0)
        self._poll_event: Any = None

    @property
    def service(self) -> StaffService:
        """The bundle work for the current ``settings``."""
        return StaffService(self.settings)

    # ---- screen life ----------------------------------------------------------------------------
    def show(self, ev: Event) -> None:
        return None

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
            self.bundle_text = "Chưa có gói dữ liệu nào đang dùng."
            self.date_text = ""
        else:
            kind = " (dữ liệu mẫu)" if cur.sample else ""
            self.bundle_text = (f"Gói đang dùng: {cur.title or cur.bundle_id}{kind} · "
                                f"phiên bản {cur.version} · {cur.record_count} thủ tục")
            self.date_text = f"Tạo ngày {_when(cur.created)} · nhập vào máy {_when(cur.imported_at)}"
        self.can_rollback = st.previous is not None and not self.busy
        self.ids.rollback_button.text = (f"Quay lại phiên bản trước ({st.previous.version})" if st.previous
                                         else "Không có phiên bản trước")
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
            self.unanswered_text = self.ratings_text = FEEDBACK_BROKEN_VI
            return
        self.unanswered_text = "\n".join(
            f"• {u.question}  ({REASONS_VI.get(u.reason, u.reason)}, {_when(u.at)})" for u in rows
        ) or "Chưa có câu hỏi nào."
        self.ratings_text = "\n".join(
            f"• {c.procedure_id or '(không rõ thủ tục)'}: {RATING_VI['hai-long']} {c.hai_long} · "
            f"{RATING_VI['binh-thuong']} {c.binh_thuong} · {RATING_VI['chua-hai-long']} {c.chua_hai_long}"
            for c in counts) or "Chưa có đánh giá nào."

    def count_recordings(self, *, wait: bool = False) -> None:
        """"Ghi âm câu nói (X/Y đã ghi)": the bundle's recordings plus takes kept on this kiosk, counted
        off the UI thread (it reads the bundle's recordings index and probes the files)."""
        def run() -> None:
            from kiosk_app.pipeline.recording_session import open_for_kiosk
            from kiosk_app.ui.messages import rec_count_vi

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
        found = self.service.find_bundles()
        self.usb_bundles = sorted(found, key=lambda b: self._created(b) or "", reverse=True)  # stable: mtime
        if self.usb_bundles:
            b = self.usb_bundles[0]
            more = f" (và {len(self.usb_bundles) - 1} tệp khác)" if len(self.usb_bundles) > 1 else ""
            self.usb_text = f"Trên USB: {b.name} · {self.describe(b)}{more}"
        else:
            self.usb_text = f"Chưa thấy tệp .wkb trên USB (thư mục {self.settings.staff.usb_dir})."
        self.can_import = bool(self.usb_bundles) and not self.busy
        if self.confirm not in ("import", "version"):
            self.ids.import_button.text = "Nhập gói từ USB" if self.usb_bundles else "Chưa có USB"

    def _peek(self, b: Any) -> Any:
        """The bundle file's manifest (cached per path, size and mtime), or the reason it cannot be read."""
        from kiosk_app.core.errors import BundleError

        key = (str(b.path), b.size, b.mtime)
        if key not in self._peeks:
            try:
                self._peeks[key] = self.service.peek(b.path)
            except BundleError as exc:
                log.info("cannot preview %s: %s", b.name, exc)
                self._peeks[key] = "không đọc được phiên bản (tệp hỏng?)"
        return self._peeks[key]

    def _created(self, b: Any) -> str:
        m = self._peek(b)
        return m.created.isoformat() if not isinstance(m, str) else ""

    def _problems(self, b: Any) -> list[Any]:
        """The version anomalies importing ``b`` would meet, from its manifest alone; [] when it cannot be
        read (the import then says why)."""
        from kiosk_app.core.errors import BundleError

        if isinstance(self._peek(b), str):
            return []
        key = (str(b.path), b.size, b.mtime, self.service.active_target())
        if key not in self._problem_cache:  # the stick is polled every 2 s: decide once per file and state
            try:
                self._problem_cache[key] = self.service.preview_problems(b.path)
            except (BundleError, OSError) as exc:
                log.info("cannot check the version of %s: %s", b.name, exc)
                self._problem_cache[key] = []
        return list(self._problem_cache[key])

    def describe(self, b: Any) -> str:
        """"phiên bản 2 · tạo 01/12/2026 10:30 · 3 thủ tục" (+ "CŨ HƠN gói đang dùng") for a found file."""
        m = self._peek(b)
        if isinstance(m, str):
            return m
        tags = "".join(f" · {self.service.short_vi(p.code)}" for p in self._problems(b))
        return (f"phiên bản {m.version} · tạo {_when(m.created.isoformat())} · "
                f"{m.record_count} thủ tục{tags}")

    # ---- actions --------------------------------------------------------------------------------
    def on_import_press(self) -> None:
        if self.busy or not self.usb_bundles:
            return
        b = self.usb_bundles[0]
        if self.confirm == "version":  # the confirmation of the anomalies the first tap named
            self.confirm = ""
            self.start_import(b.path, confirmed=self._confirm_codes)
            return
        if self.confirm != "import":
            problems = self._problems(b)
            self.status_text = f"Gói trên USB: {b.name} · {self.describe(b)}"
            refused = [p for p in problems if not p.confirmable]
            if refused:  # nothing to confirm: say why and stay as before
                self.status_text = f"Không nhập {b.name}: {refused[0].message_vi}"
                return
            self.confirm = "import"
            if problems:
                self.confirm, self._confirm_codes = "version", frozenset(p.code for p in problems)
                tags = ", ".join(self.service.short_vi(p.code) for p in problems)
                self.ids.import_button.text = f"Gói {b.name} {tags}. Bấm lần nữa để VẪN nhập"
                self.status_text += "\n" + " ".join(p.message_vi for p in problems)
            else:
                self.ids.import_button.text = f"Bấm lần nữa để nhập {b.name}"
            return
        self.confirm = ""
        self.start_import(b.path)

    def start_import(self, path: Path | str, *, wait: bool = False, allow_downgrade: bool = False,
                     confirmed: frozenset[ErrorCode] = frozenset()) -> None:
        """Import in a background thread (``wait=True``: in this thread, for tests). ``confirmed``:
        the version anomalies staff confirmed (``allow_downgrade``: the downgrade)."""
        self.busy, self.can_import, self.can_rollback = True, False, False
        self.progress = 0.0
        self.status_text = "Đang bắt đầu nhập…"
        allowed = confirmed | ({ErrorCode.BUNDLE_DOWNGRADE} if allow_downgrade else frozenset())
        if wait:
            self._run_import(path, allowed)
        else:
            threading.Thread(target=self._run_import, args=(path, allowed), name="bundle-import",
                             daemon=True).start()

    def _run_import(self, path: Path | str, confirmed: frozenset[ErrorCode] = frozenset()) -> None:
        message_vi = self.service.message_vi

        def progress(phase: str, frac: float) -> None:
            self.post(lambda: self._on_progress(phase, frac))

        try:
            res = self.service.import_bundle(path, progress, confirmed=confirmed, **self.import_kwargs)
        except KioskError as exc:
            log.warning("bundle import from the staff screen refused: %s", exc)
            text = message_vi(exc)
            codes: frozenset[ErrorCode] = getattr(exc, "confirmable", frozenset())
            self.post(lambda: self._on_done(f"Không nhập: {text}", ok=False, confirm=codes))
            return
        except Exception as exc:  # thread boundary: never die silently in the background
            log.exception("bundle import crashed")
            text = message_vi(exc)
            self.post(lambda: self._on_done(f"Không nhập: {text}", ok=False))
            return
        msg = (f"Gói {res.info.version} đang được dùng rồi." if res.unchanged else
               f"Đã nhập và dùng gói {res.info.version} ({res.info.record_count} thủ tục).")
        self.post(lambda: self._on_done(msg, ok=not res.unchanged))

    def _on_progress(self, phase: str, frac: float) -> None:
        self.progress = max(self.progress, min(1.0, frac))
        self.status_text = PHASE_VI.get(phase, phase)

    def _on_done(self, message: str, *, ok: bool, confirm: frozenset[ErrorCode] = frozenset()) -> None:
        self.busy = False
        self.progress = 1.0 if ok else 0.0
        self.status_text = message
        self.refresh()
        if confirm and self.usb_bundles:  # the next tap confirms what the refusal named
            self.confirm, self._confirm_codes = "version", confirm
            tags = ", ".join(self.service.short_vi(c) for c in sorted(confirm))
            self.ids.import_button.text = f"Bấm để xác nhận VẪN nhập gói này ({tags})"
        if ok and self.controller is not None and hasattr(self.controller, "reload_bundle"):
            self.controller.reload_bundle()

    def on_rollback_press(self) -> None:
        if self.busy or not self.can_rollback:
            return
        if self.confirm != "rollback":
            self.confirm = "rollback"
            self.ids.rollback_button.text = "Bấm lần nữa để quay lại phiên bản trước"
            return
        self.confirm = ""
        try:
            info = self.service.rollback()
        except KioskError as exc:
            self.status_text = f"Không quay lại được: {self.service.message_vi(exc)}"
            self.refresh()
            return
        self.status_text = f"Đã quay lại gói {info.version} ({info.record_count} thủ tục)."
        self.refresh()
        if self.controller is not None and hasattr(self.controller, "reload_bundle"):
            self.controller.reload_bundle()

    def export_dir(self) -> Path | None:
        """Where the CSV goes: the folder of the bundle file on the stick, else a mounted stick."""
        if self.usb_bundles:
            return Path(self.usb_bundles[0].path).parent
        sticks = self.service.mounted_sticks()
        return sticks[0] if sticks else None

    def on_export_press(self) -> None:
        fb, dest = self._feedback(), self.export_dir()
        if fb is None or dest is None:
            self.status_text = "Chưa thấy USB để xuất phản hồi. Cắm USB rồi thử lại."
            return
        try:
            path = fb.export_csv(dest)
        except sqlite3.Error as exc:
            log.warning("feedback store cannot be read for export: %s: %s", type(exc).__name__, exc)
            self.status_text = FEEDBACK_BROKEN_VI
            return
        except OSError as exc:
            log.warning("feedback export to %s failed: %s", dest, exc)
            self.status_text = "Không ghi được lên USB (USB đầy hoặc chỉ đọc?)."
            return
        self.status_text = f"Đã xuất phản hồi ra USB: {path.name}"

    def on_close_press(self) -> None:
        self.confirm = ""
        if self.controller is not None:
            self.controller.go("home")


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
