"""What the pipeline needs from the outside world, and the defaults it uses when given nothing.

This module owns the pipeline's ports: the small protocols its collaborators satisfy (audio source,
knowledge, player, captured utterance), the callable types it is handed (event sink, capture,
speech normaliser), ``PerLanguage`` (engines built on first use per language) with ``pick_engine``,
and the default capture and normaliser, which import their ``speech`` modules only when called.
No Kivy, no engine is loaded by importing it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar

from kiosk_app.core.events import Event
from knowledge.types import Answer

EventSink = Callable[[Event], None]
T = TypeVar("T")


class AudioSourceLike(Protocol):
    def read(self, timeout: float) -> bytes | None: ...

    def close(self) -> None: ...


class KnowledgeLike(Protocol):
    """``knowledge.service.Knowledge``. Optional: ``ask_stream(question, language, context)`` →
    ``AnswerStream`` (LLM sentences spoken as they come, follow-up context); without it the pipeline
    uses ``ask`` and speaks the whole answer."""

    def ask(self, question: str, language: str = "vi") -> Answer: ...

    def record(self, procedure_id: str) -> Any: ...


class PlayerLike(Protocol):
    def play(self, chunks: Any, *, cancel: threading.Event | None = None,
             on_sentence: Callable[[str], None] | None = None) -> bool: ...

    def stop(self) -> None: ...


class UtteranceLike(Protocol):
    @property
    def transcript(self) -> Any: ...

    @property
    def speech_s(self) -> float: ...


CaptureFn = Callable[..., UtteranceLike]
Normalizer = Callable[[str, str], str]  # (text, language) -> text for the synthesizer


class PerLanguage(Generic[T]):
    """Engines built on first use per language ("vi", "en"); wiring passes one of these so the
    English engines are only loaded when someone switches to English."""

    def __init__(self, build: Callable[[str], T]) -> None:
        self._build = build
        self._built: dict[str, T] = {}
        self._lock = threading.Lock()

    def get(self, language: str) -> T:
        with self._lock:
            if language not in self._built:
                self._built[language] = self._build(language)
            return self._built[language]

    def built(self) -> list[T]:
        with self._lock:
            return list(self._built.values())


def pick_engine(engine: T | PerLanguage[T], language: str) -> T:
    """The engine for ``language``: built on first use when ``engine`` is a ``PerLanguage``."""
    return engine.get(language) if isinstance(engine, PerLanguage) else engine


def default_capture(*args: Any, **kwargs: Any) -> UtteranceLike:
    from speech.capture import capture_utterance

    return capture_utterance(*args, **kwargs)


def default_normalizer(text: str, language: str) -> str:
    if language != "vi":
        return text
    from speech.text.normalize_vi import normalize_for_speech

    return normalize_for_speech(text)
