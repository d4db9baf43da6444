"""English questions against the sample bundle: the right procedure, English answers from English
fields, Vietnamese document names kept for the counter, out-of-scope questions refused in English."""

from __future__ import annotations

from typing import Any

import pytest

from knowledge.answer import numbers_not_in_record
from knowledge.bundle.schema import Record
from knowledge.evaluation import evaluate, load_rows
from knowledge.types import Aspect, Verdict
from knowledge.understand.english import (
    EnglishIndex,
    correct,
    detect_aspect_en,
    stem,
    words,
)
from tests.english.conftest import EVAL_DIR


@pytest.mark.parametrize(("word", "want"), [
    ("registration", "regis"), ("registered", "regis"), ("register", "regis"),
    ("marriage", "marri"), ("married", "marri"), ("marry", "marri"),
    ("certificate", "certi"), ("certified", "certi"), ("copies", "copi"), ("copy", "copi"),
    ("address", "addre"), ("documents", "docum"), ("id", "id"),
])
def test_truncation_stems(word: str, want: str) -> None:
    assert stem(word) == want


@pytest.mark.parametrize(("typo", "want"), [
    ("mariage", "marriage"), ("temprary", "temporary"), ("signiture", "signature"),
    ("funral", "funeral"), ("certificat", "certificate"), ("birth", "birth"), ("xyzzy", "xyzzy"),
])
def test_typos_are_corrected_against_the_bundle_vocabulary(sample_records: list[Record], typo: str,
                                                           want: str) -> None:
    assert correct(typo, EnglishIndex(sample_records).vocab) == want


@pytest.mark.parametrize(("question", "aspect"), [
    ("how much is a birth certificate", Aspect.FEE),
    ("How long does it take to get a construcion permit?", Aspect.TIME),
    ("what documents i need for death registraton", Aspect.DOCUMENTS),
    ("Where can I complain about slow paperwork at the ward?", Aspect.WHERE),
    ("can i do signiture certification online", Aspect.ONLINE),
    ("is guardianship registration free", Aspect.FEE),
    ("How do I get a free digital signature", Aspect.GENERAL),
    ("Who can register the birth if the parents are away?", Aspect.WHO),
    ("birth registration", Aspect.GENERAL),
])
def test_english_aspects(question: str, aspect: Aspect) -> None:
    assert detect_aspect_en(question) is aspect


@pytest.mark.parametrize(("question", "kind"), [
    ("Where can I renew my passport?", "other_authority"),
    ("How can I make a fake birth certificate for my son?", "harmful"),
    ("Has Mr Tran Van Nam's residence application been approved yet?", "personal_data"),
    ("What's the weather like today?", "chitchat_advice"),
    ("How do I register my marriage?", None),
    ("I rent a room in Hanoi, how do I register temporary residence?", None),
])
def test_english_out_of_scope_kinds(knowledge: Any, question: str, kind: str | None) -> None:
    """The shared stack refuses English questions by kind, from the bundle's out-of-scope examples."""
    decision, _aspect, hits = knowledge.decide(question, "en")
    if kind is None:
        assert decision.verdict is Verdict.ANSWER, hits[:3]
    else:
        assert decision.reason == f"out-of-scope:{kind}", (decision, hits[:3])


def test_words_fold_vietnamese_names() -> None:
    assert words("Where do I register tạm trú?") == ["where", "do", "i", "register", "tam", "tru"]


@pytest.mark.parametrize(("question", "procedure"), [
    ("how much is a birth certificate", "khai-sinh"),
    ("my father died, how do I register the death", "khai-tu"),
    ("where do I register tam tru", "dang-ky-tam-tru"),
    ("how to get VNeID level 2", "vneid"),
    ("certify a copy of my diploma", "chung-thuc-ban-sao"),
])
def test_english_questions_find_the_procedure(knowledge: Any, question: str, procedure: str) -> None:
    decision, _aspect, hits = knowledge.decide(question, "en")
    assert decision.verdict is Verdict.ANSWER and decision.procedure_id == procedure, hits[:3]


def test_heldout_english_questions_meet_the_targets(knowledge: Any) -> None:
    """Issue 10 targets on the old held-out split (now dev data, used for fitting the weights)."""
    rows = load_rows(sorted(EVAL_DIR.glob("en_*.jsonl")), "heldout")
    report = evaluate(lambda text: knowledge.decide(text, "en"), rows)
    assert len(report.in_scope) >= 40 and len(report.out_of_scope) >= 15
    assert report.top1_accuracy >= 0.9, report.confusions()
    assert report.refusal_rate >= 0.85, report.confusions()  # 88% on these dev questions


def test_english_answer_speaks_english_fields_only(knowledge: Any) -> None:
    a = knowledge.ask("how much is a birth certificate", "en")
    rec = knowledge.record("khai-sinh")
    assert a.procedure_id == "khai-sinh" and a.language == "en" and a.aspect is Aspect.FEE
    assert a.title == "Birth registration"
    # one of the record's own English fee sentences (which one is the fact selection's choice, issue 16:
    # "a birth certificate" may be the registration or a copy of the extract)
    fee_lines = [f.say_en or f.text_en or "" for f in (rec.fee, *rec.fee.details, *rec.fee.exemptions)]
    assert any(line and line.lower().rstrip(".") in a.spoken.lower() for line in fee_lines), a.spoken
    assert not numbers_not_in_record(a.spoken, rec)
    # no Vietnamese for the English voice to mangle
    assert not any(c in a.spoken for c in "ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệ")


def test_english_documents_answer_keeps_vietnamese_names(knowledge: Any) -> None:
    a = knowledge.ask("what documents do I need to register a death", "en")
    assert a.procedure_id == "khai-tu" and a.aspect is Aspect.DOCUMENTS
    assert "(Tờ khai đăng ký khai tử)" in a.spoken  # the name to show at the counter, beside the English
    assert "Vietnamese card" in a.spoken


def test_out_of_scope_is_refused_in_english(knowledge: Any) -> None:
    for q in ("Where can I renew my passport?", "can you tell me a joke", "uh um hmm"):
        a = knowledge.ask(q, "en")
        assert a.refer_to_staff and a.language == "en" and a.procedure_id is None, q
        assert "staff at the counter" in a.spoken


def test_vietnamese_questions_are_unchanged_by_the_english_path(knowledge: Any) -> None:
    a = knowledge.ask("làm giấy khai sinh cho cháu mất bao nhiêu tiền", "vi")
    assert a.procedure_id == "khai-sinh" and a.language == "vi" and "lệ phí" in a.spoken.lower()
