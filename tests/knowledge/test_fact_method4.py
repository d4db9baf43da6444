"""Fact ranking method 4 (issue 16): English questions share the learned pairs through the kinds of
value a question states, a language copy of the shared terms, and English dense weights of their
own; the LLM chooses only among the evidence ranker's best facts.

Cases written for these tests from procedures.md's facts, not taken from the benchmark sets."""

from __future__ import annotations

from collections import deque

import pytest

import knowledge.answer.rank as rank
from knowledge.answer.facts import FactUnit
from knowledge.answer.learned import FactModel, question_terms
from knowledge.answer.select import Ask
from knowledge.bundle.schema import Status


def _unit(uid: str, text: str, field: str = "notes") -> FactUnit:
    return FactUnit(uid, field, text, text, Status.SOURCED, ("S1",), text)


@pytest.mark.parametrize(("question", "language", "kind"), [
    ("Is the extract free of charge?", "en", "qk:free"),
    ("có được miễn lệ phí không", "vi", "qk:free"),
    ("Can I send the papers by post?", "en", "qk:mail"),
    ("gửi hồ sơ qua bưu điện được không", "vi", "qk:mail"),
    ("Which form do I fill in?", "en", "qk:form"),
    ("How long is the certificate valid?", "en", "qk:validity"),
    ("giấy này có giá trị bao lâu", "vi", "qk:validity"),
])
def test_a_question_states_kinds_named_alike_in_both_languages(question: str, language: str,
                                                                kind: str) -> None:
    assert kind in question_terms(question, language=language)


def test_english_questions_get_a_language_copy_of_the_shared_terms_only() -> None:
    en = question_terms("Is the extract free?", language="en", asks=["amount"], aspect="fee")
    assert {"a:amount", "en/a:amount", "asp:fee", "en/asp:fee", "qk:free", "en/qk:free", "*", "en/*"} <= en
    assert "ew:free" in en and not any(t.startswith(("en/ew:", "en/ep:")) for t in en)
    vi = question_terms("có mất phí không", asks=["amount"])
    assert not any(t.startswith("en/") for t in vi)


UNITS = [_unit("a/1", "Within 15 days of the death."), _unit("a/2", "No more than 3 working days.")]


@pytest.mark.parametrize(("language", "dense_en", "first"), [
    ("en", {}, "a/1"),  # shared weights: the cue of the deadline ask wins
    ("en", {"cue": -4.0, "qnum": 0.0}, "a/2"),  # English weights of their own change the English ranking
    ("vi", {"cue": -4.0}, "a/1"),  # … and never a Vietnamese one
])
def test_english_dense_weights_apply_to_english_questions_only(monkeypatch: pytest.MonkeyPatch,
                                                               language: str, dense_en: dict[str, float],
                                                               first: str) -> None:
    model = FactModel({"cue": 2.0}, {}, dense_en)
    monkeypatch.setattr(rank, "MODELS", {"lexical": model, "semantic": model})
    cue = {"cue": 1.0}  # the first unit carries the ask's cue in both languages (features stubbed)
    monkeypatch.setattr(rank, "unit_features", lambda *a, **k: [{**cue}, {"cue": 0.0}])
    ranked = rank.rank_units("q", UNITS, [Ask.DEADLINE], language=language)
    assert ranked[0].unit.id == first


@pytest.mark.parametrize(("model", "evidence", "candidates", "want"), [
    (["a/3"], ["a/1"], {"a/3"}, ["a/3"]),  # among the ranker's best facts: kept
    (["a/9"], ["a/1"], {"a/2", "a/3"}, []),  # outside them: dropped (the evidence answer speaks)
    (["a/1", "a/9"], ["a/1"], {"a/2"}, ["a/1"]),  # the evidence answer's own fact is always allowed
    (["a/2#0", "a/9#1"], [], {"a/2"}, ["a/2#0"]),  # a sentence unit counts by its fact
])
def test_the_model_chooses_among_the_candidates_only(model: list[str], evidence: list[str],
                                                     candidates: set[str], want: list[str]) -> None:
    from knowledge.llm.answerer import within_candidates

    units = [_unit(i, "x") for i in model]
    got = within_candidates(units, [_unit(i, "x") for i in evidence], frozenset(candidates))
    assert [u.id for u in got] == want


def test_a_pick_outside_the_top_k_speaks_the_evidence(sample_records: list) -> None:  # type: ignore[type-arg]
    from pathlib import Path

    from knowledge.answer import EvidenceAnswerer
    from knowledge.llm.answerer import LlamaAnswerer, candidate_facts
    from knowledge.llm.prompt import numbered_units
    from knowledge.types import Aspect
    from tests.llm.llm_fakes import FakeChild, reply

    rec = next(r for r in sample_records if r.id == "khai-sinh")
    question = "lệ phí đăng ký khai sinh bao nhiêu tiền"
    units = numbered_units(rec)
    base = EvidenceAnswerer().answer(question, rec, Aspect.FEE)
    spoken = {u.fact_id for u in units if u.id in base.facts}
    top1, top3 = candidate_facts(question, rec, 1), candidate_facts(question, rec, 3)
    # a fact among the ranker's three best (so the older checks pass it) that the evidence did not speak
    third = next(i for i, u in enumerate(units, 1) if u.fact_id in top3 - top1 - spoken)
    first = next(i for i, u in enumerate(units, 1) if u.fact_id in top1)

    def ask(n: int, k: int):  # type: ignore[no-untyped-def]
        child = FakeChild(deque([reply(str(n))]))
        ans = LlamaAnswerer(child, evidence=EvidenceAnswerer(), model_key="m", clock=child.clock,
                            bundle_dir=Path("/kiosk/b"), records=[rec], top_k=k)
        return ans.answer(question, rec, Aspect.FEE)

    out = ask(third, 1)
    assert (out.answerer, out.reason, out.spoken) == ("evidence", "llm-outside-top-k", base.spoken)
    assert ask(third, 3).answerer == "llm"  # the same pick among the three best is the model's
    assert ask(third, 0).answerer == "llm"  # and with no limit
    inside = ask(first, 1)
    assert inside.answerer == "llm" and inside.facts[0].split("#")[0] == base.facts[0].split("#")[0]


@pytest.mark.parametrize(("evidence", "model", "want", "agreed"), [
    (["a/1#0", "a/2"], ["a/1"], ["a/1#0", "a/2"], True),  # the evidence's own unit of a shared fact
    (["a/1"], ["a/3"], ["a/1", "a/3"], False),  # another fact is added after the evidence's
    (["a/1", "a/2"], ["a/3", "a/4"], ["a/1", "a/2", "a/3"], False),  # never more than three
    (["a/1", "a/2", "a/3"], ["a/4"], ["a/1", "a/2", "a/3"], False),  # a full evidence answer stays whole
    ([], ["a/3#0", "a/3#1"], ["a/3#0"], True),  # nothing found by the ranking: the model's, one per fact
])
def test_the_model_adds_to_the_evidence_answer(evidence: list[str], model: list[str], want: list[str],
                                               agreed: bool) -> None:
    from knowledge.llm.answerer import add_to_evidence

    got, ok = add_to_evidence([_unit(i, "x") for i in evidence], [_unit(i, "x") for i in model])
    assert [u.id for u in got] == want and ok is agreed


def test_not_in_record_does_not_silence_the_evidence(sample_records: list) -> None:  # type: ignore[type-arg]
    from pathlib import Path

    from knowledge.answer import EvidenceAnswerer
    from knowledge.llm.answerer import LlamaAnswerer
    from knowledge.types import Aspect
    from tests.llm.llm_fakes import FakeChild, reply

    rec = next(r for r in sample_records if r.id == "khai-sinh")
    question = "làm giấy khai sinh cho con thì làm thế nào"  # not a specific ask: no older check applies
    base = EvidenceAnswerer().answer(question, rec, Aspect.STEPS)
    assert base.facts

    def ask(first: bool):  # type: ignore[no-untyped-def]
        child = FakeChild(deque([reply("1 not_in_record")]))
        return LlamaAnswerer(child, evidence=EvidenceAnswerer(), model_key="m", clock=child.clock,
                             bundle_dir=Path("/kiosk/b"), records=[rec], evidence_first=first).answer(
            question, rec, Aspect.STEPS)

    kept = ask(True)
    assert (kept.answerer, kept.reason) == ("evidence", "llm-overruled:not-in-record")
    assert kept.spoken == base.spoken
    assert ask(False).spoken.startswith("Máy chưa có thông tin")  # the model's merge: the label silenced it
