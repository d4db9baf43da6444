"""A real X server (Xvfb, no window manager) and the real kiosk process on it, for system tests.
(``tests/system/sessions.py`` adds a window manager or a Wayland kiosk compositor on top.)

The X requests a resident's hands or a window manager would make are sent with libX11/libXtst
through ctypes: the window's geometry, a WM_DELETE_WINDOW close request, an Escape key press.
Screenshots come from the X server itself (Pillow's ImageGrab with its XCB support).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.needs import missing

REPO = Path(__file__).resolve().parents[2]


def require(*tools: str) -> None:
    """Skip when a program (or libX11) is missing, but fail where the packages must be there: under
    scripts/test.sh (CI), which installs them first, a skip would hide a display test that never ran."""
    __tracebackhide__ = True
    gone = [t for t in tools if shutil.which(t) is None]
    if ctypes.util.find_library("X11") is None:
        gone.append("libX11")
    if gone:
        missing(f"{', '.join(gone)} not installed (scripts/test.sh installs the test packages)")


@contextlib.contextmanager
def xvfb(width: int, height: int) -> Iterator[str]:
    """Start Xvfb on a free display number; yield ":N"."""
    r, w = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(w), "-screen", "0", f"{width}x{height}x24",
                             "-nolisten", "tcp", "-noreset"], pass_fds=(w,),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(w)
    try:
        with os.fdopen(r) as f:
            number = f.readline().strip()
        if not number:
            raise RuntimeError("Xvfb did not start")
        yield f":{number}"
    finally:
        proc.terminate()
        proc.wait(10)


@dataclass
class Kiosk:
    proc: subprocess.Popen[bytes]
    log: Path
    out: Path
    log_start: int = 0  # the log file is shared by every run on the data folder: read only ours

    def log_text(self) -> str:
        if not self.log.is_file():
            return ""
        with self.log.open("rb") as f:
            f.seek(self.log_start)
            return f.read().decode("utf-8", "replace")

    def wait_log(self, text: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log_text():
                return True
            if self.proc.poll() is not None:
                return False
            time.sleep(0.1)
        return False

    def stop_by(self, sig: int, timeout: float = 10.0) -> tuple[int | None, float]:
        """Send ``sig``; (exit status or None if still running after ``timeout``, seconds to exit)."""
        t0 = time.monotonic()
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None, time.monotonic() - t0
        return rc, time.monotonic() - t0

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)


def kiosk_env(display: str, config: Path, kivy_home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("KIOSK_", "SDL_", "KIVY_", "WAYLAND_"))}
    env.update(DISPLAY=display, KIOSK_CONFIG=str(config), KIVY_HOME=str(kivy_home), KIVY_NO_ARGS="1",
               KIVY_CLIPBOARD="dummy", ANONYMIZED_TELEMETRY="False", PYTHONPATH=str(REPO))
    return env


def start_kiosk(display: str, config: Path, data_dir: Path, workdir: Path,
                extra_env: dict[str, str] | None = None) -> Kiosk:
    out = workdir / "kiosk.out"
    log = data_dir / "logs" / "kiosk.log"
    start = log.stat().st_size if log.is_file() else 0
    proc = subprocess.Popen([sys.executable, "-m", "kiosk_app"], cwd=REPO,
                            env={**kiosk_env(display, config, workdir / "kivy"), **(extra_env or {})},
                            stdout=out.open("wb"), stderr=subprocess.STDOUT)
    return Kiosk(proc, log, out, start)


# ---- libX11 / libXtst through ctypes -------------------------------------------------------------
class _XClientMessage(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("serial", ctypes.c_ulong), ("send_event", ctypes.c_int),
                ("display", ctypes.c_void_p), ("window", ctypes.c_ulong), ("message_type", ctypes.c_ulong),
                ("format", ctypes.c_int), ("data", ctypes.c_long * 5)]


class _XEvent(ctypes.Union):
    _fields_ = [("xclient", _XClientMessage), ("pad", ctypes.c_long * 24)]


_ERROR_HANDLER = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
_IGNORE_X_ERRORS = _ERROR_HANDLER(lambda _dpy, _event: 0)  # kept referenced: Xlib calls it later


class X:
    """A client connection to the test's X server."""

    def __init__(self, display: str) -> None:
        self.x = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
        x = self.x
        x.XOpenDisplay.restype = ctypes.c_void_p
        x.XOpenDisplay.argtypes = [ctypes.c_char_p]
        x.XDefaultRootWindow.restype = ctypes.c_ulong
        x.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        ulong_p = ctypes.POINTER(ctypes.c_ulong)
        x.XQueryTree.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ulong_p, ulong_p,
                                 ctypes.POINTER(ulong_p), ctypes.POINTER(ctypes.c_uint)]
        x.XGetWindowProperty.argtypes = [
            ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_long, ctypes.c_long, ctypes.c_int,
            ctypes.c_ulong, ctypes.POINTER(ctypes.c_ulong), ctypes.POINTER(ctypes.c_int),
            ctypes.POINTER(ctypes.c_ulong), ctypes.POINTER(ctypes.c_ulong), ctypes.POINTER(ctypes.c_void_p)]
        x.XGetGeometry.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.POINTER(ctypes.c_ulong),
                                   *[ctypes.POINTER(ctypes.c_int)] * 2, *[ctypes.POINTER(ctypes.c_uint)] * 4]
        x.XTranslateCoordinates.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_int,
                                            ctypes.c_int, ctypes.POINTER(ctypes.c_int),
                                            ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_ulong)]
        x.XInternAtom.restype = ctypes.c_ulong
        x.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
        x.XSendEvent.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_long,
                                 ctypes.POINTER(_XEvent)]
        x.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
        x.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
        x.XFree.argtypes = [ctypes.c_void_p]
        x.XCloseDisplay.argtypes = [ctypes.c_void_p]
        # Xlib's default error handler prints and calls exit(1): a window destroyed while the tree is
        # walked (the kiosk's start-up windows, cage's output) would end pytest itself without a
        # summary. A test's X errors only mean "that window is gone": ignore them.
        x.XSetErrorHandler.restype = ctypes.c_void_p
        x.XSetErrorHandler.argtypes = [_ERROR_HANDLER]
        x.XSetErrorHandler(_IGNORE_X_ERRORS)
        self.dpy = x.XOpenDisplay(display.encode())
        if not self.dpy:
            raise RuntimeError(f"cannot open X display {display}")

    def close(self) -> None:
        self.x.XCloseDisplay(self.dpy)

    def find_window(self, name: str, timeout: float = 30.0) -> int | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self._find(self.x.XDefaultRootWindow(self.dpy), name)
            if found:
                return found
            time.sleep(0.2)
        return None

    def title(self, win: int) -> str:
        """``_NET_WM_NAME`` (UTF-8, what SDL sets), else ``WM_NAME``."""
        for prop in (b"_NET_WM_NAME", b"WM_NAME"):
            atom = self.x.XInternAtom(self.dpy, prop, 1)
            if not atom:
                continue
            typ, fmt = ctypes.c_ulong(), ctypes.c_int()
            n, after, data = ctypes.c_ulong(), ctypes.c_ulong(), ctypes.c_void_p()
            ok = self.x.XGetWindowProperty(self.dpy, win, atom, 0, 256, 0, 0, ctypes.byref(typ),
                                           ctypes.byref(fmt), ctypes.byref(n), ctypes.byref(after),
                                           ctypes.byref(data))
            if ok == 0 and data.value:
                try:
                    if n.value and fmt.value == 8:
                        return ctypes.string_at(data.value, n.value).decode("utf-8", "replace")
                finally:
                    self.x.XFree(data)
        return ""

    def _find(self, win: int, name: str) -> int | None:
        if self.title(win) == name:
            return win
        root, parent = ctypes.c_ulong(), ctypes.c_ulong()
        children, n = ctypes.POINTER(ctypes.c_ulong)(), ctypes.c_uint()
        if not self.x.XQueryTree(self.dpy, win, ctypes.byref(root), ctypes.byref(parent),
                                 ctypes.byref(children), ctypes.byref(n)):
            return None
        try:
            for i in range(n.value):
                hit = self._find(children[i], name)
                if hit:
                    return hit
        finally:
            if children:
                self.x.XFree(children)
        return None

    def top_level(self) -> list[int]:
        """The children of the root window (what a window manager would manage)."""
        root, parent = ctypes.c_ulong(), ctypes.c_ulong()
        children, n = ctypes.POINTER(ctypes.c_ulong)(), ctypes.c_uint()
        if not self.x.XQueryTree(self.dpy, self.x.XDefaultRootWindow(self.dpy), ctypes.byref(root),
                                 ctypes.byref(parent), ctypes.byref(children), ctypes.byref(n)):
            return []
        try:
            return [int(children[i]) for i in range(n.value)]
        finally:
            if children:
                self.x.XFree(children)

    def move_resize(self, win: int, x: int, y: int, width: int, height: int) -> None:
        self.x.XMoveResizeWindow.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_int,
                                             ctypes.c_uint, ctypes.c_uint]
        self.x.XMoveResizeWindow(self.dpy, win, x, y, width, height)
        self.x.XSync(self.dpy, 0)

    def geometry(self, win: int) -> tuple[int, int, int, int]:
        """(x, y, width, height) of ``win`` on the screen."""
        root = ctypes.c_ulong()
        gx, gy = ctypes.c_int(), ctypes.c_int()
        w, h, border, depth = ctypes.c_uint(), ctypes.c_uint(), ctypes.c_uint(), ctypes.c_uint()
        self.x.XGetGeometry(self.dpy, win, ctypes.byref(root), ctypes.byref(gx), ctypes.byref(gy),
                            ctypes.byref(w), ctypes.byref(h), ctypes.byref(border), ctypes.byref(depth))
        sx, sy, child = ctypes.c_int(), ctypes.c_int(), ctypes.c_ulong()
        self.x.XTranslateCoordinates(self.dpy, win, self.x.XDefaultRootWindow(self.dpy), 0, 0,
                                     ctypes.byref(sx), ctypes.byref(sy), ctypes.byref(child))
        return sx.value, sy.value, w.value, h.value

    def request_close(self, win: int) -> None:
        """What a window manager's close button (or Alt+F4) sends: WM_PROTOCOLS / WM_DELETE_WINDOW."""
        ev = _XEvent()
        ev.xclient.type = 33  # ClientMessage
        ev.xclient.window = win
        ev.xclient.message_type = self.x.XInternAtom(self.dpy, b"WM_PROTOCOLS", 0)
        ev.xclient.format = 32
        ev.xclient.data[0] = self.x.XInternAtom(self.dpy, b"WM_DELETE_WINDOW", 0)
        ev.xclient.data[1] = 0  # CurrentTime
        self.x.XSendEvent(self.dpy, win, 0, 0, ctypes.byref(ev))
        self.x.XSync(self.dpy, 0)

    def press_key(self, keysym: int) -> None:
        """A real key press and release through the XTEST extension (what a keyboard does)."""
        xtst = ctypes.CDLL(ctypes.util.find_library("Xtst") or "libXtst.so.6")
        xtst.XTestFakeKeyEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
        code = self.x.XKeysymToKeycode(self.dpy, keysym)
        for down in (1, 0):
            xtst.XTestFakeKeyEvent(self.dpy, code, down, 0)
            self.x.XSync(self.dpy, 0)
            time.sleep(0.05)


XK_ESCAPE = 0xFF1B
XK_F1 = 0xFFBE


def grab(display: str) -> object:
    """The whole X screen as a Pillow image (what the display shows)."""
    from PIL import ImageGrab

    return ImageGrab.grab(xdisplay=display)
