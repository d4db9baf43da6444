"""Voice activity detection interface: speech probability per fixed-size chunk."""

from __future__ import annotations

from typing import Protocol


class VoiceDetector(Protocol):
    """Scores one chunk of 16-bit mono PCM at 16 kHz. ``chunk_samples`` is the size it wants."""

    chunk_samples: int

    def __call__(self, pcm16: bytes) -> float: ...  # speech probability 0..1

    def reset(self) -> None: ...
