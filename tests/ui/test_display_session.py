"""How the kiosk window reaches the screen in each way a Pi kiosk is run (decided from a table), how
a stop request is told apart from a resident closing the window, and Kivy's settings panel off."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from kiosk_app.ui.session import DisplayPlan, StopSignals, X11Screen, apply_display_plan, plan_display


def _probe(w: int, h: int, wm: bool) -> object:
    return lambda _display: X11Screen(w, h, wm)


@pytest.mark.parametrize(("env", "fullscreen", "probe", "want"), [
    # xinit, no window manager: borderless at the screen's size at (0, 0) (was 800x600 at y=-60)
    ({"DISPLAY": ":0"}, True, _probe(800, 480, False),
     DisplayPlan("x11", "0", True, (800, 480), (0, 0))),
    ({"DISPLAY": ":0"}, True, _probe(1280, 800, False),
     DisplayPlan("x11", "0", True, (1280, 800), (0, 0))),
    # a desktop session: its window manager honours full screen
    ({"DISPLAY": ":0"}, True, _probe(1920, 1080, True),
     DisplayPlan("x11-wm", "auto", True, (1920, 1080))),
    # cage: Kivy's SDL2 draws through Xwayland, the compositor places the window
    ({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}, True, _probe(800, 480, False),
     DisplayPlan("xwayland", "auto", True, (800, 480))),
    ({"WAYLAND_DISPLAY": "wayland-0"}, True, _probe(0, 0, False), DisplayPlan("wayland", "auto", True)),
    # the console: no display server at all
    ({}, True, _probe(0, 0, False), DisplayPlan("kmsdrm", "auto", True, video_driver="kmsdrm")),
    ({"SDL_VIDEODRIVER": "kmsdrm", "DISPLAY": ":0"}, True, _probe(0, 0, False),
     DisplayPlan("kmsdrm", "auto", True, video_driver="kmsdrm")),
    # an X server that cannot be asked: let SDL try full screen
    ({"DISPLAY": ":0"}, True, lambda _d: None, DisplayPlan("x11-wm", "auto", True)),
    # tests and screenshots; a developer's window
    ({"SDL_VIDEODRIVER": "offscreen", "DISPLAY": ":0"}, True, _probe(1, 1, False), DisplayPlan("offscreen")),
    ({"DISPLAY": ":0"}, False, _probe(800, 480, False), DisplayPlan("windowed")),
])
def test_display_plan_per_session(env: dict[str, str], fullscreen: bool, probe: object,
                                  want: DisplayPlan) -> None:
    assert plan_display(env, fullscreen, probe) == want  # type: ignore[arg-type]


def test_plan_is_written_into_kivy_config_and_sdl_env() -> None:
    seen: dict[tuple[str, str], str] = {}
    config = SimpleNamespace(set=lambda s, k, v: seen.__setitem__((s, k), v))
    env: dict[str, str] = {}
    apply_display_plan(DisplayPlan("x11", "0", True, (800, 480), (0, 0)), config, env)
    assert seen == {("graphics", "fullscreen"): "0", ("graphics", "borderless"): "1",
                    ("graphics", "width"): "800", ("graphics", "height"): "480",
                    ("graphics", "position"): "custom", ("graphics", "left"): "0", ("graphics", "top"): "0"}
    apply_display_plan(DisplayPlan("kmsdrm", "auto", True, video_driver="kmsdrm"), config, env)
    assert env == {"SDL_VIDEODRIVER": "kmsdrm"} and seen[("graphics", "fullscreen")] == "auto"


_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


@pytest.fixture
def stop_signals() -> Iterator[Callable[..., StopSignals]]:
    """``StopSignals(...)`` for a test: at teardown every watchdog it made stands down and its watcher
    thread has ended, and the signal handlers are restored. A 30 s watchdog left running fired after
    pytest had closed its streams ("Logging error" after the summary of a full run)."""
    made: list[StopSignals] = []
    before = set(threading.enumerate())
    handlers = {s: signal.getsignal(s) for s in _SIGNALS}

    def make(*args: Any, **kwargs: Any) -> StopSignals:
        made.append(StopSignals(*args, **kwargs))
        return made[-1]

    yield make
    for sig in made:
        sig.cancel()
    for s, h in handlers.items():
        signal.signal(s, h)
    watchers = [t for t in threading.enumerate() if t.name == "stop-watcher" and t not in before]
    for t in watchers:
        t.join(5.0)
    assert not [t for t in watchers if t.is_alive()], "a stop watchdog outlived its test"


def test_stop_signals_stop_once_then_exit_at_once(stop_signals: Callable[..., StopSignals]) -> None:
    stops: list[int] = []
    exits: list[int] = []
    env: dict[str, str] = {}
    sig = stop_signals(lambda: stops.append(1), budget_s=30.0, exit_=exits.append)
    sig.install(env)
    assert env["SDL_NO_SIGNAL_HANDLERS"] == "1"  # SDL would make SIGTERM a swallowed close
    assert signal.getsignal(signal.SIGTERM) == sig._on_signal
    sig._on_signal(signal.SIGTERM, None)
    assert sig.stopped.wait(5.0)  # stopped from the watcher thread, not inside the handler
    assert stops == [1] and exits == [] and sig.requested and sig.signal_name == "SIGTERM"
    sig._on_signal(signal.SIGINT, None)  # a second signal while stopping: leave now, status 0
    assert stops == [1] and exits == [0]


def test_watchdog_exits_with_status_0_when_the_stop_hangs(stop_signals: Callable[..., StopSignals]) -> None:
    exited = threading.Event()
    codes: list[int] = []
    def exit_(code: int) -> None:
        codes.append(code)
        exited.set()

    sig = stop_signals(lambda: None, budget_s=0.2, exit_=exit_)
    sig._on_signal(signal.SIGTERM, None)
    assert exited.wait(5.0) and codes == [0]


def test_a_cancelled_watchdog_never_exits(stop_signals: Callable[..., StopSignals]) -> None:
    codes: list[int] = []
    sig = stop_signals(lambda: None, budget_s=1.0, exit_=codes.append)
    sig._on_signal(signal.SIGTERM, None)
    assert sig.stopped.wait(5.0)
    sig.cancel()
    time.sleep(1.3)  # past the budget
    assert codes == []


def test_window_close_is_swallowed_unless_the_service_stops_the_kiosk(tmp_path: Path) -> None:
    from kiosk_app.core.settings import Settings
    from kiosk_app.ui.controller import Controller
    from kiosk_app.ui.kiosk_mode import KioskMode
    from kiosk_app.ui.state import UiState

    state = UiState()
    mode = KioskMode(Settings(data_dir=tmp_path, ui={"fullscreen": True}), state, Controller(state),
                     lambda: 0.0)
    assert mode.locked
    assert mode.on_request_close() is True  # a resident (or a window manager) cannot close it
    mode.stopping = SimpleNamespace(requested=True)
    assert mode.on_request_close() is False


def test_no_kivy_settings_panel_and_no_app_ini(tmp_path: Path) -> None:
    from kiosk_app.core.settings import Settings
    from kiosk_app.ui.app import KioskApp

    app = KioskApp(Settings(data_dir=tmp_path))
    assert app.use_kivy_settings is False
    assert app.open_settings() is False  # what F1 / the menu key calls
    config = app.load_config()
    assert config.filename in (None, "")  # in memory: nothing read from or written to an ini file
    assert not list(Path(app.directory).glob("*.ini"))


def test_a_stop_signal_arriving_inside_a_log_call_does_not_log_from_the_handler(
        stop_signals: Callable[..., StopSignals]) -> None:
    """Kivy's stderr logger is not re-entrant: a handler that logged while the main thread was in the
    middle of a log call looped on a RecursionError and never exited (seen in CI, SIGTERM at start)."""
    import logging

    class NonReentrant(logging.Handler):
        def __init__(self) -> None:
            super().__init__()
            self.inside: set[int] = set()
            self.reentered = False
            self.fire = True

        def emit(self, record: logging.LogRecord) -> None:
            me = threading.get_ident()
            self.reentered |= me in self.inside
            self.inside.add(me)
            try:
                if self.fire:
                    self.fire = False
                    signal.raise_signal(signal.SIGTERM)  # the handler runs here, inside emit
            finally:
                self.inside.discard(me)

    handler = NonReentrant()
    root = logging.getLogger()
    stops: list[int] = []
    sig = stop_signals(lambda: stops.append(1), budget_s=30.0, exit_=lambda c: None)
    root.addHandler(handler)
    try:
        sig.install({})
        logging.getLogger("kivy").warning("GL: NPOT texture support is available")
        assert sig.stopped.wait(5.0) and stops == [1]
        assert not handler.reentered
    finally:
        root.removeHandler(handler)
