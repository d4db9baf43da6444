"""KioskApp: the Kivy App that builds the screens and ties the kiosk's parts together.

``KioskApp.build`` makes the theme, one screen per name (the staff screen only with a provisioned
PIN), the window bindings, the idle timer and the worker; ``run_ui`` is the ``kiosk`` entry point.
The app owns three parts that share one ``UiState``: ``router`` (``EventRouter``: worker events →
``Clock.schedule_once`` → screens), ``controller`` (``Controller``: the buttons; they only enqueue
work for the worker, the UI thread never waits for an engine) and ``kiosk`` (``KioskMode``: admin
gesture, staff PIN, swallowed exits, idle reset).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kivy.app import App
from kivy.clock import Clock
from kivy.uix.screenmanager import NoTransition, ScreenManager

from kiosk_app.core.events import Event
from kiosk_app.core.settings import Settings
from kiosk_app.ui.controller import Controller
from kiosk_app.ui.event_router import EventRouter
from kiosk_app.ui.kiosk_mode import KioskMode, configure_kivy
from kiosk_app.ui.state import FeedbackLike, UiState, WorkerLike
from kiosk_app.ui.theme import THEME

if TYPE_CHECKING:
    from kiosk_app.pipeline.staff import StaffWorker

log = logging.getLogger(__name__)

WORKER_STOP_S = 1.5  # on SIGTERM: how long the worker may take to close the pipeline

SCREENS = ("home", "listening", "answer", "browse", "typing", "feedback", "error")

# (event sink, on_ready(pipeline)) -> worker
WorkerFactory = Callable[[Callable[[Event], None], Callable[[Any], None]], WorkerLike]


class KioskApp(App):
    title = "Ward Kiosk"
    use_kivy_settings = False  # F1 must not open Kivy's settings panel (no PIN, persists to config.ini)

    def __init__(self, settings: Settings, *, worker_factory: WorkerFactory | None = None,
                 feedback: FeedbackLike | None = None, clock: Callable[[], float] = time.monotonic,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.settings = settings
        self.worker_factory = worker_factory
        self.feedback = feedback
        self.clock = clock
        self.state = UiState(last_activity=clock())
        self.controller = Controller(self.state, feedback)
        self.router = EventRouter(self.state, self.controller, clock)
        self.kiosk = KioskMode(settings, self.state, self.controller, clock)
        self.pipeline_ready = False
        self.staff_jobs: StaffWorker | None = None  # with the staff screen
        self.stop_budget_s = 3.0  # on_stop waits at most this long for the worker (SIGTERM: less)
        self._idle_event: Any = None

    # ---- building -------------------------------------------------------------------------------
    def build(self) -> ScreenManager:
        from kivy.core.window import Window

        from kiosk_app.ui.screens.answer import AnswerScreen
        from kiosk_app.ui.screens.browse import BrowseScreen
        from kiosk_app.ui.screens.error import ErrorScreen
        from kiosk_app.ui.screens.feedback import FeedbackScreen
        from kiosk_app.ui.screens.home import HomeScreen
        from kiosk_app.ui.screens.listening import ListeningScreen
        from kiosk_app.ui.screens.typing import TypingScreen

        THEME.update(*Window.size)
        Window.bind(size=self._on_window_size)
        Window.clearcolor = tuple(THEME.bg)
        sm = ScreenManager(transition=NoTransition())
        for cls, name in ((HomeScreen, "home"), (ListeningScreen, "listening"), (AnswerScreen, "answer"),
                          (BrowseScreen, "browse"), (TypingScreen, "typing"), (FeedbackScreen, "feedback"),
                          (ErrorScreen, "error")):
            screen = cls(name=name)
            screen.controller = self.controller
            sm.add_widget(screen)
        home = sm.get_screen("home")
        home.ward_name = self.settings.ui.ward_name
        home.office_hours = self.settings.ui.office_hours
        self._add_staff_screen(sm)
        self.state.sm = sm
        Window.bind(on_touch_down=self.kiosk.on_touch, on_keyboard=self.kiosk.on_key,
                    on_request_close=self.kiosk.on_request_close)
        self._idle_event = Clock.schedule_interval(lambda _dt: self.kiosk.check_idle(self.clock()), 1.0)
        if self.worker_factory is not None:
            worker = self.worker_factory(self.router.post, self._pipeline_loaded)
            self.state.worker = worker
            worker.start(preload=True)
        return sm

    def _pipeline_loaded(self, pipeline: Any) -> None:
        """Worker thread: every engine is loaded (before this, a stop cannot wait for the worker:
        loading a model is not interruptible, and nothing is written while loading)."""
        self.pipeline_ready = True
        log.info("pipeline ready")
        self.router.on_pipeline_ready(pipeline)

    def on_start(self) -> None:
        Clock.schedule_once(lambda _dt: self.warm_up_screens(), 0.5)

    def warm_up_screens(self) -> None:
        """Draw the listening and answer screens once off screen while the engines load, so the
        first question does not pay for font, texture and (software GL) shader set-up: 135 ms
        frame on the first switch to "listening" without it (bench/bench_e2e.py)."""
        from kivy.core.window import Window

        sm = self.state.sm
        for name in ("listening", "answer", "feedback"):
            screen = sm.get_screen(name) if sm is not None else None
            if sm is None or screen is None or screen is sm.current_screen:
                continue
            reset = getattr(screen, "reset", None)
            if callable(reset):
                reset()
            screen.size = Window.size
            try:
                screen.export_as_image()
            except Exception:  # best effort: a failed warm-up only costs one slow frame later
                log.debug("warm-up of %s failed", name, exc_info=True)

    def _add_staff_screen(self, sm: ScreenManager) -> None:
        if not self.kiosk.pin_gate.enabled:
            log.info("staff screen disabled (no staff PIN provisioned)")
            return
        try:
            from kiosk_app.pipeline.staff import StaffService, StaffWorker
            from kiosk_app.ui.screens.staff import StaffScreen

            # imports and rollbacks: their own thread, events through the router like the pipeline's
            self.staff_jobs = StaffWorker(StaffService(self.settings), self.router.post)
            screen = StaffScreen(name="staff", settings=self.settings, feedback=self.feedback,  # type: ignore[arg-type]
                                 jobs=self.staff_jobs)
        except Exception:  # a broken staff screen must never take the resident screens down
            log.exception("staff screen unavailable")
            return
        screen.controller = self.controller
        sm.add_widget(screen)
        self.kiosk.staff_available = True
        try:  # the recording page (issue 20): reached only from the staff screen
            from kiosk_app.ui.screens.recording import RecordingScreen

            rec = RecordingScreen(name="recording", settings=self.settings)
        except Exception:
            log.exception("staff recording page unavailable")
            return
        rec.controller = self.controller
        sm.add_widget(rec)

    def on_stop(self) -> None:
        """Orderly stop (SIGTERM/SIGINT, or the staff screen): the worker closes the pipeline (LLM
        child, audio streams, knowledge store), then the feedback store is closed."""
        worker = self.state.worker
        if worker is not None and not worker.stop(self.stop_budget_s):
            log.warning("the worker did not stop within %.1f s", self.stop_budget_s)
        if self.staff_jobs is not None and not self.staff_jobs.stop(0.0):
            # an import cannot be interrupted; its staging folder is removed at the next start
            log.warning("a bundle import was still running at stop")
        close = getattr(self.feedback, "close", None)
        if callable(close):
            try:
                close()
            except Exception:
                log.exception("closing the feedback store failed")
        self.detach()

    # ---- Kivy's own settings panel and config file: never ---------------------------------------
    def open_settings(self, *largs: Any) -> bool:
        return False  # F1 / the menu key: no settings panel without the staff PIN

    def load_config(self) -> Any:
        """An in-memory config: nothing of Kivy's per-app ini file is read or written."""
        from kivy.config import ConfigParser

        config = ConfigParser(name="ward-kiosk-app")
        self.build_config(config)
        self.config = config
        return config

    def detach(self) -> None:
        """Undo the window bindings and timers of ``build`` (app stopped, or a test is done)."""
        from kivy.core.window import Window

        Window.unbind(size=self._on_window_size, on_touch_down=self.kiosk.on_touch,
                      on_keyboard=self.kiosk.on_key, on_request_close=self.kiosk.on_request_close)
        if self._idle_event is not None:
            self._idle_event.cancel()
            self._idle_event = None
        if self.state.sm is not None:
            for screen in self.state.sm.screens:  # break screen -> app references (Kivy's Cython cycles)
                screen.controller = None

    @staticmethod
    def _on_window_size(_window: Any, size: tuple[int, int]) -> None:
        THEME.update(*size)


def run_ui(settings: Settings) -> int:
    """``kiosk`` with no arguments: build everything through wiring and run the kiosk screen."""
    from kiosk_app.ui.session import StopSignals

    app_ref: list[KioskApp] = []

    def stop_app() -> None:  # on the stop-watcher thread; Clock.schedule_once is thread-safe
        from kivy.clock import Clock

        if app_ref:
            # Engines still loading (the Vietnamese ones before "ready", the English ones after):
            # loading a model cannot be interrupted and writes nothing, so the worker gets at most
            # WORKER_STOP_S to close what it holds, then the process leaves.
            loading = app_ref[0].state.worker is not None and not app_ref[0].pipeline_ready
            budget = min(WORKER_STOP_S, max(0.1, signals.remaining() - 0.8))
            app_ref[0].stop_budget_s = 0.2 if loading else budget
            Clock.schedule_once(lambda _dt: finish(app_ref[0]), 0)

    def finish(app: KioskApp) -> None:
        app.stop()  # on_stop: worker (pipeline, LLM child, audio), feedback store, window bindings
        log.info("kiosk stopped (%s) in %.2f s", signals.signal_name, signals.elapsed())
        # Everything that holds data is closed and hard_exit flushes the logs. Tearing Kivy and the
        # interpreter down would add 0.5-2 s (freeing the knowledge and native engines), and a thread
        # still inside a native engine would abort it (core dump).
        signals.hard_exit()

    signals = StopSignals(stop_app)
    signals.install()  # before SDL starts: it would turn SIGTERM into a (swallowed) close request
    configure_kivy(settings)
    from kiosk_app import wiring
    from kiosk_app.pipeline.worker import PipelineWorker

    def make_worker(sink: Callable[[Event], None], on_ready: Callable[[Any], None]) -> PipelineWorker:
        return PipelineWorker(lambda s: wiring.build_kiosk_pipeline(settings, s), sink, on_ready=on_ready)

    feedback = None
    try:
        feedback = wiring.build_feedback_store(settings)
    except Exception as exc:  # no feedback store: the kiosk still answers
        from kiosk_app.core.errors import storage_failure

        problem = storage_failure(exc, settings.data_dir / "feedback.sqlite3", "feedback database")
        log.error("feedback store unavailable (the kiosk answers without it): [%s] %s", problem.code, problem)
    app = KioskApp(settings, worker_factory=make_worker, feedback=feedback)
    app.kiosk.stopping = signals
    app_ref.append(app)
    app.run()
    return 0
