"""What the pipeline needs from the outside world, and the defaults it uses when given nothing.

The small protocols its collaborators satisfy (audio source, knowledge, player, captured utterance,
capture), the callable types it is handed (event sink, speech normaliser), ``PerLanguage`` (engines
built on first use per language) with ``pick_engine``, and the default capture and normaliser,
which import their ``speech`` modules only when called. No Kivy; importing it loads no engine.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from kiosk_app.core.events import Event
from knowledge.types import AnswerStream, Conversation

if TYPE_CHECKING:
    from kiosk_app.core.settings import EndpointSettings
    from knowledge.bundle.schema import Record
    from speech.asr.base import Recognizer, Transcript
    from speech.tts.base import AudioChunk
    from speech.vad.base import VoiceDetector
    from speech.vad.turn import TurnContext

EventSink = Callable[[Event], None]
Normalizer = Callable[[str, str], str]  # (text, language) -> text for the synthesizer
T = TypeVar("T")


class AudioSourceLike(Protocol):
    def read(self, timeout: float) -> bytes | None: ...

    def close(self) -> None: ...


class KnowledgeLike(Protocol):
    """``knowledge.service.Knowledge`` as the pipeline uses it.

    ``ask_stream`` decides at once; the stream's sentences may come later (the local LLM), and the
    pipeline speaks them as they come. ``context``: the last answer, for follow-up questions."""

    def ask_stream(self, question: str, language: str = "vi",
                   context: Conversation | None = None) -> AnswerStream: ...

    def record(self, procedure_id: str) -> Record: ...


class PlayerLike(Protocol):
    def play(self, chunks: Iterable[AudioChunk], *, cancel: threading.Event | None = None,
             on_sentence: Callable[[str], None] | None = None) -> bool: ...

    def stop(self) -> None: ...


class UtteranceLike(Protocol):
    """``speech.capture.Utterance``: one spoken question."""

    @property
    def transcript(self) -> Transcript: ...

    @property
    def speech_s(self) -> float: ...

    @property
    def timings(self) -> dict[str, float]: ...


class CaptureFn(Protocol):
    """``speech.capture.capture_utterance``: listen until the turn ends, return the utterance."""

    def __call__(self, source: AudioSourceLike, vad: VoiceDetector, recognizer: Recognizer,
                 endpoint: EndpointSettings, *, on_partial: Callable[[str], None] | None = None,
                 on_level: Callable[[float], None] | None = None, cancel: threading.Event | None = None,
                 turn: TurnContext | None = None) -> UtteranceLike: ...


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


def default_capture(source: AudioSourceLike, vad: VoiceDetector, recognizer: Recognizer,
                    endpoint: EndpointSettings, *, on_partial: Callable[[str], None] | None = None,
                    on_level: Callable[[float], None] | None = None, cancel: threading.Event | None = None,
                    turn: TurnContext | None = None) -> UtteranceLike:
    from speech.capture import capture_utterance

    return capture_utterance(source, vad, recognizer, endpoint, on_partial=on_partial, on_level=on_level,
                             cancel=cancel, turn=turn)


def default_normalizer(text: str, language: str) -> str:
    if language != "vi":
        return text
    from speech.text.normalize_vi import normalize_for_speech

    return normalize_for_speech(text)
