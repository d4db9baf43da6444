"""viet-asr (import ``vietasr``): Vietnamese CTC ASR with the model embedded in its native library.

Works out of the box (no model directory); the default Vietnamese engine. Quirks handled here
(STACK.md §3): ``transcribe`` needs int16 (floats become 0), ``final()`` does not clear the session
(we ``reset()`` then close it), there is no end-of-utterance signal (capture decides that), the
partial text joins internal segments with newlines, and the engine gives no confidence.
"""

from __future__ import annotations

import logging
from typing import Any

from kiosk_app.core.errors import AsrError, ModelMissingError
from speech.asr.base import Transcript
from speech.audio.format import int16_samples

log = logging.getLogger(__name__)

NATIVE_LOG_WARN = 3  # vietasr_set_log_level: 3 hides its INFO lines on stderr


def _clean(text: str) -> str:
    return " ".join(text.split())


class VietAsrSession:
    def __init__(self, session: Any) -> None:
        self._s = session
        self._closed = False

    def accept(self, pcm16: bytes) -> None:
        if pcm16:
            self._s.accept(pcm16)  # raw s16le bytes go straight to vietasr_accept_waveform_s16

    def partial(self) -> str:
        return _clean(self._s.partial().text)

    def settle(self) -> Transcript:
        """Everything heard so far, decoded to the end, and the session goes on (speech.capture
        decodes a pause ahead; viet-asr's final() leaves the stream usable: the next final() gives
        the whole utterance, measured on the recordings joined by a pause)."""
        return Transcript(_clean(self._s.final().text), None, "vi")

    def final(self) -> Transcript:
        try:
            text = _clean(self._s.final().text)
        finally:
            self._s.reset()  # final() does not clear the session
            self.close()
        return Transcript(text, None, "vi")

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._s.close()


class VietAsrRecognizer:
    name = "vietasr"
    # The streaming model decodes in fixed windows: the first after 0.45 s of session audio, then every
    # 0.43 s. 0.45 s of pre-roll puts a window boundary at the onset, so the first decode sees a whole
    # window of speech: first words ~0.5 s after the onset (measured; 0.3 s pre-roll gave ~0.66 s).
    preroll_s = 0.45

    def __init__(self, preset: str = "transcribe") -> None:
        try:
            from vietasr.ffi import native

            native.lib.vietasr_set_log_level(NATIVE_LOG_WARN)
            from vietasr import Pipeline
        except (ImportError, OSError) as err:
            raise ModelMissingError("vietasr", "vietasr", "the viet-asr package (pip install viet-asr)") \
                from err
        try:
            self._p: Any = Pipeline.preset(preset)
        except RuntimeError as err:
            raise AsrError(f"viet-asr preset '{preset}' failed to load: {err}") from err
        log.info("viet-asr loaded (preset %s)", preset)

    def start(self, sample_rate: int) -> VietAsrSession:
        try:
            return VietAsrSession(self._p.stream(float(sample_rate)))
        except RuntimeError as err:
            raise AsrError(f"viet-asr could not open a session: {err}") from err

    def transcribe(self, pcm16: bytes, sample_rate: int) -> Transcript:
        samples = int16_samples(pcm16)  # MUST stay int16
        if samples.size == 0:
            return Transcript("", None, "vi")
        try:
            result = self._p.transcribe(samples, float(sample_rate))
        except RuntimeError as err:
            raise AsrError(f"viet-asr failed to transcribe: {err}") from err
        return Transcript(_clean(result.text), None, "vi")

    def close(self) -> None:
        p, self._p = self._p, None
        if p is not None:
            p.close()
