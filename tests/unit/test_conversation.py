"""ConversationMemory: which procedure a follow-up question may stay on (pure, fake clock)."""

from __future__ import annotations

from kiosk_app.pipeline.conversation import ConversationMemory
from knowledge.answer import refer_answer
from knowledge.types import Answer, Verdict


class Clock:
    now = 100.0

    def __call__(self) -> float:
        return self.now


def answer(pid: str, language: str = "vi") -> Answer:
    return Answer(Verdict.ANSWER, "…", 0.9, procedure_id=pid, language=language)


def test_recent_answer_in_the_same_language_is_the_context() -> None:
    clock = Clock()
    mem = ConversationMemory(60.0, clock)
    epoch, ctx = mem.context("vi")
    assert ctx is None
    mem.remember(answer("khai-sinh"), epoch)
    ctx = mem.context("vi")[1]
    assert ctx is not None and ctx.procedure_id == "khai-sinh"
    assert mem.context("en")[1] is None  # another language: not a follow-up
    mem.remember(refer_answer("below-threshold"), mem.context("vi")[0])  # a referral keeps it
    assert mem.last is not None and mem.last.procedure_id == "khai-sinh"
    clock.now += 61
    assert mem.context("vi")[1] is None  # older than the idle reset time


def test_new_conversation_wins_over_an_answer_that_began_before() -> None:
    mem = ConversationMemory(60.0, Clock())
    epoch, _ = mem.context("vi")
    mem.new()  # "Hỏi câu khác" while the answer is still being spoken
    mem.remember(answer("khai-sinh"), epoch)
    assert mem.last is None
    epoch, _ = mem.context("vi")
    mem.remember(answer("ket-hon"), epoch)
    assert mem.last is not None and mem.last.procedure_id == "ket-hon"
