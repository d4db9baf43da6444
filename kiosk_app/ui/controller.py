"""What the buttons do: the kiosk's controller actions, which only hand work to the worker thread.

``Controller`` is the screens' ``controller``: the UI-thread side of every button (ask by voice or
text, explain a procedure, replay, stop, "Chưa đúng ý tôi", "Hỏi câu khác", rating, language,
reload after a bundle import), screen switches through ``go``, and the notes the feedback store
keeps about unanswered questions. Nothing here waits for an engine: the worker does the work and
answers with events.
"""

from __future__ import annotations

import logging

from kivy.clock import Clock

from kiosk_app.ui.state import FeedbackLike, UiState
from kiosk_app.ui.theme import THEME

log = logging.getLogger(__name__)


class Controller:
    def __init__(self, state: UiState, feedback: FeedbackLike | None = None) -> None:
        self.state = state
        self.feedback = feedback

    @property
    def language(self) -> str:
        return str(THEME.lang)

    def ask_voice(self) -> None:
        self.state.last_answer = None
        self.state.last_question = ""
        if self.state.worker is not None:
            self.state.worker.ask_voice(self.language)

    def ask_text(self, text: str) -> None:
        self.state.last_answer = None
        if self.state.worker is not None and text.strip():
            self.state.worker.ask_text(text.strip(), self.language)

    def explain(self, procedure_id: str) -> None:
        if self.state.worker is not None:
            self.state.worker.explain(procedure_id, self.language)

    def replay(self, slower: bool = False) -> None:
        if self.state.worker is not None and self.state.last_answer is not None:
            self.state.worker.replay(self.state.last_answer, slower)

    def stop_speaking(self) -> None:
        if self.state.worker is not None:
            self.state.worker.cancel()

    def cancel(self) -> None:
        """"Dừng" on the listening screen: stop and go back to the start."""
        if self.state.worker is not None:
            self.state.worker.cancel()
        self.go("home")

    def not_right(self) -> None:
        assert self.state.sm is not None
        if self.state.worker is not None:
            self.state.worker.cancel()  # stop reading the wrong answer
        self.note_unanswered("not-what-i-meant")
        self.state.sm.get_screen("answer").show_alternatives()

    def new_question(self) -> None:
        """"Hỏi câu khác": stop reading, ask for a one-tap rating, then home."""
        assert self.state.sm is not None
        if self.state.worker is not None:
            self.state.worker.new_conversation()  # the next question is not a follow-up of this one
            self.state.worker.cancel()
        fb = self.state.sm.get_screen("feedback")
        fb.procedure_id = (self.state.last_answer.procedure_id if self.state.last_answer else None) or ""
        self.go("feedback")

    def rate(self, rating: str) -> None:
        assert self.state.sm is not None
        pid = self.state.sm.get_screen("feedback").procedure_id or None
        if self.feedback is not None:
            try:
                self.feedback.add_rating(pid, rating)
            except Exception as exc:  # full disk, permission, damaged file: one precise line
                _store_failed(self.feedback, exc, "could not store a rating")
        if rating == "chua-hai-long":
            self.note_unanswered("chua-hai-long")
        Clock.schedule_once(lambda _dt: self._home_if("feedback"), 2.5)

    def _home_if(self, screen: str) -> None:
        if self.state.sm is not None and self.state.sm.current == screen:
            self.go("home")

    def go(self, name: str) -> None:
        assert self.state.sm is not None
        if name == "home":
            self.state.last_answer = None
            self.state.last_question = ""
        if self.state.sm.has_screen(name):
            self.state.sm.current = name

    def set_language(self, language: str) -> None:
        """The language button (and the idle reset): a new conversation in that language."""
        if self.state.worker is not None:
            self.state.worker.new_conversation()
        self.show_language(language)

    def show_language(self, language: str) -> None:
        THEME.set_language(language)
        if self.state.sm is not None:
            self.state.sm.get_screen("error").refresh_language()

    def reload_bundle(self) -> None:
        """After the staff screen activated a new bundle: reopen the store between questions."""
        if self.state.worker is not None:
            self.state.worker.reload()

    def note_unanswered(self, reason: str) -> None:
        if self.feedback is None or not self.state.last_question:
            return
        try:
            self.feedback.add_unanswered(self.state.last_question, reason)
        except Exception as exc:  # feedback is a nice-to-have: never break the answer for it
            _store_failed(self.feedback, exc, "could not store an unanswered question")


def _store_failed(store: object, exc: Exception, what: str) -> None:
    from kiosk_app.core.errors import storage_failure

    problem = storage_failure(exc, getattr(store, "path", "feedback store"), "feedback database")
    log.error("%s: [%s] %s", what, problem.code, problem)
