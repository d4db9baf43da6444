"""Answers prepared during the resident's pause (issue 19), as the screen and the speaker see them."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from kiosk_app.core.errors import ErrorCode
from kiosk_app.core.events import AnswerReady, Failed, Transcribed
from kiosk_app.core.settings import Settings
from tests.fakes import FakeKnowledge, FakeSource, FakeSynthesizer, Rig, answer_for, records, silence, tone
from tests.speech_in.turn_fakes import WORD_S, Words

RECS = records()
QUESTION = "làm giấy khai sinh cho con ở đâu"  # 8 words, ends in a question word
KHAI_SINH = answer_for(RECS["khai-sinh"])
KHAI_TU = answer_for(RECS["khai-tu"])


def said(words: int) -> bytes:
    return tone(words * WORD_S + 0.05)


def test_the_answer_is_ready_when_the_turn_ends(rig: Callable[..., Rig]) -> None:
    kn = FakeKnowledge(answers={QUESTION: KHAI_SINH})
    synth = FakeSynthesizer()
    r = rig(source=FakeSource(silence(0.5) + said(8) + silence(3.0)), recognizer=Words(QUESTION),
            knowledge=kn, synthesizer=synth)
    answer = r.pipeline.run_once()
    assert answer is KHAI_SINH
    assert kn.asked == [(QUESTION, "vi")]  # retrieval ran once, during the pause
    t = r.pipeline.last_timings
    assert t["speculated"] == 1.0 and t["speculations_dropped"] == 0.0
    assert t["capture_turn_end_t"] - t["capture_speech_end_t"] == pytest.approx(0.3, abs=0.04)
    assert r.player.played == list(KHAI_SINH.sentences)
    assert synth.texts[0] == r.pipeline.speaker.normalizer(KHAI_SINH.sentences[0], "vi")  # made ahead, once
    assert len(synth.texts) == len(KHAI_SINH.sentences)
    assert [e.answer for e in r.of(AnswerReady)] == [KHAI_SINH]


def test_a_dropped_speculation_is_never_shown_nor_spoken(rig: Callable[..., Rig]) -> None:
    """ "làm giấy khai tử … (0.45 s) … à không, giấy khai sinh": the first half had its own answer
    prepared; the resident hears and sees only the answer to the whole question."""
    first = "làm giấy khai tử"
    whole = "làm giấy khai tử à không làm giấy khai sinh ở đâu"  # 4 + 8 words
    kn = FakeKnowledge(answers={first: KHAI_TU, whole: KHAI_SINH})
    r = rig(source=FakeSource(silence(0.5) + said(4) + silence(0.45) + said(8) + silence(3.0)),
            recognizer=Words(whole), knowledge=kn)
    answer = r.pipeline.run_once()
    assert answer is KHAI_SINH
    assert kn.asked == [(first, "vi"), (whole, "vi")]  # the first was prepared, then dropped
    assert [e.text for e in r.of(Transcribed)] == [whole]
    assert [e.answer for e in r.of(AnswerReady)] == [KHAI_SINH]
    assert not set(KHAI_TU.sentences) & set(r.player.played)
    assert r.pipeline.last_timings["speculations_dropped"] == 1.0
    after = r.types()[r.types().index("speech-ended"):]
    assert after == ["speech-ended", "transcribed", "thinking", "answer-ready",
                     *["speaking"] * len(KHAI_SINH.sentences), "speaking-finished", "idle"]


def test_slow_mode_after_speak_slower_waits_long(rig: Callable[..., Rig]) -> None:
    def ask(r: Rig) -> float:
        r.pipeline.run_once()
        t = r.pipeline.last_timings
        return t["capture_turn_end_t"] - t["capture_speech_end_t"]

    sources = iter([FakeSource(silence(0.5) + said(8) + silence(3.0)) for _ in range(3)])
    r = rig(source_factory=lambda: next(sources), recognizer=Words(QUESTION),
            knowledge=FakeKnowledge(answers={QUESTION: KHAI_SINH}))
    assert ask(r) == pytest.approx(0.3, abs=0.04)
    r.pipeline.replay(KHAI_SINH, slower=True)  # "Nói chậm hơn"
    assert ask(r) == pytest.approx(1.2, abs=0.04)
    r.pipeline.new_conversation()  # "Hỏi câu khác": the same resident, still slow
    assert ask(r) == pytest.approx(1.2, abs=0.04)


def test_slow_mode_ends_with_the_idle_reset(settings: Settings) -> None:
    from kiosk_app.pipeline.conversation import ConversationMemory

    now = [0.0]
    mem = ConversationMemory(60.0, clock=lambda: now[0])
    assert not mem.slow
    mem.slow_down()
    now[0] = 50.0
    assert mem.slow  # a question 50 s later: still the slow resident
    now[0] = 100.0
    assert mem.slow  # 100 s after the press, but 50 s since their last question
    now[0] = 161.0
    assert not mem.slow  # idle longer than the reset: someone else


def test_silence_after_the_button_is_no_speech_after_the_timeout(rig: Callable[..., Rig],
                                                                 settings: Settings) -> None:
    s = settings.model_copy(update={"endpoint": settings.endpoint.model_copy(
        update={"no_speech_timeout_s": 2.0})})
    src = FakeSource(silence(10.0))
    r = Rig(s, source=src, recognizer=Words("x"), knowledge=FakeKnowledge())
    assert r.pipeline.run_once() is None
    assert [e.code for e in r.of(Failed)] == [ErrorCode.NO_SPEECH]
    assert r.of(AnswerReady) == [] and r.knowledge.asked == []
    assert src.reads * 0.032 == pytest.approx(2.0, abs=0.07)  # the usual timeout, not sooner


def test_a_bang_then_nothing_starts_no_answer(rig: Callable[..., Rig]) -> None:
    kn = FakeKnowledge()
    r = rig(source=FakeSource(silence(0.5) + tone(0.8) + silence(10.0)), recognizer=Words(""), knowledge=kn)
    assert r.pipeline.run_once() is None
    assert [e.code for e in r.of(Failed)] == [ErrorCode.NO_SPEECH]
    assert kn.asked == [] and r.player.played == []


def test_cancel_during_the_pause_drops_the_speculation(rig: Callable[..., Rig]) -> None:
    kn = FakeKnowledge(answers={"làm giấy khai sinh thì": KHAI_SINH})
    r = rig(source=FakeSource(silence(0.5) + said(5) + silence(3.0)),
            recognizer=Words("làm giấy khai sinh thì"), knowledge=kn)
    calls = {"n": 0}
    real_ask = kn.ask

    def ask_then_cancel(question: str, language: str = "vi"):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        r.pipeline.cancel()  # "Dừng" pressed while the answer is being prepared
        return real_ask(question, language)
    kn.ask = ask_then_cancel  # type: ignore[method-assign]
    assert r.pipeline.run_once() is None
    assert calls["n"] == 1
    assert r.of(AnswerReady) == [] and r.of(Transcribed) == [] and r.player.played == []
    assert r.types()[-1] == "idle"
