"""The pipeline as the screen sees it: exact event sequences with fake engines."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from kiosk_app.core.errors import ErrorCode, MicMissingError
from kiosk_app.core.events import (
    AnswerReady,
    AudioLevel,
    Failed,
    PartialTranscript,
    Speaking,
    SpeakingFinished,
)
from kiosk_app.pipeline import PerLanguage
from knowledge.types import Verdict
from tests.fakes import (
    FakeKnowledge,
    FakePlayer,
    FakeRecognizer,
    FakeSource,
    FakeSynthesizer,
    Rig,
    answer_for,
    records,
    silence,
)

QUESTION = "làm giấy khai sinh cho cháu cần giấy tờ gì"
RECS = records()
KHAI_SINH = answer_for(RECS["khai-sinh"])


def knows_khai_sinh() -> FakeKnowledge:
    return FakeKnowledge(answers={QUESTION: KHAI_SINH})


def test_spoken_question_gets_answer_shown_then_spoken(rig: Callable[..., Rig]) -> None:
    r = rig(recognizer=FakeRecognizer(QUESTION), knowledge=knows_khai_sinh())
    answer = r.pipeline.run_once()
    assert _core(r) == _HAPPY
    # level and partial events only come between Listening and SpeechEnded
    live = r.types()[1:r.types().index("speech-ended")]
    assert set(live) == {"audio-level", "partial-transcript"}
    assert answer == KHAI_SINH
    assert r.of(AnswerReady)[0].answer.procedure_id == "khai-sinh"
    # every sentence is shown as written while it plays, in order
    assert [e.sentence for e in r.of(Speaking)] == list(KHAI_SINH.sentences)
    assert r.player.played == list(KHAI_SINH.sentences)
    assert r.of(SpeakingFinished)[0].interrupted is False
    # the live transcript grows word by word and the level meter moves
    partials = [e.text for e in r.of(PartialTranscript)]
    assert partials and QUESTION.startswith(partials[-1]) and len(partials[-1]) > len(partials[0])
    assert max(e.level for e in r.of(AudioLevel)) > 0.1
    assert r.source.closed
    assert r.knowledge.asked == [(QUESTION, "vi")]


_HAPPY = ["listening", "speech-ended", "transcribed", "thinking", "answer-ready", "speaking", "speaking",
          "speaking-finished", "idle"]


def _core(r: Rig) -> list[str]:
    return [t for t in r.types(squash=False) if t not in ("audio-level", "partial-transcript")]


def test_synthesizer_gets_text_normalised_for_speech(rig: Callable[..., Rig]) -> None:
    from speech.text.normalize_vi import normalize_for_speech

    r = rig(recognizer=FakeRecognizer(QUESTION), knowledge=knows_khai_sinh())
    r.pipeline.run_once()
    assert r.synth.texts == [normalize_for_speech(s) for s in KHAI_SINH.sentences]
    assert any("60" in s for s in KHAI_SINH.sentences)
    assert not any("60" in t for t in r.synth.texts)  # digits are read out as words


def test_typed_question_skips_listening(rig: Callable[..., Rig]) -> None:
    r = rig(knowledge=knows_khai_sinh())
    r.pipeline.ask_text(QUESTION)
    assert r.types() == ["transcribed", "thinking", "answer-ready", "speaking", "speaking",
                         "speaking-finished", "idle"]
    assert r.source.reads == 0


def test_silence_says_no_speech(rig: Callable[..., Rig]) -> None:
    r = rig(source=FakeSource(silence(0.5)))
    assert r.pipeline.run_once() is None
    assert _core(r) == ["listening", "failed", "idle"]
    assert r.of(Failed)[0].code is ErrorCode.NO_SPEECH
    assert r.knowledge.asked == []


def test_empty_transcript_says_no_speech(rig: Callable[..., Rig]) -> None:
    r = rig(recognizer=FakeRecognizer(""))
    r.pipeline.run_once()
    assert _core(r) == ["listening", "failed", "idle"]
    assert r.of(Failed)[0].code is ErrorCode.NO_SPEECH


def test_out_of_scope_question_shows_and_speaks_refer_answer(rig: Callable[..., Rig]) -> None:
    r = rig(recognizer=FakeRecognizer("nuôi chó cần giấy gì"))
    answer = r.pipeline.run_once()
    assert _core(r) == ["listening", "speech-ended", "transcribed", "thinking", "answer-ready", "speaking",
                        "speaking-finished", "idle"]
    assert answer is not None and answer.verdict is Verdict.REFER
    assert "cán bộ" in r.of(Speaking)[0].sentence


def test_missing_microphone_is_a_failed_event(rig: Callable[..., Rig]) -> None:
    def no_mic() -> FakeSource:
        raise MicMissingError("no input device")

    r = rig(source_factory=no_mic)
    r.pipeline.run_once()
    assert r.types() == ["listening", "failed", "idle"]
    assert r.of(Failed)[0].code is ErrorCode.MIC_MISSING


def test_microphone_unplugged_mid_question(rig: Callable[..., Rig]) -> None:
    from kiosk_app.core.errors import MicError

    r = rig(source=FakeSource(FakeSource.speech(1.0)._pcm, fail_after=20, error=MicError("device gone")))
    r.pipeline.run_once()
    assert _core(r)[-2:] == ["failed", "idle"]
    assert r.of(Failed)[0].code is ErrorCode.MIC_FAILED
    assert r.source.closed


def test_tts_failure_still_shows_the_answer(rig: Callable[..., Rig]) -> None:
    r = rig(knowledge=knows_khai_sinh(), synthesizer=FakeSynthesizer(fail_on=0))
    r.pipeline.ask_text(QUESTION)
    assert r.types() == ["transcribed", "thinking", "answer-ready", "failed", "idle"]
    assert r.of(AnswerReady)[0].answer == KHAI_SINH
    assert r.of(Failed)[0].code is ErrorCode.TTS_FAILED


def test_tts_failure_on_second_sentence_after_first_played(rig: Callable[..., Rig]) -> None:
    r = rig(knowledge=knows_khai_sinh(), synthesizer=FakeSynthesizer(fail_on=1))
    r.pipeline.ask_text(QUESTION)
    assert r.types() == ["transcribed", "thinking", "answer-ready", "speaking", "failed", "idle"]


def test_cancel_while_speaking_stops_at_once(rig: Callable[..., Rig]) -> None:
    player = FakePlayer()
    r = rig(knowledge=knows_khai_sinh(), player=player)
    player.during(0, r.pipeline.cancel)
    r.pipeline.ask_text(QUESTION)
    assert r.types() == ["transcribed", "thinking", "answer-ready", "speaking", "speaking-finished", "idle"]
    assert r.of(SpeakingFinished)[0].interrupted is True
    assert len(r.synth.texts) == 1  # the second sentence was never synthesised


def test_cancel_while_listening_goes_idle_without_error(rig: Callable[..., Rig]) -> None:
    class CancellingSource(FakeSource):
        def read(self, timeout: float) -> bytes | None:
            if self.reads == 5:
                pipeline.cancel()
            return super().read(timeout)

    src = CancellingSource(FakeSource.speech(2.0)._pcm)
    r = rig(source=src)
    pipeline = r.pipeline
    assert r.pipeline.run_once() is None
    assert _core(r) == ["listening", "idle"]
    assert src.closed and r.knowledge.asked == []


def test_replay_slower_uses_the_slower_rate(rig: Callable[..., Rig]) -> None:
    r = rig()
    r.pipeline.replay(KHAI_SINH)
    r.pipeline.replay(KHAI_SINH, slower=True)
    assert r.types() == ["speaking", "speaking", "speaking-finished", "idle"] * 2
    s = r.pipeline.settings.tts
    assert r.synth.rates == [s.rate, s.rate, s.rate * s.slower_factor, s.rate * s.slower_factor]
    assert r.synth.rates[-1] < r.synth.rates[0]


def test_unexpected_exception_is_internal_failure_not_crash(rig: Callable[..., Rig],
                                                             caplog: pytest.LogCaptureFixture) -> None:
    class Broken(FakeKnowledge):
        def ask(self, question: str, language: str = "vi") -> object:  # type: ignore[override]
            raise ZeroDivisionError("bug")

    r = rig(knowledge=Broken())
    with caplog.at_level(logging.ERROR):
        r.pipeline.ask_text(QUESTION)
    assert r.types() == ["transcribed", "thinking", "failed", "idle"]
    assert r.of(Failed)[0].code is ErrorCode.INTERNAL
    assert any(rec.exc_info for rec in caplog.records)  # logged with its traceback


def test_kiosk_error_from_engine_keeps_its_code(rig: Callable[..., Rig]) -> None:
    from kiosk_app.core.errors import AsrError

    r = rig(recognizer=FakeRecognizer(QUESTION, error=AsrError("decoder died")))
    r.pipeline.run_once()
    assert r.of(Failed)[0].code is ErrorCode.ASR_FAILED
    assert _core(r)[-2:] == ["failed", "idle"]


def test_picked_procedure_is_shown_and_spoken_from_its_record(rig: Callable[..., Rig]) -> None:
    r = rig()  # the knowledge would refer everything: a picked card never depends on retrieval
    answer = r.pipeline.explain("khai-tu")
    assert answer is not None and answer.procedure_id == "khai-tu" and answer.verdict is Verdict.ANSWER
    assert r.types()[:2] == ["thinking", "answer-ready"] and r.types()[-2:] == ["speaking-finished", "idle"]
    assert r.of(Speaking)[0].sentence in answer.sentences
    assert r.knowledge.asked == []
    assert RECS["khai-tu"].summary.spoken.rstrip(".").lower() in answer.spoken.lower()


def test_english_engines_are_built_only_when_asked_in_english(rig: Callable[..., Rig]) -> None:
    built: list[str] = []

    def recognizer_for(lang: str) -> FakeRecognizer:
        built.append(lang)
        return FakeRecognizer("how do I register a birth" if lang == "en" else QUESTION, language=lang)

    synths: dict[str, FakeSynthesizer] = {}

    def synth_for(lang: str) -> FakeSynthesizer:
        return synths.setdefault(lang, FakeSynthesizer(lang))

    en_answer = answer_for(RECS["khai-sinh"], language="en")
    r = rig(recognizer_engine=PerLanguage(recognizer_for), synthesizer_engine=PerLanguage(synth_for),
            knowledge=FakeKnowledge(answers={"how do I register a birth": en_answer}))
    r.pipeline.run_once("vi")
    assert built == ["vi"]
    r.source = FakeSource.speech(1.0)
    r.pipeline.run_once("en")
    assert built == ["vi", "en"]
    assert r.knowledge.asked[-1] == ("how do I register a birth", "en")
    assert "en" in synths and synths["en"].texts == list(en_answer.sentences)  # no Vietnamese normaliser


def test_listener_bug_does_not_stop_the_question(rig: Callable[..., Rig]) -> None:
    seen: list[str] = []

    def flaky(ev: object) -> None:
        seen.append(str(ev.type))  # type: ignore[attr-defined]
        if len(seen) == 1:
            raise RuntimeError("ui bug")

    r = rig(knowledge=knows_khai_sinh())
    r.pipeline.on_event = flaky
    r.pipeline.ask_text(QUESTION)
    assert seen[-1] == "idle" and "answer-ready" in seen



def test_english_heard_in_a_vietnamese_session_is_answered_in_english(rig: Callable[..., Rig]) -> None:
    from kiosk_app.core.events import Transcribed

    r = rig(recognizer=FakeRecognizer("how do i register a birth", language="en"))
    r.pipeline.run_once("vi")
    assert r.of(Transcribed)[0].language == "en"
    assert r.knowledge.asked == [("how do i register a birth", "en")]
