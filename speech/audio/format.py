"""The pipeline audio format and the ``AudioSource`` protocol every input delivers it through.

What all audio inputs agree on: 16 kHz, mono, signed 16-bit little-endian PCM
(``bytes``), the chunk size of the VAD frame, ``seconds(pcm16)``, and ``AudioSource`` (``read`` /
``close``), which ``MicStream`` and ``WavSource`` both satisfy. No I/O, no sounddevice.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt

SAMPLE_RATE = 16000
CHANNELS = 1
SAMPLE_WIDTH = 2  # bytes (int16)
DTYPE = "int16"
CHUNK_SAMPLES = 512  # 32 ms: the Silero VAD frame; sources may deliver other sizes
BYTES_PER_SECOND = SAMPLE_RATE * SAMPLE_WIDTH

Int16Array = npt.NDArray[np.int16]


class AudioSource(Protocol):
    """A stream of pipeline-format chunks.

    ``read(timeout)`` returns the next chunk (any length, whole samples), ``None`` when nothing
    arrived within ``timeout`` seconds, or ``b""`` once the source has ended (a file ran out).
    Raises ``MicError`` if a live device fails (unplugged).
    """

    def read(self, timeout: float) -> bytes | None: ...

    def close(self) -> None: ...


def int16_samples(pcm16: bytes) -> Int16Array:
    """The samples of pipeline PCM; a trailing odd byte (a torn chunk) is dropped."""
    return np.frombuffer(pcm16[: len(pcm16) // 2 * 2], dtype=np.int16)


def seconds(pcm16: bytes) -> float:
    return len(pcm16) / BYTES_PER_SECOND
