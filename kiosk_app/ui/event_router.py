"""The worker bridge: pipeline events cross from the worker thread to the UI thread and reach the screens.

``EventRouterMixin`` is mixed into ``kiosk_app.ui.app.KioskApp``, which sets the attributes declared
below. It owns ``post`` (any thread → ``Clock.schedule_once`` → ``handle``, so widgets are only
touched on the UI thread), the worker's "pipeline ready" callback that delivers the bundle's
catalogue (``set_catalog``), and ``handle``: which screen shows which event, when the kiosk switches
screens, and how a ``Failed`` code is shown (on the answer screen when only the voice failed,
otherwise the error screen, never over the staff screen).
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
from kiosk_app.ui.messages import VOICE_ONLY
from kiosk_app.ui.theme import THEME
from knowledge.types import Answer, Verdict


class EventRouterMixin:
    sm: Any  # the ScreenManager, None before build()
    clock: Callable[[], float]
    catalog: dict[str, Any]
    last_answer: Answer | None
    last_question: str
    last_activity: float
    _note_unanswered: Callable[[str], None]  # ControllerMixin
    _show_language: Callable[[str], None]  # ControllerMixin

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
        if self.sm.current not in ("staff", "recording"):  # staff at work are not interrupted
            self.sm.current = "error"
