"""How the kiosk reaches the screen, and how the service stops it. No Kivy import at module level.

Display: ``plan_display`` (pure, table-tested) decides, from the environment and a probe of the X
server, how the Kivy window is created so that it fills the real display:

* ``x11`` without a window manager (the ``xinit`` kiosk): nothing would honour a full-screen request,
  so the window is created borderless at the screen's size at (0, 0).
* ``x11-wm`` (a desktop session): full screen ``auto``; the window manager sizes it.
* ``xwayland`` (a Wayland kiosk compositor such as ``cage``): Kivy's SDL2 wheel has no Wayland
  driver, so the kiosk draws through Xwayland; full screen ``auto`` at the output's size, the
  compositor places it. (``wayland``: an SDL2 built with Wayland, full screen ``auto``.)
* ``kmsdrm`` (the console, no display server): SDL's KMS/DRM driver, full screen on the first output.
* ``offscreen`` (tests, screenshots): left as configured.

Stop: SDL turns SIGTERM/SIGINT into a window-close request, which kiosk mode swallows (residents must
not close the kiosk). ``install_stop_signals`` tells SDL to leave the signals alone and stops the app
itself: ``App.stop`` (worker, pipeline, LLM child, audio streams, stores closed), with a watchdog that
ends the process with status 0 if closing takes longer than ``STOP_BUDGET_S``.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from types import FrameType

log = logging.getLogger(__name__)

STOP_BUDGET_S = 2.7  # systemd and the tests allow 3 s from SIGTERM to exit


@dataclass(frozen=True, slots=True)
class X11Screen:
    width: int
    height: int
    window_manager: bool


@dataclass(frozen=True, slots=True)
class DisplayPlan:
    session: str  # x11 | x11-wm | wayland | kmsdrm | offscreen | windowed
    fullscreen: str = "0"  # Kivy graphics.fullscreen
    borderless: bool = False
    size: tuple[int, int] | None = None
    position: tuple[int, int] | None = None
    video_driver: str | None = None  # SDL_VIDEODRIVER to set, None = leave as is


def plan_display(env: Mapping[str, str], fullscreen: bool,
                 probe_x11: Callable[[str], X11Screen | None]) -> DisplayPlan:
    """The window set-up for this session. ``probe_x11(display)`` asks the X server for its size."""
    driver = env.get("SDL_VIDEODRIVER", "").lower()
    if driver in ("offscreen", "dummy"):
        return DisplayPlan("offscreen")
    if not fullscreen:
        return DisplayPlan("windowed")
    if env.get("DISPLAY") and driver in ("", "x11"):
        # Under a Wayland compositor (cage) Kivy's SDL2 wheel has no Wayland driver: it draws
        # through Xwayland, whose root window is the output; the compositor is the window manager.
        on_wayland = bool(env.get("WAYLAND_DISPLAY"))
        screen = probe_x11(env["DISPLAY"])
        if screen is None:  # cannot ask the server: let SDL try full screen
            return DisplayPlan("xwayland" if on_wayland else "x11-wm", fullscreen="auto", borderless=True)
        size = (screen.width, screen.height)
        if screen.window_manager or on_wayland:
            return DisplayPlan("xwayland" if on_wayland else "x11-wm", fullscreen="auto",
                               borderless=True, size=size)
        return DisplayPlan("x11", fullscreen="0", borderless=True, size=size, position=(0, 0))
    if env.get("WAYLAND_DISPLAY") and driver in ("", "wayland"):
        return DisplayPlan("wayland", fullscreen="auto", borderless=True)
    if driver in ("", "kmsdrm"):
        return DisplayPlan("kmsdrm", fullscreen="auto", borderless=True, video_driver="kmsdrm")
    return DisplayPlan(driver, fullscreen="auto", borderless=True)


def probe_x11(display: str) -> X11Screen | None:
    """Size of the X screen and whether a window manager runs (EWMH ``_NET_SUPPORTING_WM_CHECK`` on
    the root window), through libX11 with ctypes. None when libX11 or the server is unavailable."""
    name = ctypes.util.find_library("X11")
    if name is None:
        return None
    try:
        x11 = ctypes.CDLL(name)
    except OSError:
        return None
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XDefaultScreen.argtypes = [ctypes.c_void_p]
    x11.XDisplayWidth.argtypes = x11.XDisplayHeight.argtypes = [ctypes.c_void_p, ctypes.c_int]
    x11.XDefaultRootWindow.restype = ctypes.c_ulong
    x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
    x11.XInternAtom.restype = ctypes.c_ulong
    x11.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    x11.XGetWindowProperty.argtypes = [
        ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_long, ctypes.c_long, ctypes.c_int,
        ctypes.c_ulong, ctypes.POINTER(ctypes.c_ulong), ctypes.POINTER(ctypes.c_int),
        ctypes.POINTER(ctypes.c_ulong), ctypes.POINTER(ctypes.c_ulong), ctypes.POINTER(ctypes.c_void_p)]
    x11.XFree.argtypes = [ctypes.c_void_p]
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    dpy = x11.XOpenDisplay(display.encode())
    if not dpy:
        return None
    try:
        scr = x11.XDefaultScreen(dpy)
        width, height = int(x11.XDisplayWidth(dpy, scr)), int(x11.XDisplayHeight(dpy, scr))
        atom = x11.XInternAtom(dpy, b"_NET_SUPPORTING_WM_CHECK", 1)
        wm = False
        if atom:
            typ, fmt = ctypes.c_ulong(), ctypes.c_int()
            n, after, data = ctypes.c_ulong(), ctypes.c_ulong(), ctypes.c_void_p()
            ok = x11.XGetWindowProperty(dpy, x11.XDefaultRootWindow(dpy), atom, 0, 1, 0, 0,
                                        ctypes.byref(typ), ctypes.byref(fmt), ctypes.byref(n),
                                        ctypes.byref(after), ctypes.byref(data))
            wm = ok == 0 and n.value > 0
            if data:
                x11.XFree(data)
        return X11Screen(width, height, wm)
    finally:
        x11.XCloseDisplay(dpy)


def apply_display_plan(plan: DisplayPlan, config: object, environ: MutableMapping[str, str]) -> None:
    """Write ``plan`` into Kivy's Config (before the window exists) and SDL's environment."""
    set_ = config.set  # type: ignore[attr-defined]
    if plan.session in ("offscreen", "windowed"):
        return
    if plan.video_driver:
        environ.setdefault("SDL_VIDEODRIVER", plan.video_driver)
    set_("graphics", "fullscreen", plan.fullscreen)
    set_("graphics", "borderless", "1" if plan.borderless else "0")
    if plan.size is not None:
        set_("graphics", "width", str(plan.size[0]))
        set_("graphics", "height", str(plan.size[1]))
    if plan.position is not None:
        set_("graphics", "position", "custom")
        set_("graphics", "left", str(plan.position[0]))
        set_("graphics", "top", str(plan.position[1]))
    log.info("display: %s session, window %s%s", plan.session,
             "x".join(map(str, plan.size)) if plan.size else "sized by the display",
             ", full screen" if plan.fullscreen != "0" else "")


class StopSignals:
    """SIGTERM/SIGINT/SIGHUP → ``stop()``; a watchdog ends the process if the orderly stop takes longer
    than ``budget_s``; a second signal ends it at once. Status 0 either way: the stop was asked for.

    The handler runs on the main thread between two bytecodes, possibly inside a logging call or a
    Kivy lock, so it only notes the time and wakes a watcher thread: logging or scheduling from the
    handler itself re-entered Kivy's stderr logger (a RecursionError loop that never exited)."""

    def __init__(self, stop: Callable[[], None], budget_s: float = STOP_BUDGET_S,
                 exit_: Callable[[int], None] = os._exit) -> None:
        self._stop = stop
        self.budget_s = budget_s
        self._exit = exit_
        self.requested_at: float | None = None
        self.signal_name = ""
        self._wake = threading.Event()
        self._cancelled = threading.Event()
        self.stopped = threading.Event()  # set once ``stop()`` has returned (tests)
        threading.Thread(target=self._watch, name="stop-watcher", daemon=True).start()

    def install(self, environ: MutableMapping[str, str] = os.environ) -> None:
        environ["SDL_NO_SIGNAL_HANDLERS"] = "1"  # SDL would turn them into a (swallowed) close request
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._on_signal)

    @property
    def requested(self) -> bool:
        return self.requested_at is not None

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if self.requested_at is not None:  # a second signal while stopping: leave now
            self._raw_exit(f"{signal.Signals(signum).name} again while stopping: exiting now")
            return
        self.signal_name = signal.Signals(signum).name
        self.requested_at = time.monotonic()
        self._wake.set()

    def _watch(self) -> None:
        self._wake.wait()
        if self._cancelled.is_set():
            return
        log.info("%s: stopping the kiosk", self.signal_name)
        try:
            self._stop()
        except Exception:
            log.exception("stopping the kiosk failed")
        self.stopped.set()
        if self._cancelled.wait(max(0.0, self.budget_s - self.elapsed())):
            return
        self._raw_exit(f"the kiosk did not stop within {self.budget_s:.1f} s of {self.signal_name}: "
                       "exiting anyway")

    def cancel(self) -> None:
        """The process is ending by itself: the watchdog stands down (no exit, no late log line)."""
        self._cancelled.set()
        self._wake.set()

    def elapsed(self) -> float:
        return 0.0 if self.requested_at is None else time.monotonic() - self.requested_at

    def remaining(self) -> float:
        return max(0.1, self.budget_s - self.elapsed())

    def _raw_exit(self, message: str) -> None:
        """Exit without taking any logging lock (the main thread may hold one forever): the message
        goes to the log from a helper thread given 0.2 s, and straight to stderr (the journal)."""
        writer = threading.Thread(target=log.warning, args=("%s", message), daemon=True)
        writer.start()
        writer.join(0.2)
        with contextlib.suppress(OSError):
            os.write(2, f"ward-kiosk: {message}\n".encode())
        self._exit(0)

    def hard_exit(self) -> None:
        """The orderly stop is done (UI thread, no lock held): flush the logs and leave."""
        logging.shutdown()
        sys.stderr.flush()
        self._exit(0)
