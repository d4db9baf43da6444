"""Kiosk mode: no way out without the admin gesture and the staff PIN; Escape/back and window close
are swallowed; full screen; after ``ui.idle_reset_s`` without a touch or event the kiosk goes back
to the start in Vietnamese. Mixed into ``KioskApp`` (which provides ``settings``, ``clock``, ``sm``,
``gesture``, ``pin_gate``, ``pin_pad``, ``staff_available``, ``kiosk_mode``, ``worker``, ``go`` and
``_show_language``)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from kivy.config import Config

from kiosk_app.settings import Settings
from kiosk_app.ui.theme import THEME

log = logging.getLogger(__name__)

KEY_ESCAPE, KEY_BACK = 27, 1001


class KioskModeMixin:
    settings: Settings
    clock: Any
    gesture: Any
    pin_gate: Any
    pin_pad: Any
    staff_available: bool
    kiosk_mode: bool
    worker: Any
    last_activity: float
    sm: Any  # the ScreenManager, None before build()
    go: Callable[[str], None]  # KioskApp.go: show a screen
    _show_language: Callable[[str], None]  # KioskApp._show_language: switch the screens' language

    def _on_touch(self, window: Any, touch: Any) -> bool:
        now = self.clock()
        self.last_activity = now
        if self.pin_gate.enabled and self.staff_available and self.gesture.tap(
                touch.x, touch.y, window.width, window.height, now):
            self.open_pin_pad()
        return False  # never swallow the touch

    def open_pin_pad(self) -> None:
        from kiosk_app.ui.widgets import PinPad

        pad = PinPad()
        pad.verify = self._check_pin
        pad.bind(on_dismiss=lambda *_: setattr(self, "pin_pad", None))
        self.pin_pad = pad
        pad.open()

    def _check_pin(self, pin: str) -> bool:
        now = self.clock()
        pad = self.pin_pad
        if self.pin_gate.locked(now):
            if pad is not None:
                pad.message = THEME.s["pin_locked"]
            return False
        if self.pin_gate.check(pin, now):
            log.info("staff screen opened")
            if self.worker is not None:
                self.worker.cancel()
            self.go("staff")
            return True
        log.warning("wrong staff PIN")
        if pad is not None:
            pad.message = THEME.s["pin_locked"] if self.pin_gate.locked(now) else THEME.s["pin_wrong"]
        return False

    def _on_key(self, window: Any, key: int, *args: Any) -> bool:
        if key in (KEY_ESCAPE, KEY_BACK):
            return self.kiosk_mode  # swallowed in kiosk mode: no way out without the admin gesture
        return False

    def _on_request_close(self, *args: Any) -> bool:
        return self.kiosk_mode

    def check_idle(self, now: float) -> bool:
        """Back to the start (and Vietnamese) after ``ui.idle_reset_s`` without a touch or event."""
        sm = self.sm
        if sm is None or now - self.last_activity < self.settings.ui.idle_reset_s:
            return False
        if sm.current == "error" and sm.get_screen("error").maintenance:
            return False
        if sm.current == "home" and THEME.lang == "vi":
            return False
        log.info("idle for %.0f s: back to the home screen", now - self.last_activity)
        if self.worker is not None:
            self.worker.new_conversation()
            self.worker.cancel()
        if self.pin_pad is not None:
            self.pin_pad.dismiss()
        self._show_language("vi")
        self.go("home")
        self.last_activity = now
        return True


def configure_kivy(settings: Settings) -> None:
    """Before the window exists: no Escape exit, no multitouch emulation dots, full screen."""
    Config.set("kivy", "exit_on_escape", "0")
    Config.set("input", "mouse", "mouse,disable_multitouch")
    if settings.ui.fullscreen:
        Config.set("graphics", "fullscreen", "auto")
        Config.set("graphics", "show_cursor", "0")
