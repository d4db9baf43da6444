"""End of turn with the real energy VAD and viet-asr on the real recordings: bad input (issue 19)."""

from __future__ import annotations

import numpy as np
import pytest

from kiosk_app.core.errors import NoSpeechError
from kiosk_app.core.settings import EndpointSettings
from speech.asr.base import Transcript
from speech.audio import WavSource, read_wav
from speech.capture import capture_utterance
from speech.vad.energy import EnergyVad, level_db
from speech.vad.turn import TurnContext, Waits
from tests.speech_in.voice_in_signals import VIENEU, noise, tone

pytestmark = pytest.mark.engine
LY = VIENEU / "Ly (nữ miền Bắc).wav"
NGOC = VIENEU / "Ngọc (nữ miền Bắc).wav"


def pcm(path) -> bytes:  # type: ignore[no-untyped-def]
    return read_wav(path)[0]


def at_peak(audio: bytes, peak_db: float) -> bytes:
    """``audio`` scaled so its loudest 32 ms frame is at ``peak_db`` dBFS."""
    x = np.frombuffer(audio, dtype=np.int16).astype(np.float64)
    loudest = max(level_db(audio[i:i + 1024]) for i in range(0, len(audio) - 1023, 1024))
    return np.clip(x * 10 ** ((peak_db - loudest) / 20), -32768, 32767).astype(np.int16).tobytes()


class Recorder:
    def __init__(self) -> None:
        self.prepared: list[str] = []
        self.dropped = 0

    def prepare(self, transcript: Transcript) -> bool:
        self.prepared.append(transcript.text)
        return False

    def drop(self) -> None:
        self.dropped += 1


def listen(audio: bytes, rec, spec: Recorder, timeout_s: float = 6.0):  # type: ignore[no-untyped-def]
    return capture_utterance(WavSource(pcm16=audio), EnergyVad(), rec,
                             EndpointSettings(no_speech_timeout_s=timeout_s),
                             turn=TurnContext(Waits(), "vi", False, spec))


def test_a_far_second_voice_alone_starts_no_answer(vietasr) -> None:  # type: ignore[no-untyped-def]
    """Someone talking across the room (peaks at -55 dBFS) while the resident says nothing."""
    spec = Recorder()
    far = at_peak(pcm(NGOC), -55.0)
    with pytest.raises(NoSpeechError, match="no speech within 5 s"):
        listen(noise(0.5) + far + noise(2.0, seed=3), vietasr, spec, timeout_s=5.0)
    assert spec.prepared == []


def test_a_second_voice_in_the_pause_does_not_end_the_turn_early(vietasr) -> None:  # type: ignore[no-untyped-def]
    """The resident pauses 0.4 s; a companion starts speaking: the turn goes on while anyone speaks."""
    spec = Recorder()
    ly = pcm(LY)
    other = at_peak(pcm(NGOC), -20.0)
    utt = listen(noise(0.5) + ly + noise(0.3, seed=4) + other + noise(2.0, seed=5), vietasr, spec)
    assert utt.timings["turn_end_t"] > 0.5 + len(ly) / 32000 + 0.3 + len(other) / 32000 - 0.3
    assert spec.dropped >= 1 or len(spec.prepared) == 1  # anything prepared in a pause was dropped


def test_a_cough_and_a_door_bang_do_not_end_the_turn(vietasr) -> None:  # type: ignore[no-untyped-def]
    """A loud 0.15 s cough 0.35 s after the last word, a 0.5 s door bang before the question."""
    spec = Recorder()
    ly = pcm(LY)
    bang = tone(0.5, 120, -8)  # low, loud, no words
    cough = tone(0.15, 900, -10)
    audio = noise(0.5) + bang + noise(1.0, seed=6) + ly + noise(0.35, seed=7) + cough + noise(2.0, seed=8)
    utt = listen(audio, vietasr, spec)
    ly_end = 0.5 + 0.5 + 1.0 + len(ly) / 32000
    assert utt.timings["speech_start_s"] > 1.5  # the bang did not start the question
    assert utt.timings["turn_end_t"] >= ly_end + 0.35 + 0.15  # not ended before the cough
    assert "chúng ta" in utt.transcript.text
