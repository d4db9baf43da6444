"""Someone presses the button and simply speaks English: detection rule, recognizer, pipeline session."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from kiosk_app.core.errors import ModelMissingError
from kiosk_app.core.events import AnswerReady, Transcribed
from kiosk_app.core.settings import Settings
from kiosk_app.pipeline import PerLanguage
from knowledge.types import Aspect
from speech.asr.autolang import AutoLanguageRecognizer, LanguageRule, choose_language
from speech.asr.base import Transcript
from speech.asr.whisper_engine import Analysis
from speech.audio import read_wav
from tests.english.conftest import RATE, vietnamese_recordings
from tests.fakes import FakeKnowledge, FakeRecognizer, FakeSynthesizer, Rig, answer_for, records


@pytest.mark.parametrize(("session", "detected", "prob", "speech_s", "vi_text", "want"), [
    ("vi", "en", 0.99, 2.0, "hao mát ít a bớt sơ ti phi kết", "en"),  # clear English
    ("vi", "en", 0.72, 2.0, "ờ ờ", "en"),
    ("vi", "en", 0.60, 2.0, "làm giấy khai sinh", "vi"),  # not sure enough: stay Vietnamese
    ("vi", "en", 0.60, 2.0, "", "en"),  # viet-asr heard no words at all: weaker evidence suffices
    ("vi", "en", 0.45, 2.0, "", "vi"),
    ("vi", "en", 0.99, 0.4, "ok", "vi"),  # too short to judge ("ok", a cough)
    ("vi", "vi", 0.99, 3.0, "làm giấy khai sinh", "vi"),
    ("vi", "zh", 0.95, 3.0, "", "vi"),  # a language the kiosk cannot answer in: no switch
    ("vi", None, 0.0, 3.0, "", "vi"),  # no detection (Whisper unavailable)
    ("vi", "", 0.0, 3.0, "", "vi"),  # Whisper's VAD gate heard no speech (noise): not analysed
    ("en", "vi", 0.99, 3.0, "", "en"),  # an English session never switches back by itself
])
def test_choose_language(session: str, detected: str | None, prob: float, speech_s: float,
                         vi_text: str, want: str) -> None:
    assert choose_language(session, detected, prob, speech_s, vi_text, LanguageRule()) == want


# ---- the recognizer wrapper with fakes ----------------------------------------------------------
@dataclass
class FakeAnalyser:
    language: str
    prob: float
    text: str = "how much is a birth certificate"
    calls: list[str | None] = field(default_factory=list)

    def analyse(self, audio: Any, *, transcribe: Any = True, language: str | None = None) -> Analysis:
        self.calls.append(language)
        want = transcribe(self.language, self.prob) if callable(transcribe) else transcribe
        return Analysis(self.language, self.prob, self.text if want else None, language,
                        0.9 if want else None, 0.0, len(audio) / RATE)


def _speech(seconds: float = 1.5) -> bytes:
    t = np.arange(int(seconds * RATE)) / RATE
    return (np.sin(2 * np.pi * 220 * t) * 6000).astype(np.int16).tobytes() + b"\x00\x00" * int(0.8 * RATE)


def _run(rec: AutoLanguageRecognizer, pcm: bytes) -> Transcript:
    session = rec.start(RATE)
    for i in range(0, len(pcm), 1024):
        session.accept(pcm[i:i + 1024])
    return session.final()


def test_english_speech_in_a_vietnamese_session_comes_back_english() -> None:
    analyser = FakeAnalyser("en", 0.97)
    rec = AutoLanguageRecognizer(FakeRecognizer("hao mát ích", language="vi"), lambda: analyser,
                                 preload=False)
    t = _run(rec, _speech())
    assert t == Transcript("how much is a birth certificate", 0.9, "en")
    assert analyser.calls == ["en"]  # one analysis: detection and English words from one encoder pass


def test_vietnamese_speech_keeps_the_vietnamese_transcript() -> None:
    rec = AutoLanguageRecognizer(FakeRecognizer("làm giấy khai sinh", language="vi"),
                                 lambda: FakeAnalyser("vi", 0.99), preload=False)
    assert _run(rec, _speech()) == Transcript("làm giấy khai sinh", 0.9, "vi")


def test_without_whisper_the_vietnamese_path_still_works() -> None:
    def missing() -> Any:
        raise ModelMissingError("whisper-base", "/nowhere", "the packages")

    rec = AutoLanguageRecognizer(FakeRecognizer("làm giấy khai sinh"), missing, preload=False)
    assert _run(rec, _speech()).text == "làm giấy khai sinh"
    assert _run(rec, _speech()).language == "vi"  # tried once, then detection stays off quietly


# ---- for real: viet-asr + Whisper ---------------------------------------------------------------
@pytest.mark.engine
def test_real_detection_english_question_vs_vietnamese_recordings(whisper: Any,
                                                                  say_en: Callable[[str], bytes]) -> None:
    from speech.asr.vietasr_engine import VietAsrRecognizer

    rec = AutoLanguageRecognizer(VietAsrRecognizer(), lambda: whisper, preload=False)
    try:
        t = _run(rec, say_en("How much is a birth certificate?") + b"\x00\x00" * int(0.8 * RATE))
        assert t.language == "en" and "birth certificate" in t.text.lower()
        for wav in vietnamese_recordings()[:3]:
            pcm, rate = read_wav(wav)
            vt = rec.transcribe(pcm, rate)
            assert vt.language == "vi" and vt.text and vt.text.isascii() is False, wav.name
    finally:
        rec.close()


# ---- the pipeline: the session switches to English and answers in English ------------------------
def test_pipeline_answers_english_speech_in_english(settings: Settings) -> None:
    rec = records("khai-sinh")["khai-sinh"]
    question = "how much is a birth certificate"
    kn = FakeKnowledge({question: answer_for(rec, aspect=Aspect.FEE, language="en")})
    synths: dict[str, FakeSynthesizer] = {}

    def synth(lang: str) -> FakeSynthesizer:
        return synths.setdefault(lang, FakeSynthesizer(lang))

    rig = Rig(settings, recognizer=FakeRecognizer(question, language="en"), knowledge=kn,
              synthesizer_engine=PerLanguage(synth))
    answer = rig.pipeline.run_once("vi")  # the home screen was in Vietnamese
    assert rig.of(Transcribed)[0].language == "en"  # the screen switches on this
    assert kn.asked == [(question, "en")]
    assert answer is not None and answer.language == "en" and rig.of(AnswerReady)[0].answer is answer
    assert set(synths) == {"en"} and synths["en"].texts  # spoken by the English voice only
    assert rig.types()[-3:] == ["speaking", "speaking-finished", "idle"]


def test_pipeline_english_session_stays_english(settings: Settings) -> None:
    kn = FakeKnowledge()
    rig = Rig(settings, recognizer=FakeRecognizer("xin chào", language="vi"), knowledge=kn,
              synthesizer_engine=PerLanguage(FakeSynthesizer))
    rig.pipeline.run_once("en")
    assert rig.of(Transcribed)[0].language == "en" and kn.asked == [("xin chào", "en")]


@pytest.mark.engine
def test_noise_never_switches_a_vietnamese_session_to_english(whisper: Any) -> None:
    """A door slam and a ringtone in a Vietnamese session: Whisper's gate hears no speech, so no
    English phantom ("I", "I'm sorry.") replaces what viet-asr heard."""
    from tests.english import noise_clips

    rec = AutoLanguageRecognizer(FakeRecognizer("", language="vi"), lambda: whisper, preload=False)
    for name in ("door-slam-loud", "tones", "pink-25dB"):
        session = rec.start(RATE)
        pcm = noise_clips.noise_set()[name].tobytes()
        for i in range(0, len(pcm), 1024):
            session.accept(pcm[i:i + 1024])
        t = session.final()
        assert (t.text, t.language) == ("", "vi"), name
        assert session.analysis is not None and session.analysis.dropped == "vad"
