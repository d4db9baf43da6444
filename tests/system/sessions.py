"""The display sessions a Raspberry Pi kiosk runs in, each started for real at a given screen size, for
the system tests: where the kiosk connects, and a screenshot of what the screen shows.

* ``xinit``: Xvfb alone, no window manager (the service's ``--session xinit``: Xorg + xinit).
* ``desktop``: Xvfb with openbox, the window manager of Raspberry Pi OS's X11 desktop (LXDE-pi).
* ``cage``: the Wayland kiosk compositor of the service's default ``--session cage``; the kiosk draws
  through cage's Xwayland (Kivy's SDL2 wheel has no Wayland driver). wlroots 0.15's headless outputs
  are fixed at 1280x720 and cage 0.1.4 has no output-management protocol (wlr-randr: "compositor
  doesn't support wlr-output-management-unstable-v1"), so cage runs on wlroots' X11 backend: its output
  is a window on an Xvfb of the panel's size, resized to fill it. The screenshot is grim's copy of
  cage's output (wlr-screencopy), what the panel would show. cage refuses to run as root ("Unable to
  drop root"), so as root it runs as ``nobody``; its own child grants the kiosk (started by the test as
  the test's user) access to Xwayland with ``xhost`` and waits, and the kiosk is the one window cage
  shows, as with ``cage -- kiosk``.

The console (KMS/DRM) cannot run here: it needs a DRM device (``/dev/dri/card*``), and neither a
GPU nor vkms is available in CI's virtual machines; ``plan_display`` covers it from a table.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk_app.ui.session import probe_x11
from tests.system.xserver import X, grab, xvfb


@dataclass
class Screen:
    """A running display session of ``width`` x ``height``."""

    session: str  # what the kiosk must detect (``display: <session> session`` in its log)
    display: str  # the X display the kiosk connects to
    shot: Callable[[], Any]  # a Pillow image of what the screen shows
    env: dict[str, str] = field(default_factory=dict)  # extra environment for the kiosk


# the programs each session needs (scripts/test.sh installs them)
TOOLS: dict[str, tuple[str, ...]] = {
    "xinit": ("Xvfb",),
    "desktop": ("Xvfb", "openbox"),
    "cage": ("Xvfb", "cage", "Xwayland", "grim", "xhost", "setpriv"),
}


def _wait(cond: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


@contextlib.contextmanager
def no_window_manager(width: int, height: int) -> Iterator[Screen]:
    with xvfb(width, height) as display:
        yield Screen("x11", display, lambda: grab(display))


@contextlib.contextmanager
def openbox_desktop(width: int, height: int) -> Iterator[Screen]:
    with xvfb(width, height) as display, tempfile.TemporaryDirectory(prefix="openbox-") as home:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DISPLAY": display, "HOME": home}
        proc = subprocess.Popen(["openbox", "--sm-disable"], env=env, start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            def managed() -> bool:
                screen = probe_x11(display)
                return screen is not None and screen.window_manager

            _wait(managed, 20, "openbox to manage the screen")
            yield Screen("x11-wm", display, lambda: grab(display))
        finally:
            _stop_group(proc)


def _cage_user() -> tuple[int, int, str]:
    """(uid, gid, name) cage runs as: ourselves, or ``nobody`` when we are root."""
    me = pwd.getpwuid(os.geteuid())
    if me.pw_uid != 0:
        return me.pw_uid, me.pw_gid, me.pw_name
    nobody = pwd.getpwnam("nobody")
    return nobody.pw_uid, nobody.pw_gid, nobody.pw_name


@contextlib.contextmanager
def cage_kiosk(width: int, height: int) -> Iterator[Screen]:
    uid, gid, _name = _cage_user()
    me = pwd.getpwuid(os.geteuid()).pw_name
    runtime = Path(tempfile.mkdtemp(prefix="cage-xdg-"))  # XDG_RUNTIME_DIR, the cage user's, 0700
    os.chown(runtime, uid, gid)
    ready = runtime / "session"
    # cage's child: let the kiosk's user into Xwayland (this also starts Xwayland), say where the
    # displays are, and keep the session open
    child = (f'xhost +si:localuser:{me} >/dev/null && echo "$DISPLAY $WAYLAND_DISPLAY" > {ready}.tmp '
             f'&& mv {ready}.tmp {ready} && exec sleep infinity')
    xwayland = ""
    with xvfb(width, height) as host:
        env = {"PATH": "/usr/bin:/bin", "DISPLAY": host, "HOME": str(runtime),
               "XDG_RUNTIME_DIR": str(runtime), "WLR_BACKENDS": "x11", "WLR_RENDERER": "pixman"}
        cmd = ["cage", "--", "sh", "-c", child]
        if os.geteuid() == 0:
            cmd = ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", *cmd]
        log = runtime / "cage.log"
        proc = subprocess.Popen(cmd, env=env, start_new_session=True, stdout=log.open("wb"),
                                stderr=subprocess.STDOUT)
        x = X(host)
        try:
            try:
                _wait(ready.is_file, 30, "cage and its Xwayland")
            except RuntimeError as e:
                raise RuntimeError(f"{e}; cage's output:\n{log.read_text(errors='replace')[-2000:]}") from e
            xwayland, wayland = ready.read_text().split()
            # cage's output is a window on the host X server: make it the panel's size
            outputs = x.top_level()
            assert len(outputs) == 1, f"expected cage's one output window on {host}, found {outputs}"
            x.move_resize(outputs[0], 0, 0, width, height)

            def resized() -> bool:
                screen = probe_x11(xwayland)
                return screen is not None and (screen.width, screen.height) == (width, height)

            _wait(resized, 20, f"cage's output (and Xwayland's screen) at {width}x{height}")
            wl_env = {"XDG_RUNTIME_DIR": str(runtime), "WAYLAND_DISPLAY": wayland}

            def shot() -> Any:
                from PIL import Image

                png = runtime / "grim.png"
                subprocess.run(["grim", str(png)], env={"PATH": "/usr/bin:/bin", **wl_env}, check=True,
                               capture_output=True, timeout=30)
                with Image.open(png) as img:
                    return img.convert("RGB")

            yield Screen("xwayland", xwayland, shot, env=wl_env)
        finally:
            x.close()
            _stop_group(proc)
            if xwayland:  # wlroots leaves Xwayland's lock file and socket behind when stopped
                number = xwayland.lstrip(":")
                for stale in (Path(f"/tmp/.X{number}-lock"), Path(f"/tmp/.X11-unix/X{number}")):
                    with contextlib.suppress(OSError):
                        if stale.lstat().st_uid == uid:
                            stale.unlink()
            shutil.rmtree(runtime, ignore_errors=True)


SESSIONS: dict[str, Callable[[int, int], contextlib.AbstractContextManager[Screen]]] = {
    "xinit": no_window_manager,
    "desktop": openbox_desktop,
    "cage": cage_kiosk,
}
