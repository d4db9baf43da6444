"""Follow-up questions stay on the procedure just answered; a question naming another one switches.

Real retrieval (hybrid: lexical + E5) on the sample bundle; the rule itself is pure and table-tested.
"""

from __future__ import annotations

import pytest

from knowledge.service import Knowledge
from knowledge.types import Aspect, Conversation, Hit, Verdict
from knowledge.understand.decide import Decision, Thresholds, follow_up

AFTER_KHAI_SINH = Conversation("khai-sinh")


@pytest.mark.parametrize(("question", "aspect"), [
    ("thế còn lệ phí bao nhiêu?", Aspect.FEE),  # alone: refer (no procedure in it)
    # alone: refused as harmful ("đi thay" is typical of the impersonation examples); after a birth
    # answer a proxy question (method 5: the harmful kind needs words of its own to end a conversation)
    ("ông bà đi thay được không?", Aspect.WHO),
    ("mất bao lâu", Aspect.TIME),  # alone: "mất" = lost → căn cước
    ("làm ở đâu", Aspect.WHERE),
    ("vậy mang theo gì", Aspect.DOCUMENTS),
    ("có phải đi không", Aspect.WHO),  # alone: building permit
    ("người nhà làm hộ được không", Aspect.WHO),
])
def test_follow_up_stays_on_the_procedure(knowledge: Knowledge, question: str, aspect: Aspect) -> None:
    alone = knowledge.ask(question)
    assert alone.procedure_id != "khai-sinh"  # retrieval alone gets these wrong or refers
    a = knowledge.ask(question, "vi", AFTER_KHAI_SINH)
    assert (a.verdict, a.procedure_id, a.aspect) == (Verdict.ANSWER, "khai-sinh", aspect)
    # "follow-up", or "" when, the refusal kind set aside, retrieval itself ranks khai-sinh first
    assert a.reason in ("follow-up", "")
    assert a.sentences and a.title == knowledge.record("khai-sinh").title


def test_fee_follow_up_speaks_that_procedures_fee(knowledge: Knowledge) -> None:
    after_ket_hon = knowledge.ask("thế còn lệ phí bao nhiêu?", "vi", Conversation("ket-hon"))
    after_can_cuoc = knowledge.ask("thế còn lệ phí bao nhiêu?", "vi", Conversation("can-cuoc"))
    assert (after_ket_hon.procedure_id, after_can_cuoc.procedure_id) == ("ket-hon", "can-cuoc")
    assert "miễn lệ phí" in after_ket_hon.spoken.lower() and "căn cước" in after_can_cuoc.spoken.lower()


@pytest.mark.parametrize(("question", "procedure"), [
    ("thế còn đăng ký kết hôn thì cần gì", "ket-hon"),
    ("còn khai tử thì sao", "khai-tu"),
    ("thế còn giấy chứng tử", "khai-tu"),
    ("còn làm căn cước thì sao", "can-cuoc"),
    ("nhập khẩu cho con được không", "dang-ky-thuong-tru"),
    ("giấy độc thân", "xac-nhan-tinh-trang-hon-nhan"),
    ("con tôi mới sinh thì phải làm gì", "khai-sinh"),  # after kết hôn: described, not named
])
def test_question_about_another_procedure_switches(knowledge: Knowledge, question: str,
                                                   procedure: str) -> None:
    previous = "ket-hon" if procedure != "ket-hon" else "khai-sinh"
    a = knowledge.ask(question, "vi", Conversation(previous))
    assert (a.verdict, a.procedure_id) == (Verdict.ANSWER, procedure)
    assert a.reason != "follow-up"


@pytest.mark.parametrize("question", ["còn hộ chiếu thì sao", "hôm nay thời tiết thế nào", "?!?", ""])
def test_out_of_scope_and_garbage_are_still_referred(knowledge: Knowledge, question: str) -> None:
    a = knowledge.ask(question, "vi", AFTER_KHAI_SINH)
    assert a.verdict is Verdict.REFER and a.procedure_id is None


def test_context_of_another_language_or_bundle_is_ignored(knowledge: Knowledge) -> None:
    assert knowledge.ask("thế còn lệ phí bao nhiêu?", "vi", Conversation("khai-sinh", "en")).refer_to_staff
    assert knowledge.ask("thế còn lệ phí bao nhiêu?", "vi", Conversation("not-in-this-bundle")).refer_to_staff


T = Thresholds(min_confidence=0.5)
WEAK = [Hit("giam-ho", 0.52, lexical=0.51)]
STRONG = [Hit("can-cuoc", 0.9, lexical=0.92)]


@pytest.mark.parametrize(("decision", "hits", "words", "named", "want"), [
    # weak answer, short, nothing named → the previous procedure
    (Decision(Verdict.ANSWER, 0.95, "giam-ho", "", ("a",)), WEAK, 6, {"giam-ho": 0.16}, "khai-sinh"),
    (Decision(Verdict.REFER, 0.2, None, "below-threshold"), [], 5, {}, "khai-sinh"),
    (Decision(Verdict.REFER, 0.0, None, "no-match"), [], 4, {}, "khai-sinh"),
    # strong retrieval, another procedure named, too long, out of scope → unchanged
    (Decision(Verdict.ANSWER, 0.99, "can-cuoc"), STRONG, 6, {"can-cuoc": 0.3}, "can-cuoc"),
    (Decision(Verdict.ANSWER, 0.9, "khai-tu"), [Hit("khai-tu", 0.6, lexical=0.55)], 4, {"khai-tu": 0.5},
     "khai-tu"),
    (Decision(Verdict.ANSWER, 0.95, "giam-ho"), WEAK, 11, {}, "giam-ho"),
    (Decision(Verdict.REFER, 0.1, None, "out-of-scope:medical"), [], 3, {}, None),
    (Decision(Verdict.REFER, 0.0, None, "garbage"), [], 1, {}, None),
])
def test_follow_up_rule(decision: Decision, hits: list[Hit], words: int, named: dict[str, float],
                        want: str | None) -> None:
    got = follow_up(decision, hits, previous="khai-sinh", words=words, named=named, thresholds=T)
    assert got.procedure_id == want
    if want == "khai-sinh":
        assert got.verdict is Verdict.ANSWER and got.reason == "follow-up" and got.confidence >= 0.5
        assert "khai-sinh" not in got.alternatives
    else:
        assert got == decision


def test_english_follow_ups_work_the_same_way(knowledge: Knowledge) -> None:
    after = Conversation("khai-sinh", "en")
    assert knowledge.ask("how much is it", "en").procedure_id is None
    a = knowledge.ask("how much is it", "en", after)
    assert (a.procedure_id, a.reason, a.language) == ("khai-sinh", "follow-up", "en")
    # retrieval alone already answers this one with birth registration; the conversation keeps it
    a = knowledge.ask("can grandparents go instead", "en", after)
    assert (a.procedure_id, a.language) == ("khai-sinh", "en")
    assert knowledge.ask("and marriage registration?", "en", after).procedure_id == "ket-hon"
