"""Staff screen (behind the admin gesture + PIN, owned by the app): the active bundle, import from a USB
stick, rollback, the questions the kiosk could not answer, satisfaction per procedure, CSV export.

The import runs in a background thread (``knowledge.importer``); progress and the result come back to
the UI thread through ``post`` (``Clock.schedule_once``). Nothing is imported without a tap here, and
the first tap on "Nhập" / "Quay lại" only asks for confirmation. Text is Vietnamese (ward staff).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk_app.errors import KioskError
from kiosk_app.events import Event
from kiosk_app.feedback import RATING_VI, REASONS_VI, FeedbackStore
from kiosk_app.settings import Settings
from kiosk_app.ui import widgets  # noqa: F401  (KLabel, KButton … rules)

log = logging.getLogger(__name__)

PHASE_VI = {"read": "Đang đọc và kiểm tra gói…", "copy": "Đang chép dữ liệu…",
            "index": "Đang tạo chỉ mục tìm kiếm…", "smoke": "Đang kiểm tra thử…",
            "activate": "Đang chuyển sang gói mới…"}


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
    confirm = StringProperty("")  # "", "import" or "rollback": waiting for the second tap

    def __init__(self, settings: Settings | None = None, feedback: FeedbackStore | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.settings = settings or Settings.model_validate({})
        self.feedback = feedback
        self.usb_bundles: list[Any] = []
        self.import_kwargs: dict[str, Any] = {}  # tests pass a fast indexer here
        self.post: Callable[[Callable[[], None]], None] = lambda fn: Clock.schedule_once(lambda _dt: fn(), 0)
        self._poll_event: Any = None

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
                self.feedback = FeedbackStore(self.settings.data_dir)
            except OSError as exc:
                log.warning("feedback store unavailable: %s", exc)
        return self.feedback

    # ---- what the screen shows ------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read the bundle state, the USB stick and the feedback (cheap: no index is opened)."""
        from knowledge.versions import status

        st = status(self.settings)
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
        fb = self._feedback()
        if fb is not None:
            rows = fb.unanswered(limit=30)
            self.unanswered_text = "\n".join(
                f"• {u.question}  ({REASONS_VI.get(u.reason, u.reason)}, {_when(u.at)})" for u in rows
            ) or "Chưa có câu hỏi nào."
            counts = fb.ratings_by_procedure()
            self.ratings_text = "\n".join(
                f"• {c.procedure_id or '(không rõ thủ tục)'}: {RATING_VI['hai-long']} {c.hai_long} · "
                f"{RATING_VI['binh-thuong']} {c.binh_thuong} · {RATING_VI['chua-hai-long']} {c.chua_hai_long}"
                for c in counts) or "Chưa có đánh giá nào."

    def poll_usb(self) -> None:
        from knowledge.usbwatch import find_bundles

        self.usb_bundles = find_bundles(self.settings.staff.usb_dir)
        if self.usb_bundles:
            b = self.usb_bundles[0]
            more = f" (và {len(self.usb_bundles) - 1} tệp khác)" if len(self.usb_bundles) > 1 else ""
            self.usb_text = f"Trên USB: {b.name}{more}"
        else:
            self.usb_text = f"Chưa thấy tệp .wkb trên USB (thư mục {self.settings.staff.usb_dir})."
        self.can_import = bool(self.usb_bundles) and not self.busy
        if self.confirm != "import":
            self.ids.import_button.text = "Nhập gói từ USB" if self.usb_bundles else "Chưa có USB"

    # ---- actions --------------------------------------------------------------------------------
    def on_import_press(self) -> None:
        if self.busy or not self.usb_bundles:
            return
        if self.confirm != "import":
            self.confirm = "import"
            self.ids.import_button.text = f"Bấm lần nữa để nhập {self.usb_bundles[0].name}"
            return
        self.confirm = ""
        self.start_import(self.usb_bundles[0].path)

    def start_import(self, path: Path | str, *, wait: bool = False) -> None:
        """Import in a background thread (``wait=True``: in this thread, for tests)."""
        self.busy, self.can_import, self.can_rollback = True, False, False
        self.progress = 0.0
        self.status_text = "Đang bắt đầu nhập…"
        if wait:
            self._run_import(path)
        else:
            threading.Thread(target=self._run_import, args=(path,), name="bundle-import", daemon=True).start()

    def _run_import(self, path: Path | str) -> None:
        from knowledge.importer import PHASES, import_bundle, message_vi

        def progress(phase: str, done: int, total: int) -> None:
            i = PHASES.index(phase) if phase in PHASES else 0
            frac = (i + (done / total if total else 0)) / len(PHASES)
            self.post(lambda: self._on_progress(phase, frac))

        try:
            res = import_bundle(path, self.settings, progress, **self.import_kwargs)
        except KioskError as exc:
            log.warning("bundle import from the staff screen refused: %s", exc)
            text = message_vi(exc)
            self.post(lambda: self._on_done(f"Không nhập: {text}", ok=False))
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

    def _on_done(self, message: str, *, ok: bool) -> None:
        self.busy = False
        self.progress = 1.0 if ok else 0.0
        self.status_text = message
        self.refresh()
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
        from knowledge.importer import message_vi, rollback

        try:
            info = rollback(self.settings)
        except KioskError as exc:
            self.status_text = f"Không quay lại được: {message_vi(exc)}"
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
        from knowledge.usbwatch import mounted_sticks

        sticks = mounted_sticks(self.settings.staff.usb_dir)
        return sticks[0] if sticks else None

    def on_export_press(self) -> None:
        fb, dest = self._feedback(), self.export_dir()
        if fb is None or dest is None:
            self.status_text = "Chưa thấy USB để xuất phản hồi. Cắm USB rồi thử lại."
            return
        try:
            path = fb.export_csv(dest)
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
