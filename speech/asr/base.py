"""Speech recognition interface: one streaming session per utterance."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Transcript:
    text: str  # lowercase Vietnamese as the engine hears it; may lack punctuation
    confidence: float | None = None  # 0..1 where the engine reports it
    language: str = "vi"


class RecognizerSession(Protocol):
    """Feed 16-bit mono PCM chunks; read partial text; finish with ``final()``."""

    def accept(self, pcm16: bytes) -> None: ...

    def partial(self) -> str: ...

    def final(self) -> Transcript: ...


class Recognizer(Protocol):
    """An ASR engine. ``sample_rate`` is the rate of the PCM the session will be fed."""

    name: str

    def start(self, sample_rate: int) -> RecognizerSession: ...

    def transcribe(self, pcm16: bytes, sample_rate: int) -> Transcript: ...

    def close(self) -> None: ...
