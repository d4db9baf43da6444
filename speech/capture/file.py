"""A WAV file through the kiosk's own listening path (``capture_utterance``), for the CLI
(``kiosk ask --audio``)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from speech.asr.base import Recognizer, Transcript
from speech.audio import SAMPLE_RATE, SAMPLE_WIDTH, WavSource, read_wav, seconds
from speech.capture.stream import capture_utterance
from speech.vad.base import VoiceDetector
from speech.vad.endpoint import EndpointConfig
from speech.vad.turn import Speculation, TurnContext

if TYPE_CHECKING:
    from kiosk_app.core.settings import Settings

LEAD_SILENCE_S = 0.5  # transcribe_file: recordings often start on the first word; a live mic never does


def transcribe_file(path: Path | str, settings: Settings, *, recognizer: Recognizer, vad: VoiceDetector,
                    language: str = "vi", speculation: Speculation | None = None
                    ) -> tuple[Transcript, dict[str, float]]:
    """A WAV file (any rate/channels) through the kiosk's own VAD → endpointing → ASR (for the CLI).

    The button-press timeout is stretched to the file's length; the hang-over and the maximum length
    are the configured ones, so a long pause ends the question and endless talk (a 10-minute file) is
    cut exactly as at the kiosk, in bounded time and memory. Half a
    second of silence goes before the audio, so the pre-roll exists as it would at the kiosk.
    The end of the turn is decided as the kiosk decides it (``[endpoint] turn_end``), with
    ``speculation`` preparing the answer in pauses. The timings add ``speech_end_s`` / ``turn_end_s``
    (file time of the last word's end / of the end-of-turn decision) and ``ready_s`` (when the final
    transcript and any speculative answer were ready, as a live microphone would have seen it).
    The caller builds (and closes) ``recognizer`` and ``vad`` (``kiosk_app.wiring``).
    Raises ``AudioInvalidError`` for non-audio files, ``NoSpeechError`` when nothing is said.
    """
    pcm, _ = read_wav(path)
    duration = seconds(pcm)
    lead = b"\x00" * (round(LEAD_SILENCE_S * SAMPLE_RATE) * SAMPLE_WIDTH)  # room before the first word
    ep = settings.endpoint
    cfg = EndpointConfig(threshold=ep.speech_threshold, hangover_s=ep.hangover_s,
                         min_speech_s=ep.min_speech_s,
                         max_utterance_s=ep.max_utterance_s,
                         no_speech_timeout_s=max(ep.no_speech_timeout_s, duration + 1.0))
    turn = TurnContext.from_settings(ep, language=language, speculation=speculation)
    tail = max(ep.hangover_s, turn.waits.long_s if turn is not None else 0.0) + 0.2
    t0 = time.perf_counter()
    utt = capture_utterance(WavSource(pcm16=lead + pcm, tail_silence_s=tail), vad, recognizer, cfg, turn=turn)
    wall = time.perf_counter() - t0
    timings = dict(utt.timings)
    timings.update(file_s=duration, speech_s=utt.speech_s, wall_s=wall, rtf=wall / max(duration, 1e-6))
    for key in ("speech_end", "turn_end", "ready"):  # button-press clock → file clock
        if f"{key}_t" in timings:
            timings[f"{key}_s"] = timings[f"{key}_t"] - LEAD_SILENCE_S
    return utt.transcript, timings
