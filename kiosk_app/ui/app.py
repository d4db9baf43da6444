"""KioskApp: the screen manager, the event router and the actions behind every button.

Pipeline events arrive from the worker thread through ``post`` → ``Clock.schedule_once`` → ``handle``
(widgets are only touched on the UI thread). Buttons call the controller methods below, which only
enqueue work for the worker: the UI thread never waits for an engine.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

from kivy.app import App
from kivy.clock import Clock
from kivy.uix.screenmanager import NoTransition, ScreenManager

from kiosk_app.errors import ErrorCode
from kiosk_app.events import (
    AnswerFinal,
    AnswerReady,
    AudioLevel,
    BundleActivated,
    Event,
    Failed,
    Idle,
    Listening,
    MicStatus,
    PartialTranscript,
    Speaking,
    SpeakingFinished,
    SpeechEnded,
    Thinking,
    Transcribed,
)
from kiosk_app.settings import Settings
from kiosk_app.ui.admin import AdminGesture, PinGate
from kiosk_app.ui.kiosk_mode import KioskModeMixin, configure_kivy
from kiosk_app.ui.messages import VOICE_ONLY
from kiosk_app.ui.theme import THEME
from knowledge.types import Answer, Verdict

log = logging.getLogger(__name__)

SCREENS = ("home", "listening", "answer", "browse", "typing", "feedback", "error")


class WorkerLike(Protocol):
    def start(self, *, preload: bool = True) -> None: ...
    def ask_voice(self, language: str = "vi") -> None: ...
    def ask_text(self, text: str, language: str = "vi") -> None: ...
    def explain(self, procedure_id: str, language: str = "vi") -> None: ...
    def replay(self, answer: Answer, slower: bool = False) -> None: ...
    def cancel(self) -> None: ...
    def new_conversation(self) -> None: ...
    def reload(self) -> None: ...
    def stop(self, timeout: float = 5.0) -> bool: ...


class FeedbackLike(Protocol):
    def add_rating(self, procedure_id: str | None, rating: str) -> Any: ...
    def add_unanswered(self, question: str, reason: str) -> Any: ...


# (event sink, on_ready(pipeline)) -> worker
WorkerFactory = Callable[[Callable[[Event], None], Callable[[Any], None]], WorkerLike]


class KioskApp(KioskModeMixin, App):
    title = "Ward Kiosk"

    def __init__(self, settings: Settings, *, worker_factory: WorkerFactory | None = None,
                 feedback: FeedbackLike | None = None, clock: Callable[[], float] = time.monotonic,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.settings = settings
        self.worker_factory = worker_factory
        self.worker: WorkerLike | None = None
        self.feedback = feedback
        self.clock = clock
        self.sm: ScreenManager | None = None
        self.catalog: dict[str, Any] = {}
        self.last_answer: Answer | None = None
        self.last_question = ""
        self.last_activity = clock()
        self.gesture = AdminGesture()
        self.pin_gate = PinGate(settings.staff.pin_hash)
        self.pin_pad: Any = None
        self.kiosk_mode = settings.ui.fullscreen
        self.staff_available = False
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
            screen.controller = self
            sm.add_widget(screen)
        home = sm.get_screen("home")
        home.ward_name = self.settings.ui.ward_name
        home.office_hours = self.settings.ui.office_hours
        self._add_staff_screen(sm)
        self.sm = sm
        Window.bind(on_touch_down=self._on_touch, on_keyboard=self._on_key,
                    on_request_close=self._on_request_close)
        self._idle_event = Clock.schedule_interval(lambda _dt: self.check_idle(self.clock()), 1.0)
        if self.worker_factory is not None:
            self.worker = self.worker_factory(self.post, self._on_pipeline_ready)
            self.worker.start(preload=True)
        return sm

    def on_start(self) -> None:
        Clock.schedule_once(lambda _dt: self.warm_up_screens(), 0.5)

    def warm_up_screens(self) -> None:
        """Draw the listening and answer screens once off screen while the engines load, so the
        first question does not pay for font, texture and (software GL) shader set-up: 135 ms
        frame on the first switch to "listening" without it (bench/bench_e2e.py)."""
        from kivy.core.window import Window

        for name in ("listening", "answer", "feedback"):
            screen = self.sm.get_screen(name) if self.sm is not None else None
            if screen is None or screen is self.sm.current_screen:
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
        if not self.pin_gate.enabled:
            log.info("staff screen disabled (no staff PIN provisioned)")
            return
        try:
            from kiosk_app.ui.screens.staff import StaffScreen

            screen = StaffScreen(name="staff", settings=self.settings,
                                 feedback=self.feedback)  # type: ignore[arg-type]
        except Exception:  # a broken staff screen must never take the resident screens down
            log.exception("staff screen unavailable")
            return
        screen.controller = self
        sm.add_widget(screen)
        self.staff_available = True

    def on_stop(self) -> None:
        if self.worker is not None:
            self.worker.stop(3.0)
        self.detach()

    def detach(self) -> None:
        """Undo the window bindings and timers of ``build`` (app stopped, or a test is done)."""
        from kivy.core.window import Window

        Window.unbind(size=self._on_window_size, on_touch_down=self._on_touch, on_keyboard=self._on_key,
                      on_request_close=self._on_request_close)
        if self._idle_event is not None:
            self._idle_event.cancel()
            self._idle_event = None
        if self.sm is not None:
            for screen in self.sm.screens:  # break screen -> app references (Kivy's Cython cycles)
                screen.controller = None

    @staticmethod
    def _on_window_size(_window: Any, size: tuple[int, int]) -> None:
        THEME.update(*size)

    # ---- events from the worker thread ----------------------------------------------------------
    def post(self, ev: Event) -> None:
        """Any thread: hand an event to the UI thread."""
        Clock.schedule_once(lambda _dt: self.handle(ev), 0)

    def _on_pipeline_ready(self, pipeline: Any) -> None:
        """Worker thread, after the pipeline (and its knowledge bundle) is loaded."""
        bundle = getattr(pipeline.knowledge, "bundle", None)
        if bundle is None:
            return
        records = dict(bundle.records)
        sample = bool(getattr(bundle.manifest, "sample", False))
        Clock.schedule_once(lambda _dt: self.set_catalog(records, sample), 0)
        self.post(BundleActivated(bundle.manifest.label, len(records)))

    def set_catalog(self, records: dict[str, Any], sample: bool = False) -> None:
        self.catalog = records
        assert self.sm is not None
        self.sm.get_screen("answer").catalog = records
        self.sm.get_screen("browse").catalog = records
        self.sm.get_screen("home").sample = sample

    def handle(self, ev: Event) -> None:
        """UI thread: route one pipeline event to the screens."""
        sm = self.sm
        if sm is None:
            return
        self.last_activity = self.clock()
        current = sm.current
        if isinstance(ev, Listening):
            sm.get_screen("listening").show(ev)
            sm.current = "listening"
        elif isinstance(ev, (AudioLevel, PartialTranscript, SpeechEnded, Thinking)):
            sm.get_screen("listening").show(ev)
            if isinstance(ev, AudioLevel):
                sm.get_screen("home").mic_ok = True  # sound arrives: the microphone works (again)
        elif isinstance(ev, Transcribed):
            self.last_question = ev.text
            if ev.language in ("vi", "en") and ev.language != THEME.lang:
                self._show_language(ev.language)  # spoke English: the session stays English until idle reset
            sm.get_screen("listening").show(ev)
            sm.get_screen("answer").show(ev)
            if current in ("typing", "home"):  # typed/example question: show "đang tìm câu trả lời…"
                sm.current = "listening"
        elif isinstance(ev, AnswerReady):
            self.last_answer = ev.answer
            if ev.answer.verdict is Verdict.REFER:
                self._note_unanswered(ev.answer.reason or "refer")
            sm.get_screen("answer").show(ev)
            sm.current = "answer"
        elif isinstance(ev, AnswerFinal):  # a live (LLM) answer: what was said, by whom, why
            self.last_answer = ev.answer  # "Nghe lại" repeats what was said
            sm.get_screen("answer").show(ev)
        elif isinstance(ev, (Speaking, SpeakingFinished)):
            sm.get_screen("answer").show(ev)
        elif isinstance(ev, Failed):
            self._show_failure(ev)
        elif isinstance(ev, Idle):
            if current == "listening":  # the run ended without an answer or an error to show
                sm.current = "home"
        elif isinstance(ev, (BundleActivated, MicStatus)):
            sm.get_screen("home").show(ev)
            if isinstance(ev, BundleActivated) and current == "error" and sm.get_screen("error").maintenance:
                sm.current = "home"

    def _show_failure(self, ev: Failed) -> None:
        assert self.sm is not None
        if ev.code is ErrorCode.CANCELLED:
            return
        if ev.code in VOICE_ONLY and self.sm.current == "answer":
            self.sm.get_screen("answer").show(ev)  # the answer stays readable on screen
            return
        if ev.code is ErrorCode.NO_MATCH:
            self._note_unanswered("no-match")
        if ev.code is ErrorCode.MIC_MISSING:
            self.sm.get_screen("home").mic_ok = False
        err = self.sm.get_screen("error")
        err.show(ev)
        if self.sm.current != "staff":  # staff at work (e.g. importing a bundle) are not interrupted
            self.sm.current = "error"

    def _note_unanswered(self, reason: str) -> None:
        if self.feedback is None or not self.last_question:
            return
        try:
            self.feedback.add_unanswered(self.last_question, reason)
        except Exception:  # feedback is a nice-to-have: never break the answer for it
            log.exception("could not store an unanswered question")

    # ---- controller: what the buttons do (UI thread, never blocking) ---------------------------
    @property
    def language(self) -> str:
        return str(THEME.lang)

    def ask_voice(self) -> None:
        self.last_answer = None
        self.last_question = ""
        if self.worker is not None:
            self.worker.ask_voice(self.language)

    def ask_text(self, text: str) -> None:
        self.last_answer = None
        if self.worker is not None and text.strip():
            self.worker.ask_text(text.strip(), self.language)

    def explain(self, procedure_id: str) -> None:
        if self.worker is not None:
            self.worker.explain(procedure_id, self.language)

    def replay(self, slower: bool = False) -> None:
        if self.worker is not None and self.last_answer is not None:
            self.worker.replay(self.last_answer, slower)

    def stop_speaking(self) -> None:
        if self.worker is not None:
            self.worker.cancel()

    def cancel(self) -> None:
        """"Dừng" on the listening screen: stop and go back to the start."""
        if self.worker is not None:
            self.worker.cancel()
        self.go("home")

    def not_right(self) -> None:
        assert self.sm is not None
        if self.worker is not None:
            self.worker.cancel()  # stop reading the wrong answer
        self._note_unanswered("not-what-i-meant")
        self.sm.get_screen("answer").show_alternatives()

    def new_question(self) -> None:
        """"Hỏi câu khác": stop reading, ask for a one-tap rating, then home."""
        assert self.sm is not None
        if self.worker is not None:
            self.worker.new_conversation()  # the next question is not a follow-up of this one
            self.worker.cancel()
        fb = self.sm.get_screen("feedback")
        fb.procedure_id = (self.last_answer.procedure_id if self.last_answer else None) or ""
        self.go("feedback")

    def rate(self, rating: str) -> None:
        assert self.sm is not None
        pid = self.sm.get_screen("feedback").procedure_id or None
        if self.feedback is not None:
            try:
                self.feedback.add_rating(pid, rating)
            except Exception:
                log.exception("could not store a rating")
        if rating == "chua-hai-long":
            self._note_unanswered("chua-hai-long")
        Clock.schedule_once(lambda _dt: self._home_if("feedback"), 2.5)

    def _home_if(self, screen: str) -> None:
        if self.sm is not None and self.sm.current == screen:
            self.go("home")

    def go(self, name: str) -> None:
        assert self.sm is not None
        if name == "home":
            self.last_answer = None
            self.last_question = ""
        if self.sm.has_screen(name):
            self.sm.current = name

    def set_language(self, language: str) -> None:
        """The language button (and the idle reset): a new conversation in that language."""
        if self.worker is not None:
            self.worker.new_conversation()
        self._show_language(language)

    def _show_language(self, language: str) -> None:
        THEME.set_language(language)
        if self.sm is not None:
            self.sm.get_screen("error").refresh_language()

    def reload_bundle(self) -> None:
        """After the staff screen activated a new bundle: reopen the store between questions."""
        if self.worker is not None:
            self.worker.reload()

    # ---- idle reset -----------------------------------------------------------------------------
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


def run_ui(settings: Settings) -> int:
    """``kiosk`` with no arguments: build everything through wiring and run the kiosk screen."""
    configure_kivy(settings)
    from kiosk_app import wiring
    from kiosk_app.worker import PipelineWorker

    def make_worker(sink: Callable[[Event], None], on_ready: Callable[[Any], None]) -> PipelineWorker:
        return PipelineWorker(lambda s: wiring.build_kiosk_pipeline(settings, s), sink, on_ready=on_ready)

    feedback = None
    try:
        feedback = wiring.build_feedback_store(settings)
    except Exception:  # no feedback store: the kiosk still answers
        log.exception("feedback store unavailable")
    KioskApp(settings, worker_factory=make_worker, feedback=feedback).run()
    return 0
