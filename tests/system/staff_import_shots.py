"""Screenshots of a bundle import from the staff screen in a real window (issue 18), not a test: run it
under an X server (Xvfb, no window manager). The kiosk app, staff worker, importer (real index build
and smoke test) and knowledge are the real ones; only the audio engines are fakes (no microphone or
speaker). Taps are real X pointer clicks (XTest) on the buttons. The data folder must hold an active
bundle and trust the stick's signing key; the stick folder holds the ``.wkb`` built by
``kiosk bundle build``.

    Xvfb :77 -screen 0 1280x800x24 &
    DISPLAY=:77 SDL_VIDEODRIVER=x11 KIOSK_DATA_DIR=DATA .venv/bin/python tests/system/staff_import_shots.py \\
        1280x800 STICK_DIR OUT_DIR
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
PIN = "739214"


class Pointer:
    """Left clicks at window coordinates through XTest (the window sits at 0,0: no window manager)."""

    def __init__(self) -> None:
        self.x11 = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
        self.xtst = ctypes.CDLL(ctypes.util.find_library("Xtst") or "libXtst.so.6")
        self.x11.XOpenDisplay.restype = ctypes.c_void_p
        self.x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        self.x11.XFlush.argtypes = [ctypes.c_void_p]
        self.xtst.XTestFakeMotionEvent.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                                                   ctypes.c_ulong]
        self.xtst.XTestFakeButtonEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int,
                                                   ctypes.c_ulong]
        self.dpy = self.x11.XOpenDisplay(os.environ["DISPLAY"].encode())

    def click(self, x: int, y: int) -> None:
        self.xtst.XTestFakeMotionEvent(self.dpy, -1, x, y, 0)
        self.xtst.XTestFakeButtonEvent(self.dpy, 1, 1, 0)
        self.xtst.XTestFakeButtonEvent(self.dpy, 1, 0, 30)
        self.x11.XFlush(self.dpy)


def main(size: str, stick: Path, out: Path) -> int:
    width, height = (int(v) for v in size.split("x"))
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="kivyhome-"))
    sys.path.insert(0, str(REPO))
    from kivy.config import Config

    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    Config.set("graphics", "resizable", "0")
    from kivy.clock import Clock
    from kivy.core.window import Window

    from kiosk_app.core.pin import hash_pin
    from kiosk_app.core.settings import Settings
    from kiosk_app.pipeline.worker import PipelineWorker
    from kiosk_app.ui.app import KioskApp
    from knowledge.service import open_current
    from tests.fakes import Rig

    base = Settings.load()
    settings = base.model_copy(update={
        "ui": base.ui.model_copy(update={"fullscreen": False}),
        "staff": base.staff.model_copy(update={"pin_hash": hash_pin(PIN), "usb_dir": stick.parent})})

    def build(sink: Any) -> Any:  # the real knowledge of the active bundle; audio engines are fakes
        rig = Rig(settings, knowledge=open_current(settings))
        rig.pipeline.on_event = sink
        return rig.pipeline

    app = KioskApp(settings, worker_factory=lambda sink, ready: PipelineWorker(build, sink, on_ready=ready))
    pointer = Pointer()
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    good = sorted(stick.glob("*.wkb"))[0]

    def shot(name: str) -> None:
        target = out / f"staff-import-{name}-{size}.png"
        Path(Window.screenshot(name=str(target))).replace(target)
        st, ans = app.state.sm.get_screen("staff"), app.state.sm.get_screen("answer")
        sys.stdout.write(f"{target.name}: [{app.state.sm.current}] {st.status_text!r} busy={st.busy} "
                         f"progress={st.progress:.2f} answer={ans.title!r} home={home_label()!r}\n")
        written.append(target)

    def home_label() -> str:  # what the resident side runs on: the sample or the ward's bundle
        return "sample data" if app.state.sm.get_screen("home").sample else "ward bundle"

    def tap(widget_id: str, screen: str = "staff") -> None:
        """Scroll the button into view as a clerk would (a frame to settle), then click its middle."""
        from kivy.uix.screenmanager import Screen
        from kivy.uix.scrollview import ScrollView

        w = app.state.sm.get_screen(screen).ids[widget_id]
        parent = w.parent
        while parent is not None and not isinstance(parent, (ScrollView, Screen)):
            parent = parent.parent
        if isinstance(parent, ScrollView):
            parent.scroll_to(w, padding=20, animate=False)

        def click(_dt: float) -> None:
            x, y = w.to_window(*w.center)
            pointer.click(int(x), int(Window.height - y))
        Clock.schedule_once(click, 0.2)

    def break_the_stick() -> None:  # the clerk's next stick: a copy cut short (pulled out while copying)
        good.unlink()
        data = kept.read_bytes()
        (stick / "phuong-moi-nhat.wkb").write_bytes(data[: len(data) // 2])

    steps: list[tuple[float, Any]] = []

    def at(delay: float, fn: Any) -> None:
        steps.append((delay, fn))

    def run_steps(_dt: float = 0) -> None:
        """Each step runs after its delay; a step that returns a condition holds the next ones until
        it is true (polled every 0.5 s)."""
        if not steps:
            app.stop()
            return
        delay, fn = steps.pop(0)

        def go(_dt: float) -> None:
            cond = fn()
            if callable(cond):
                def poll(_dt: float) -> None:
                    if cond():
                        run_steps()
                    else:
                        Clock.schedule_once(poll, 0.5)
                poll(0)
            else:
                run_steps()
        Clock.schedule_once(go, delay)

    kept = Path(tempfile.mkdtemp(prefix="kept-")) / "kept.wkb"
    shutil.copy(good, kept)
    staff = lambda: app.state.sm.get_screen("staff")  # noqa: E731
    current = lambda: app.state.sm.current  # noqa: E731
    at(0.5, lambda: app.kiosk.open_pin_pad())
    at(0.2, lambda: app.kiosk.check_pin(PIN))  # the real scrypt check, off the UI thread
    at(0.1, lambda: (lambda: current() == "staff"))
    at(2.0, lambda: shot("1-before"))
    at(0.1, lambda: tap("import_button"))  # first tap only asks
    at(1.0, lambda: shot("2-confirm"))
    at(0.1, lambda: tap("import_button"))  # a tap on "Bấm lần nữa…": the staff worker imports
    at(0.1, lambda: (lambda: staff().busy))
    at(4.0, lambda: shot("3-during"))
    at(0.1, lambda: staff().on_import_press())  # a tap that gets through while it runs
    at(0.3, lambda: shot("4-during-second-tap"))
    at(0.1, lambda: tap("close_button"))  # the clerk leaves; a resident asks meanwhile
    at(0.1, lambda: (lambda: current() == "home"))
    at(0.5, lambda: app.controller.ask_text("làm giấy khai sinh cần gì"))
    at(0.1, lambda: (lambda: current() == "answer"))
    at(2.0, lambda: shot("5-resident-answered-during-import"))
    at(0.1, lambda: app.controller.go("staff"))
    at(0.5, lambda: shot("6-still-importing"))
    at(0.1, lambda: (lambda: not staff().busy))  # the import finishes on the staff worker
    at(3.0, lambda: shot("7-after"))
    at(0.1, break_the_stick)
    at(3.0, lambda: shot("8-broken-file-offered"))
    at(0.1, lambda: tap("import_button"))
    at(1.0, lambda: tap("import_button"))
    at(0.1, lambda: (lambda: staff().status_text.startswith("Không nhập")))
    at(1.0, lambda: shot("9-broken-file-refused"))
    at(0.1, lambda: tap("close_button"))
    at(0.1, lambda: (lambda: current() == "home"))
    at(0.5, lambda: app.controller.ask_text("làm giấy khai sinh cần gì"))
    at(0.1, lambda: (lambda: current() == "answer"))
    at(2.0, lambda: shot("10-resident-answered-after-refusal"))
    Clock.schedule_once(run_steps, 0.5)
    app.run()
    for p in written:
        sys.stdout.write(f"{p}\n")
    return 0 if len(written) == 10 else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])))
