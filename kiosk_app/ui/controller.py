"""What the buttons do: the kiosk's controller actions, which only hand work to the worker thread.

``ControllerMixin`` is mixed into ``kiosk_app.ui.app.KioskApp``, which sets the attributes declared
below. It owns the UI-thread side of every button (ask by voice or text, explain a procedure,
replay, stop, "Chưa đúng ý tôi", "Hỏi câu khác", rating, language, reload after a bundle import),
screen switches through ``go``, and the notes the feedback store keeps about unanswered questions.
It also defines ``WorkerLike`` and ``FeedbackLike``, what the controller drives. Nothing here waits
for an engine: the worker does the work and answers with events.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from kivy.clock import Clock

from kiosk_app.ui.theme import THEME
from knowledge.types import Answer

log = logging.getLogger(__name__)


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


class ControllerMixin:
    worker: WorkerLike | None
    feedback: FeedbackLike | None
    sm: Any  # the ScreenManager, None before build()
    last_answer: Answer | None
    last_question: str

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
            except Exception as exc:  # full disk, permission, damaged file: one precise line
                _store_failed(self.feedback, exc, "could not store a rating")
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

    def _note_unanswered(self, reason: str) -> None:
        if self.feedback is None or not self.last_question:
            return
        try:
            self.feedback.add_unanswered(self.last_question, reason)
        except Exception as exc:  # feedback is a nice-to-have: never break the answer for it
            _store_failed(self.feedback, exc, "could not store an unanswered question")


def _store_failed(store: object, exc: Exception, what: str) -> None:
    from kiosk_app.core.errors import storage_failure

    problem = storage_failure(exc, getattr(store, "path", "feedback store"), "feedback database")
    log.error("%s: [%s] %s", what, problem.code, problem)
