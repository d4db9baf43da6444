"""What the kiosk screen's parts share (the screen manager, the worker, the current question) and the
protocols of the worker and the feedback store they drive."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from knowledge.types import Answer

if TYPE_CHECKING:
    from kivy.uix.screenmanager import ScreenManager


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


@dataclass
class UiState:
    """Touched on the UI thread only. ``sm`` is None before ``KioskApp.build``."""

    sm: ScreenManager | None = None
    worker: WorkerLike | None = None
    last_answer: Answer | None = None
    last_question: str = ""
    last_activity: float = 0.0  # clock time of the last touch or event (idle reset)
    catalog: dict[str, Any] = field(default_factory=dict)  # procedure id -> record of the active bundle
