"""Kiosk mode: no way out without the admin gesture and the staff PIN; Escape/back and window close
are swallowed; full screen. Mixed into ``KioskApp`` (which provides ``settings``, ``clock``,
``gesture``, ``pin_gate``, ``pin_pad``, ``staff_available``, ``kiosk_mode``, ``worker`` and ``go``)."""

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
    go: Callable[[str], None]  # KioskApp.go: show a screen

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


def configure_kivy(settings: Settings) -> None:
    """Before the window exists: no Escape exit, no multitouch emulation dots, full screen."""
    Config.set("kivy", "exit_on_escape", "0")
    Config.set("input", "mouse", "mouse,disable_multitouch")
    if settings.ui.fullscreen:
        Config.set("graphics", "fullscreen", "auto")
        Config.set("graphics", "show_cursor", "0")
