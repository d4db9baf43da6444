"""Speech synthesis interface: text in, audio chunks out, one chunk per sentence."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class AudioChunk:
    pcm16: bytes  # 16-bit signed little-endian mono
    sample_rate: int
    text: str = ""  # the sentence this chunk speaks


class Synthesizer(Protocol):
    """Streams sentence by sentence so the first sentence can play while the rest is synthesised.

    ``rate`` 1.0 is normal speed, below 1 slower. Engines built by ``kiosk_app.wiring`` normalise
    Vietnamese text for speech themselves (``speech.text.normalize_vi``), so callers pass the answer as
    written; each chunk's ``text`` is the written sentence (for the screen), not the spoken words.
    """

    @property
    def name(self) -> str: ...

    language: str

    def synthesize(self, text: str, *, rate: float = 1.0) -> Iterator[AudioChunk]: ...

    def close(self) -> None: ...
