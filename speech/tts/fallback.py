"""A synthesiser that falls back to espeak-ng when the configured voice is missing or fails.

The kiosk must always speak: a missing Piper voice (not provisioned, deleted, corrupt) or a voice
that fails at run time is logged once as a warning and espeak-ng takes over for the rest of the run.
``degraded`` / ``reason`` tell the health check (``kiosk doctor``, the staff screen) what happened.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from speech.tts.base import AudioChunk, Synthesizer

log = logging.getLogger(__name__)


class FallbackSynthesizer:
    """``primary`` (None = missing) with ``fallback`` behind it; switching is one-way and logged once."""

    def __init__(self, primary: Synthesizer | None, fallback: Synthesizer, *, reason: str = "") -> None:
        self.primary = primary
        self.fallback = fallback
        self.language = primary.language if primary is not None else fallback.language
        self.degraded = False
        self.reason = ""
        if primary is None:
            self._degrade(reason or "configured voice is missing")

    @property
    def name(self) -> str:
        active = self.fallback if self.degraded or self.primary is None else self.primary
        return active.name

    def _degrade(self, reason: str) -> None:
        if not self.degraded:
            log.warning("speech synthesis degraded to %s: %s", self.fallback.name, reason)
        self.degraded = True
        self.reason = reason

    def synthesize(self, text: str, *, rate: float = 1.0) -> Iterator[AudioChunk]:
        if self.degraded or self.primary is None:
            yield from self.fallback.synthesize(text, rate=rate)
            return
        done = 0  # characters of ``text`` already spoken (chunk texts are slices of it)
        try:
            for chunk in self.primary.synthesize(text, rate=rate):
                yield chunk
                at = text.find(chunk.text, done) if chunk.text else -1
                if at >= 0:
                    done = at + len(chunk.text)
        except Exception as err:  # any engine failure: the kiosk keeps speaking with espeak-ng
            log.debug("primary synthesiser failed", exc_info=True)
            self._degrade(f"{self.primary.name} failed: {err}")
            rest = text[done:].strip()
            if rest:
                yield from self.fallback.synthesize(rest, rate=rate)

    def close(self) -> None:
        if self.primary is not None:
            self.primary.close()
        self.fallback.close()
