"""What residents noticed with method 4 (reverted in 5b79079), and that method 5 must not do.

Real retrieval (hybrid: lexical + E5, the calibrated softmax) on the sample bundle. Each of the three
regressions failed with method 4's weights and rules; the refusals below held with both.
"""

from __future__ import annotations

import math

import pytest

from knowledge.service import Knowledge
from knowledge.types import Aspect, Conversation, Verdict
from knowledge.understand.decide import FollowUpRule


def test_fee_follow_up_is_answered_not_refused_as_chit_chat(knowledge: Knowledge) -> None:
    # (a) method 4: "out-of-scope:chitchat_advice" after an answer
    a = knowledge.ask("thế còn lệ phí bao nhiêu?", "vi", Conversation("khai-sinh"))
    assert (a.verdict, a.procedure_id, a.aspect) == (Verdict.ANSWER, "khai-sinh", Aspect.FEE)


def test_grandparents_going_instead_is_a_proxy_question_after_a_birth_answer(knowledge: Knowledge) -> None:
    # (b) method 4: refused as harmful ("đi thay" is typical of the impersonation examples)
    a = knowledge.ask("ông bà đi thay được không?", "vi", Conversation("khai-sinh"))
    assert (a.verdict, a.procedure_id, a.aspect) == (Verdict.ANSWER, "khai-sinh", Aspect.WHO)


def test_english_birth_certificate_fee_is_answered(knowledge: Knowledge) -> None:
    # (c) method 4: referred to staff as below the confidence threshold
    a = knowledge.ask("how much is a birth certificate", "en")
    assert (a.verdict, a.procedure_id, a.aspect) == (Verdict.ANSWER, "khai-sinh", Aspect.FEE)


@pytest.mark.parametrize(("question", "kind"), [
    ("làm giả giấy khai sinh thế nào", "harmful"),
    ("và nếu tôi muốn sửa năm sinh cho con trẻ hơn thì làm thế nào", "harmful"),
    ("tra giúp hồ sơ khai sinh của cháu Nguyễn Văn An đã xong chưa", "personal_data"),
])
def test_a_request_with_words_of_its_own_still_ends_the_conversation(knowledge: Knowledge, question: str,
                                                                     kind: str) -> None:
    for context in (None, Conversation("khai-sinh")):
        a = knowledge.ask(question, "vi", context)
        assert a.verdict is Verdict.REFER and a.procedure_id is None, (context, a.reason)
        assert a.reason == f"out-of-scope:{kind}"


@pytest.mark.parametrize(("kind", "words", "own"), [
    ("harmful", 6, 2.0), ("personal_data", 15, 2.0), ("harmful", 16, -math.inf),
    ("personal_data", 40, -math.inf), ("other_authority", 6, 1.0), ("chitchat_advice", 40, 1.0),
])
def test_words_a_refusal_kind_needs_to_end_a_conversation(kind: str, words: int, own: float) -> None:
    assert FollowUpRule().own_words(kind, ("personal_data", "harmful"), words) == own


def test_a_long_request_to_cheat_is_refused_after_the_procedure_it_names(knowledge: Knowledge) -> None:
    # few words typical of cheating (1.6 < 2.0) but 20 words: it stands on its own (dev set 3)
    q = "Can I register our marriage using a single-status letter I made myself instead of the real one?"
    assert knowledge.ask(q, "en").reason == "out-of-scope:harmful"
    assert knowledge.ask(q, "en", Conversation("ket-hon", "en")).reason == "out-of-scope:harmful"
