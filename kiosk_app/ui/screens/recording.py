"""Staff recording page (issue 20, behind the staff PIN): one sentence in large type, a level meter,
Ghi / Dừng / Nghe lại / Giữ / Ghi lại / Bỏ qua / Xong, the take check's result in Vietnamese, and
"Xuất ra USB" for the kept takes. All logic is in ``kiosk_app.pipeline.recording_session``; this widget only
shows its state. Opening the session (reading the bundle) runs off the UI thread; every session
callback is posted back to it (``post``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk_app.core.settings import Settings
from kiosk_app.pipeline.recording_session import Phase, RecordingSession, open_for_kiosk
from kiosk_app.ui import widgets  # noqa: F401  (KLabel, KButton … rules)
from kiosk_app.ui.recording_messages import RECORDING_VI, takes_vi
from kiosk_app.ui.staff_messages import (
    REC_CHECKING_VI,
    REC_DONE_VI,
    REC_EXPORT_NONE_VI,
    REC_EXPORTED_VI,
    REC_GOOD_VI,
    REC_LOADING_VI,
    REC_NO_USB_VI,
    REC_OFFICE_NOTE_VI,
    REC_READY_VI,
    REC_RECORDING_VI,
    REC_USB_FAILED_VI,
    rec_count_vi,
)

log = logging.getLogger(__name__)


class RecordingScreen(Screen):
    controller = ObjectProperty(None, allownone=True)  # the app: go(name)
    sentence_text = StringProperty("")
    count_text = StringProperty("")
    status_text = StringProperty("")
    note_text = StringProperty(REC_OFFICE_NOTE_VI)
    level = NumericProperty(0.0)
    phase = StringProperty("")
    can_play = BooleanProperty(False)
    can_keep = BooleanProperty(False)

    def __init__(self, settings: Settings | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.settings = settings or Settings.model_validate({})
        self.session: RecordingSession | None = None
        self.post: Callable[[Callable[[], None]], None] = lambda fn: Clock.schedule_once(lambda _dt: fn(), 0)
        self.opener: Callable[[Settings, Callable[[], None]], RecordingSession] = open_for_kiosk
        self.usb_dir: Callable[[], Path | None] = self._mounted_stick

    # ---- life ------------------------------------------------------------------------------------
    def on_pre_enter(self, *args: object) -> None:
        self.open()

    def open(self, *, wait: bool = False) -> None:
        self.session = None
        self.phase, self.sentence_text, self.status_text = "", "", REC_LOADING_VI
        if wait:
            self._open()
        else:
            threading.Thread(target=self._open, name="recording-open", daemon=True).start()

    def _open(self) -> None:
        try:
            session = self.opener(self.settings, lambda: self.post(self.render))
        except Exception:  # thread boundary: the page says it, the kiosk goes on
            log.exception("cannot open the recording session")
            self.post(lambda: setattr(self, "status_text", "Không đọc được danh sách câu của gói dữ liệu."))
            return

        def ready() -> None:
            self.session = session
            self.render()
        self.post(ready)

    def on_leave(self, *args: object) -> None:
        if self.session is not None:
            self.session.close()

    # ---- showing the session's state -------------------------------------------------------------
    def render(self) -> None:
        s = self.session
        if s is None:
            return
        st = s.state
        was, self.phase = self.phase, st.phase.value
        self.level = st.level
        self.count_text = rec_count_vi(s.done_count, s.total)
        item = s.item
        text = item.text if item is not None else ""
        if text != self.sentence_text:  # a new sentence: show it from its first line
            self.sentence_text = text
            self.ids.scroll.scroll_y = 1
        self.can_play = st.phase is Phase.CHECKED
        self.can_keep = st.phase is Phase.CHECKED and st.result is not None and st.result.ok
        if st.error:
            self.status_text = RECORDING_VI.get(st.error, RECORDING_VI["take-failed"])
        elif st.phase is Phase.DONE:
            self.status_text = REC_DONE_VI
        elif st.phase is Phase.RECORDING:
            self.status_text = REC_RECORDING_VI
        elif st.phase is Phase.CHECKING:
            self.status_text = REC_CHECKING_VI
        elif st.phase is Phase.CHECKED and st.result is not None:
            r = st.result
            heard = f"\nMáy nghe thấy: “{r.heard}”" if r.ok and r.heard else ""
            self.status_text = (REC_GOOD_VI if r.ok else f"Chưa đạt: {takes_vi(r.findings)}") + heard
            if was != Phase.CHECKED.value:  # the result just came: bring it into view (small screens)
                Clock.schedule_once(lambda _dt: self.ids.scroll.scroll_to(self.ids.status_label), 0)
        else:
            pos = f"Câu {st.index + 1}/{len(s.items)} cần ghi"
            self.status_text = f"{pos} · {item.id if item else ''}\n{REC_READY_VI}"

    # ---- buttons ---------------------------------------------------------------------------------
    def on_record_press(self) -> None:
        if self.session is not None:
            self.session.record()
            self.render()

    def on_stop_press(self) -> None:
        if self.session is not None:
            self.session.stop()

    def on_play_press(self) -> None:
        if self.session is not None:
            self.session.play()

    def on_keep_press(self) -> None:
        if self.session is not None:
            self.session.keep()
            self.render()

    def on_again_press(self) -> None:
        if self.session is not None:
            self.session.again()
            self.render()

    def on_skip_press(self) -> None:
        if self.session is not None:
            self.session.skip()
            self.render()

    def on_export_press(self, *, wait: bool = False) -> None:
        """Copy the kept takes to the stick off the UI thread: finding the stick (listing the mounts)
        and writing to it may hang on a bad mount."""
        session = self.session
        if session is None:
            return

        def run() -> None:
            try:
                dest = self.usb_dir()
            except OSError as exc:
                log.warning("cannot look for a USB stick: %s", exc)
                dest = None
            if dest is None:
                self.post(lambda: setattr(self, "status_text", REC_NO_USB_VI))
                return
            try:
                n = session.export(dest)
            except OSError as exc:
                log.warning("take export to %s failed: %s", dest, exc)
                self.post(lambda: setattr(self, "status_text", REC_USB_FAILED_VI))
                return
            text = REC_EXPORTED_VI.format(n=n, dest=dest.name) if n else REC_EXPORT_NONE_VI
            self.post(lambda: setattr(self, "status_text", text))
        if wait:
            run()
        else:
            threading.Thread(target=run, name="recording-export", daemon=True).start()

    def on_close_press(self) -> None:
        if self.session is not None:
            self.session.close()
        if self.controller is not None:
            self.controller.go("staff")

    def _mounted_stick(self) -> Path | None:
        from kiosk_app.pipeline.staff import StaffService

        sticks = StaffService(self.settings).mounted_sticks()
        return sticks[0] if sticks else None


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
