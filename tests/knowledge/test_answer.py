"""Template answers: the asked aspect first, hedges for uncertain facts, never a number not in the record."""

from __future__ import annotations

import itertools

import pytest

from knowledge.answer import (
    HEDGE_END_VI,
    HEDGE_PREFIX_VI,
    MAX_SENTENCES,
    TemplateAnswerer,
    numbers_not_in_record,
    refer_answer,
)
from knowledge.bundle import Fact, Record, Status
from knowledge.normalize import fold
from knowledge.types import Aspect, Verdict

ANSWERER = TemplateAnswerer()


@pytest.fixture(scope="module")
def records(sample_records: list[Record]) -> dict[str, Record]:
    return {r.id: r for r in sample_records}


def test_every_record_and_aspect_speaks_only_numbers_from_its_record(sample_records: list[Record]) -> None:
    bad = []
    for rec, aspect, lang in itertools.product(sample_records, Aspect, ("vi", "en")):
        a = ANSWERER.answer("", rec, aspect, language=lang)
        extra = numbers_not_in_record(a.spoken, rec)
        if extra:
            bad.append((rec.id, aspect.value, lang, sorted(extra)))
        assert 1 <= len(a.sentences) <= MAX_SENTENCES, (rec.id, aspect, lang, a.sentences)
        assert a.spoken == " ".join(a.sentences)
        assert a.verdict is Verdict.ANSWER and a.procedure_id == rec.id
    assert bad == []


def test_number_check_catches_an_invented_number(records: dict[str, Record]) -> None:
    rec = records["khai-sinh"]
    assert numbers_not_in_record("Lệ phí 5.000 đồng.", rec) == set()
    assert numbers_not_in_record("Lệ phí 7.000 đồng, làm trong 3 ngày.", rec) == {"7000", "3"}


def test_fee_question_gets_the_fee_first(records: dict[str, Record]) -> None:
    rec = records["khai-sinh"]
    a = ANSWERER.answer("làm giấy khai sinh mất bao nhiêu tiền", rec, Aspect.FEE)
    assert a.aspect is Aspect.FEE
    assert "lệ phí" in a.sentences[0].lower()
    assert (rec.fee.say or "").rstrip(".").lower() in a.sentences[0].lower()


@pytest.mark.parametrize(("aspect", "field"), [
    (Aspect.TIME, "processing_time"), (Aspect.WHERE, "where"), (Aspect.WHO, "who"),
    (Aspect.ONLINE, "online"), (Aspect.GENERAL, "summary"),
])
def test_asked_aspect_comes_first(records: dict[str, Record], aspect: Aspect, field: str) -> None:
    rec = records["khai-sinh"]
    fact: Fact = getattr(rec, field)
    first = fold(ANSWERER.answer("", rec, aspect).sentences[0])
    assert fold((fact.say or fact.text).rstrip(".")).lower()[:40] in first.lower()


def test_documents_are_listed_from_their_short_forms(records: dict[str, Record]) -> None:
    rec = records["khai-sinh"]
    a = ANSWERER.answer("cần mang gì", rec, Aspect.DOCUMENTS)
    assert "giấy chứng sinh" in a.sentences[0]
    assert set(a.sources) <= {s for d in rec.documents for s in d.sources}


def test_uncertain_fact_is_hedged(records: dict[str, Record]) -> None:
    rec = records["khai-sinh"]  # late-registration fee in Hà Nội is "uncertain"
    assert any(d.status is Status.UNCERTAIN for d in rec.fee.details)
    a = ANSWERER.answer("", rec, Aspect.FEE)
    assert a.hedged
    assert any(s.startswith(HEDGE_PREFIX_VI) for s in a.sentences)
    assert a.sentences[-1] == HEDGE_END_VI


def test_every_uncertain_primary_fact_is_hedged(sample_records: list[Record]) -> None:
    checked = 0
    for rec, aspect, field in itertools.product(sample_records, (Aspect.TIME, Aspect.WHERE),
                                                ("processing_time", "where")):
        fact: Fact = getattr(rec, field)
        if fact.status is not Status.UNCERTAIN or (aspect is Aspect.TIME) != (field == "processing_time"):
            continue
        a = ANSWERER.answer("", rec, aspect)
        assert a.sentences[0].startswith(HEDGE_PREFIX_VI), (rec.id, a.sentences)
        assert a.hedged
        checked += 1
    assert checked > 0


def test_unsourced_fact_says_no_official_information(sample_records: list[Record]) -> None:
    rec = next(r for r in sample_records if r.processing_time.status is Status.UNSOURCED)
    a = ANSWERER.answer("bao lâu", rec, Aspect.TIME)
    assert a.sentences[0].startswith("Máy chưa có thông tin chính thức về thời hạn giải quyết")
    assert "cán bộ tại quầy" in a.sentences[0]
    assert a.hedged
    # the unsourced placeholder text itself is never read out as if it were a fact
    assert fold(rec.processing_time.text)[:30] not in fold(a.spoken)


def test_refer_answer_is_one_polite_sentence() -> None:
    for reason in ("below-threshold", "out-of-scope:medical", "empty", "garbage", "no-match"):
        a = refer_answer(reason)
        assert a.refer_to_staff and a.procedure_id is None
        assert len(a.sentences) == 1 and a.spoken.count(".") == 1
        assert "cán bộ tại quầy" in a.spoken and a.spoken.startswith("Xin lỗi")
        assert a.reason == reason
    en = refer_answer("below-threshold", language="en")
    assert "staff at the counter" in en.spoken and en.language == "en"


def test_english_answer_uses_english_fields_and_points_to_the_card(records: dict[str, Record]) -> None:
    rec = records["khai-sinh"]
    a = ANSWERER.answer("where do I register a birth", rec, Aspect.GENERAL, language="en")
    assert a.language == "en" and a.title == rec.title_en
    assert (rec.summary.text_en or "")[1:30] in a.spoken
    assert "Vietnamese card is shown" in a.spoken


def test_english_without_english_text_shows_the_vietnamese_card(records: dict[str, Record]) -> None:
    bare = records["khai-sinh"].model_copy(update={"title_en": None, "aliases_en": (),
                                                   "summary": Fact(text="Tóm tắt.", sources=("S1",))})
    stripped = bare.model_copy(update={
        f: getattr(bare, f).model_copy(update={"text_en": None, "say_en": None})
        for f in ("where", "processing_time")} | {"who": None, "online": None, "documents": (),
                                                  "fee": bare.fee.model_copy(update={
                                                      "text_en": None, "say_en": None,
                                                      "details": (), "exemptions": ()})})
    a = ANSWERER.answer("", stripped, Aspect.FEE, language="en")
    assert "Vietnamese card is shown" in a.spoken
    assert not numbers_not_in_record(a.spoken, stripped)
