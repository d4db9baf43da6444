"""Method 7 as a resident notices it: a follow-up asking only whether the procedure just answered can
be done online or by phone stays on it, although "làm trên mạng" and "nộp online" are aliases of the
online-submission record; a follow-up that names another procedure still moves to it.

Questions written for this test (temporary residence, birth and marriage registration follow-ups).
"""

from __future__ import annotations

import pytest

from knowledge.bundle.schema import Record
from knowledge.service import Knowledge
from knowledge.types import Conversation, Verdict
from knowledge.understand.followup import aspect_free, named_apart_from_aspects
from knowledge.understand.lexical import LexicalIndex

# ---- online / by phone inside a follow-up ------------------------------------------------------------


@pytest.mark.parametrize(("previous", "language", "question"), [
    ("dang-ky-tam-tru", "vi", "cái này làm trên mạng được không hay phải lên tận nơi?"),
    ("khai-sinh", "vi", "thế có nộp online được không cháu?"),
    ("ket-hon", "en", "can we apply online for this?"),
])
def test_asking_about_online_after_an_answer_stays_on_that_procedure(
        knowledge: Knowledge, previous: str, language: str, question: str) -> None:
    decision, _, _ = knowledge.decide(question, language, Conversation(previous, language))
    assert (decision.verdict, decision.procedure_id) == (Verdict.ANSWER, previous), decision.reason


@pytest.mark.parametrize(("previous", "question", "expected"), [
    ("khai-sinh", "thế còn chữ ký số thì đăng ký thế nào?", "chu-ky-so"),
    ("khai-sinh", "còn đăng ký tạm trú thì sao?", "dang-ky-tam-tru"),
])
def test_a_follow_up_that_names_another_procedure_still_moves(
        knowledge: Knowledge, previous: str, question: str, expected: str) -> None:
    decision, _, _ = knowledge.decide(question, "vi", Conversation(previous, "vi"))
    assert decision.procedure_id == expected, decision.reason


@pytest.mark.parametrize(("question", "language", "procedure", "names"), [
    ("làm trên mạng được không", "vi", "nop-ho-so-truc-tuyen", False),  # an alias that is an aspect
    ("nộp online có được không", "vi", "nop-ho-so-truc-tuyen", False),
    ("còn chữ ký số thì sao", "vi", "chu-ky-so", True),
    ("còn khai tử thì cần gì", "vi", "khai-tu", True),
    ("and what about temporary residence?", "en", "dang-ky-tam-tru", True),
])
def test_name_coverage_apart_from_aspect_words(sample_records: list[Record], question: str, language: str,
                                               procedure: str, names: bool) -> None:
    index = LexicalIndex(sample_records)
    whole = index.name_coverage(question).get(procedure, 0.0)
    apart = named_apart_from_aspects(index, aspect_free(question, language)).get(procedure, 0.0)
    assert apart <= whole + 1e-9
    assert (apart >= 0.45) is names, (apart, aspect_free(question, language))
    if procedure == "nop-ho-so-truc-tuyen":
        assert whole >= 0.45  # the whole question names it: what method 6 measured
