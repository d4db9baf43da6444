"""The worker bridge: pipeline events cross from the worker thread to the UI thread and reach the screens.

``EventRouter.post`` (any thread → ``Clock.schedule_once`` → ``handle``) keeps widgets on the UI
thread; ``on_pipeline_ready`` delivers the bundle's catalogue (``set_catalog``); ``handle`` decides
which screen shows which event, when the kiosk switches screens, and how a ``Failed`` code is shown
(on the answer screen when only the voice failed, otherwise the error screen, never over the staff
screen). The staff worker's bundle events go to the staff screen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.clock import Clock

from kiosk_app.core.errors import ErrorCode
from kiosk_app.core.events import (
    AnswerFinal,
    AnswerReady,
    AudioLevel,
    BundleActivated,
    BundleDone,
    BundleProgress,
    BundleRefused,
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
from kiosk_app.ui.controller import Controller
from kiosk_app.ui.messages import VOICE_ONLY
from kiosk_app.ui.state import UiState
from kiosk_app.ui.theme import THEME
from knowledge.types import Verdict


class EventRouter:
    def __init__(self, state: UiState, controller: Controller, clock: Callable[[], float]) -> None:
        self.state = state
        self.controller = controller
        self.clock = clock

    def post(self, ev: Event) -> None:
        """Any thread: hand an event to the UI thread."""
        Clock.schedule_once(lambda _dt: self.handle(ev), 0)

    def on_pipeline_ready(self, pipeline: Any) -> None:
        """Worker thread, after the pipeline (and its knowledge bundle) is loaded."""
        bundle = getattr(pipeline.knowledge, "bundle", None)
        if bundle is None:
            return
        records = dict(bundle.records)
        sample = bool(getattr(bundle.manifest, "sample", False))
        Clock.schedule_once(lambda _dt: self.set_catalog(records, sample), 0)
        self.post(BundleActivated(bundle.manifest.label, len(records)))

    def set_catalog(self, records: dict[str, Any], sample: bool = False) -> None:
        self.state.catalog = records
        assert self.state.sm is not None
        self.state.sm.get_screen("answer").catalog = records
        self.state.sm.get_screen("browse").catalog = records
        self.state.sm.get_screen("home").sample = sample

    def handle(self, ev: Event) -> None:
        """UI thread: route one pipeline event to the screens."""
        sm = self.state.sm
        if sm is None:
            return
        self.state.last_activity = self.clock()
        current = sm.current
        if isinstance(ev, Listening):
            sm.get_screen("listening").show(ev)
            sm.current = "listening"
        elif isinstance(ev, (AudioLevel, PartialTranscript, SpeechEnded, Thinking)):
            sm.get_screen("listening").show(ev)
            if isinstance(ev, AudioLevel):
                sm.get_screen("home").mic_ok = True  # sound arrives: the microphone works (again)
        elif isinstance(ev, Transcribed):
            self.state.last_question = ev.text
            if ev.language in ("vi", "en") and ev.language != THEME.lang:
                # spoke English: the session stays English until the idle reset
                self.controller.show_language(ev.language)
            sm.get_screen("listening").show(ev)
            sm.get_screen("answer").show(ev)
            if current in ("typing", "home"):  # typed/example question: show "đang tìm câu trả lời…"
                sm.current = "listening"
        elif isinstance(ev, AnswerReady):
            self.state.last_answer = ev.answer
            if ev.answer.verdict is Verdict.REFER:
                self.controller.note_unanswered(ev.answer.reason or "refer")
            sm.get_screen("answer").show(ev)
            sm.current = "answer"
        elif isinstance(ev, AnswerFinal):  # a live (LLM) answer: what was said, by whom, why
            self.state.last_answer = ev.answer  # "Nghe lại" repeats what was said
            sm.get_screen("answer").show(ev)
        elif isinstance(ev, (Speaking, SpeakingFinished)):
            sm.get_screen("answer").show(ev)
        elif isinstance(ev, Failed):
            self._show_failure(ev)
        elif isinstance(ev, Idle):
            if current == "listening":  # the run ended without an answer or an error to show
                sm.current = "home"
        elif isinstance(ev, (BundleProgress, BundleDone, BundleRefused)):  # the staff worker's
            if sm.has_screen("staff"):
                sm.get_screen("staff").show(ev)
        elif isinstance(ev, (BundleActivated, MicStatus)):
            sm.get_screen("home").show(ev)
            if isinstance(ev, BundleActivated) and current == "error" and sm.get_screen("error").maintenance:
                sm.current = "home"

    def _show_failure(self, ev: Failed) -> None:
        assert self.state.sm is not None
        if ev.code is ErrorCode.CANCELLED:
            return
        if ev.code in VOICE_ONLY and self.state.sm.current == "answer":
            self.state.sm.get_screen("answer").show(ev)  # the answer stays readable on screen
            return
        if ev.code is ErrorCode.NO_MATCH:
            self.controller.note_unanswered("no-match")
        if ev.code is ErrorCode.MIC_MISSING:
            self.state.sm.get_screen("home").mic_ok = False
        err = self.state.sm.get_screen("error")
        err.show(ev)
        if self.state.sm.current not in ("staff", "recording"):  # staff at work are not interrupted
            self.state.sm.current = "error"
