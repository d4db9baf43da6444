"""Kiosk mode: no way out without the admin gesture and the staff PIN; Escape/back and window close
are swallowed; full screen; after ``ui.idle_reset_s`` without a touch or event the kiosk goes back
to the start in Vietnamese."""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Callable, MutableMapping
from typing import Any

from kivy.config import Config

from kiosk_app.core.settings import Settings
from kiosk_app.ui.admin import AdminGesture, PinGate
from kiosk_app.ui.controller import Controller
from kiosk_app.ui.session import DisplayPlan, apply_display_plan, plan_display, probe_x11
from kiosk_app.ui.state import UiState
from kiosk_app.ui.theme import THEME

log = logging.getLogger(__name__)

KEY_ESCAPE, KEY_BACK = 27, 1001


class KioskMode:
    """``locked`` (``ui.fullscreen``): Escape/back and window close are swallowed. ``stopping``: the
    service's stop request (``kiosk_app.ui.session.StopSignals``), which may close the window."""

    def __init__(self, settings: Settings, state: UiState, controller: Controller,
                 clock: Callable[[], float]) -> None:
        self.settings = settings
        self.state = state
        self.controller = controller
        self.clock = clock
        self.gesture = AdminGesture()
        self.pin_gate = PinGate(settings.staff.pin_hash,
                                state_path=settings.data_dir / "staff" / "pin-state.json")
        self.pin_pad: Any = None
        self._pin_checking = False
        self.staff_available = False  # the staff screen was built (a PIN is provisioned)
        self.locked = settings.ui.fullscreen
        self.stopping: Any = None

    def on_touch(self, window: Any, touch: Any) -> bool:
        now = self.clock()
        self.state.last_activity = now
        if self.pin_gate.enabled and self.staff_available and self.gesture.tap(
                touch.x, touch.y, window.width, window.height, now):
            self.open_pin_pad()
        return False  # never swallow the touch

    def open_pin_pad(self) -> None:
        from kiosk_app.ui.widgets import PinPad

        pad = PinPad()
        pad.verify = self.check_pin
        pad.bind(on_dismiss=lambda *_: setattr(self, "pin_pad", None))
        self.pin_pad = pad
        pad.open()

    def check_pin(self, pin: str) -> bool:
        """PinPad's OK. The memory-hard hash takes ~0.5-1 s on a Pi: it runs on a thread and the
        answer comes back through the Clock (``_pin_checked``); the pad shows "checking" meanwhile.
        The lockout uses wall-clock time, so it survives a restart."""
        now = time.time()
        pad = self.pin_pad
        if self._pin_checking:
            return False
        if self.pin_gate.locked(now):
            if pad is not None:
                pad.message = _locked_message(self.pin_gate.remaining(now))
            return False
        self._pin_checking = True
        if pad is not None:
            pad.message = THEME.s.get("pin_checking", "…")
        threading.Thread(target=self._verify_pin_off_ui, args=(pin,), name="pin-check", daemon=True).start()
        return False

    def _verify_pin_off_ui(self, pin: str) -> None:
        from kivy.clock import Clock

        try:
            ok = self.pin_gate.check(pin, time.time())
        except Exception:  # never leave the pad "checking"
            log.exception("staff PIN check failed")
            ok = False
        Clock.schedule_once(lambda _dt: self._pin_checked(ok), 0)

    def _pin_checked(self, ok: bool) -> None:
        self._pin_checking = False
        pad = self.pin_pad
        if ok:
            log.info("staff screen opened")
            if self.state.worker is not None:
                self.state.worker.cancel()
            if pad is not None:
                pad.dismiss()
            self.controller.go("staff")
            return
        log.warning("wrong staff PIN")
        now = time.time()
        if pad is not None:
            pad.message = (_locked_message(self.pin_gate.remaining(now)) if self.pin_gate.locked(now)
                           else THEME.s["pin_wrong"])

    def on_key(self, window: Any, key: int, *args: Any) -> bool:
        if key in (KEY_ESCAPE, KEY_BACK):
            return self.locked  # swallowed in kiosk mode: no way out without the admin gesture
        return False

    def on_request_close(self, *args: Any, **kwargs: Any) -> bool:
        """Window close (window manager's close button, Alt+F4): swallowed in kiosk mode, unless the
        service asked the kiosk to stop (SIGTERM/SIGINT, ``kiosk_app.ui.session.StopSignals``)."""
        if self.stopping is not None and self.stopping.requested:
            return False
        return self.locked

    def check_idle(self, now: float) -> bool:
        """Back to the start (and Vietnamese) after ``ui.idle_reset_s`` without a touch or event."""
        sm = self.state.sm
        if sm is None or now - self.state.last_activity < self.settings.ui.idle_reset_s:
            return False
        if sm.current == "error" and sm.get_screen("error").maintenance:
            return False
        if sm.current == "home" and THEME.lang == "vi":
            return False
        log.info("idle for %.0f s: back to the home screen", now - self.state.last_activity)
        if self.state.worker is not None:
            self.state.worker.new_conversation()
            self.state.worker.cancel()
        if self.pin_pad is not None:
            self.pin_pad.dismiss()
        self.controller.show_language("vi")
        self.controller.go("home")
        self.state.last_activity = now
        return True


def _locked_message(seconds: float) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return str(THEME.s.get("pin_locked_min", THEME.s["pin_locked"])).format(n=minutes)


def configure_kivy(settings: Settings, environ: MutableMapping[str, str] | None = None) -> DisplayPlan:
    """Before the window exists: no Escape exit, no multitouch emulation dots, and a window that
    fills the real display in this session (``kiosk_app.ui.session.plan_display``)."""
    env = os.environ if environ is None else environ
    Config.set("kivy", "exit_on_escape", "0")
    Config.set("input", "mouse", "mouse,disable_multitouch")
    plan = plan_display(env, settings.ui.fullscreen, probe_x11)
    apply_display_plan(plan, Config, env)
    if settings.ui.fullscreen:
        Config.set("graphics", "show_cursor", "0")
    return plan
