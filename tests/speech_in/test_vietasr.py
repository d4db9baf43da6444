"""viet-asr for real on the six real recordings (WER against their transcripts) and its session quirks."""

from __future__ import annotations

from pathlib import Path

import pytest

from speech.asr.wer import normalize_words, wer, word_errors
from speech.audio import SAMPLE_RATE, read_wav
from tests.speech_in.voice_in_signals import recordings, reference, silence

pytestmark = pytest.mark.engine


@pytest.mark.parametrize("wav", recordings(), ids=lambda p: p.stem)
def test_each_recording_is_understood(vietasr, wav: Path) -> None:  # type: ignore[no-untyped-def]
    pcm, rate = read_wav(wav)
    text = vietasr.transcribe(pcm, rate).text
    assert text == text.lower() and "\n" not in text
    assert wer(reference(wav), text) <= 0.25, text  # at most 1 word in 4 wrong on any one sentence


def test_streaming_wer_over_all_recordings(vietasr) -> None:  # type: ignore[no-untyped-def]
    errors = words = 0
    for wav in recordings():
        pcm, _ = read_wav(wav)
        s = vietasr.start(SAMPLE_RATE)
        for i in range(0, len(pcm), 1024):  # 32 ms chunks, as from the microphone
            s.accept(pcm[i:i + 1024])
        e, n = word_errors(reference(wav), s.final().text)
        errors, words = errors + e, words + n
    assert errors / words <= 0.12  # the target, on the streaming path the kiosk uses


def test_partials_grow_then_final(vietasr, speech_pcm: bytes) -> None:  # type: ignore[no-untyped-def]
    s = vietasr.start(SAMPLE_RATE)
    partials = []
    for i in range(0, len(speech_pcm), 1024):
        s.accept(speech_pcm[i:i + 1024])
        if (p := s.partial()) and (not partials or p != partials[-1]):
            partials.append(p)
    assert len(partials) >= 3  # words appear while the person is still speaking
    assert all(p.split()[0] == "chúng" for p in partials)
    assert [len(p.split()) for p in partials] == sorted(len(p.split()) for p in partials)
    final = s.final()
    assert normalize_words(final.text)[:2] == ["chúng", "ta"] and final.confidence is None


def test_sessions_do_not_leak_into_each_other(vietasr, speech_pcm: bytes) -> None:  # type: ignore[no-untyped-def]
    first = vietasr.start(SAMPLE_RATE)
    first.accept(speech_pcm)
    assert "người khác" in first.final().text
    second = vietasr.start(SAMPLE_RATE)
    second.accept(silence(1.0))
    assert second.final().text == ""  # the first utterance's words are not repeated


def test_silence_transcribes_to_nothing(vietasr) -> None:  # type: ignore[no-untyped-def]
    assert vietasr.transcribe(silence(1.0), SAMPLE_RATE).text == ""
    assert vietasr.transcribe(b"", SAMPLE_RATE).text == ""


@pytest.mark.parametrize(("ref", "hyp", "want"), [
    ("Đến cuối thế kỷ 19, ngành", "đến cuối thế kỷ mười chín ngành", 0.0),
    ("Anh chỉ muốn", "chỉ muốn", 1 / 3),
    ("a b c d", "a x c d e", 0.5),
])
def test_wer_normalisation(ref: str, hyp: str, want: float) -> None:
    assert wer(ref, hyp) == pytest.approx(want)
