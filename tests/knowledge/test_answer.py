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
from knowledge.bundle.schema import Fact, Record, Status
from knowledge.types import Aspect, Verdict
from knowledge.understand.normalize import fold

ANSWERER = TemplateAnswerer()


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


# ---- evidence answers (issue 16) ------------------------------------------------------------------
from knowledge.answer import EvidenceAnswerer, fact_units  # noqa: E402
from knowledge.answer.confirm import confirm, spoken_word  # noqa: E402
from knowledge.answer.select import Ask, asks  # noqa: E402
from knowledge.understand.decide import detect_aspect  # noqa: E402

EVIDENCE = EvidenceAnswerer()


@pytest.mark.parametrize(("question", "want"), [
    ("tôi có bao nhiêu ngày để đăng ký khai tử", Ask.DEADLINE),
    ("phải khai tử trong bao lâu", Ask.DEADLINE),
    ("khai sinh quá hạn thì sao", Ask.DEADLINE),
    ("khai tử bao lâu thì có kết quả", Ask.PROCESSING),
    ("làm căn cước mất mấy ngày", Ask.PROCESSING),
    ("giấy xác nhận độc thân có giá trị bao lâu", Ask.VALIDITY),
    ("bao nhiêu tuổi thì được kết hôn", Ask.AGE),
    ("chứng thực mất bao nhiêu tiền một trang", Ask.AMOUNT),
    ("ai được miễn lệ phí khai sinh", Ask.EXEMPT),
    ("cần mấy bản sao", Ask.COPIES),
    ("ông bà đi khai sinh thay được không", Ask.PROXY),
    ("tạm trú làm trên mạng được không", Ask.ONLINE),
    ("đăng ký tạm trú ở đâu", Ask.WHERE),
    ("khai sinh cần giấy tờ gì", Ask.DOCUMENTS),
    ("đăng ký khai sinh", Ask.GENERAL),
])
def test_what_is_asked(question: str, want: Ask) -> None:
    assert asks(question)[0] is want


@pytest.mark.parametrize(("rid", "question", "must", "must_not"), [
    # the deadline, not the processing time
    ("khai-tu", "tôi có bao nhiêu ngày để đăng ký khai tử", "15 ngày kể từ ngày", "03 ngày làm việc"),
    ("khai-sinh", "khai sinh cho con phải làm trong bao lâu", "60 ngày kể từ ngày sinh", "ngày làm việc"),
    # the processing time, not the deadline
    ("khai-tu", "khai tử bao lâu thì có kết quả", "03 ngày làm việc", "15 ngày kể từ"),
    # validity
    ("xac-nhan-tinh-trang-hon-nhan", "giấy xác nhận độc thân có giá trị bao lâu", "06 tháng", None),
    # ages
    ("ket-hon", "bao nhiêu tuổi thì được kết hôn", "18 tuổi", None),
    # amounts
    ("chung-thuc-ban-sao", "chứng thực bản sao mất bao nhiêu tiền", "2.000 đồng", None),
    # who may go instead
    ("khai-sinh", "ông bà đi khai sinh thay được không", "ông hoặc bà", None),
    # online
    ("khai-tu", "khai tử có nộp trực tuyến được không", "trực tuyến", None),
    # where
    ("dang-ky-tam-tru", "đăng ký tạm trú ở đâu", "Công an phường", None),
])
def test_evidence_speaks_the_asked_fact(records: dict[str, Record], rid: str, question: str, must: str,
                                        must_not: str | None) -> None:
    a = EVIDENCE.answer(question, records[rid], detect_aspect(question))
    assert must in a.spoken, a.spoken
    assert must_not is None or must_not not in a.spoken, a.spoken
    assert a.answerer == "evidence" and a.facts and all(f.startswith(f"{rid}/") for f in a.facts)
    assert numbers_not_in_record(a.spoken, records[rid]) == set()
    assert 1 <= len(a.sentences) <= MAX_SENTENCES


def test_fact_ids_are_stable_paths_and_unique(sample_records: list[Record]) -> None:
    for rec in sample_records:
        ids = [u.id for u in fact_units(rec)]
        assert len(ids) == len(set(ids)), rec.id
        assert f"{rec.id}/summary" in {i.split("#")[0] for i in ids}
        assert all(i.startswith(f"{rec.id}/") for i in ids)
    khai_tu = {u.id: u for u in fact_units(next(r for r in sample_records if r.id == "khai-tu"))}
    assert khai_tu["khai-tu/documents/1"].spoken == "giấy báo tử hoặc giấy tờ thay thế giấy báo tử"
    assert khai_tu["khai-tu/fee/details/0"].status is Status.UNCERTAIN
    assert khai_tu["khai-tu/summary#1"].spoken.startswith("Trong 15 ngày kể từ ngày có người chết")


def test_uncertain_fact_is_hedged_and_unsourced_never_said(records: dict[str, Record]) -> None:
    a = EVIDENCE.answer("khai tử quá hạn mất bao nhiêu tiền", records["khai-tu"], Aspect.FEE)
    if any("fee/details/0" in f for f in a.facts):
        assert HEDGE_PREFIX_VI in a.spoken and a.sentences[-1] == HEDGE_END_VI
    # the only fact about free certification for the elderly is unsourced: say that no source was
    # found (hedged, the counter named), never guess a yes or a no
    b = EVIDENCE.answer("người cao tuổi chứng thực bản sao có được miễn phí không",
                        records["chung-thuc-ban-sao"], Aspect.FEE)
    assert "chưa tìm được nguồn" in b.spoken.lower() and b.hedged and "cán bộ" in b.sentences[-1]
    assert b.verdict_word == "" and not b.spoken.startswith(("Được", "Không"))
    for fid in b.facts[1:]:
        unit = next(u for u in fact_units(records["chung-thuc-ban-sao"]) if u.id == fid)
        assert unit.status is not Status.UNSOURCED


KET_HON = "Nam từ đủ 20 tuổi, nữ từ đủ 18 tuổi, hai bên tự nguyện."


@pytest.mark.parametrize(("question", "fact", "want"), [
    # ages: the clause for the question's sex is the one compared
    ("con gái tôi 17 tuổi có đăng ký kết hôn được không", KET_HON, "no"),
    # old enough, but the fact has another condition ("tự nguyện"): no "Được" from the age alone
    ("con gái tôi 18 tuổi kết hôn được không", KET_HON, ""),
    ("bố tôi 80 tuổi có lương hưu có được trợ cấp không",
     "Người từ đủ 75 tuổi trở lên không hưởng lương hưu được trợ cấp.", ""),
    ("con trai tôi 19 tuổi kết hôn được không", KET_HON, "no"),
    ("cháu 19 tuổi kết hôn được không", KET_HON, ""),  # depends on sex
    ("bố tôi 72 tuổi có được trợ cấp không",
     "Trợ cấp hưu trí xã hội dành cho người từ đủ 75 tuổi, hoặc từ đủ 70 tuổi nếu thuộc hộ nghèo.", ""),
    ("bà tôi 80 tuổi có được trợ cấp không", "dành cho người từ đủ 75 tuổi trở lên", "yes"),
    ("con tôi 10 tuổi làm căn cước ở công an phường được không", "Trẻ dưới 14 tuổi làm ở Công an phường.",
     "yes"),
    ("con tôi 15 tuổi có phải làm ở công an phường không", "Trẻ dưới 14 tuổi làm ở Công an phường.",
     "no"),
    # stated values
    ("giấy xác nhận có giá trị 6 tháng phải không", "Giấy có giá trị 06 tháng.", "yes"),
    ("giấy xác nhận có giá trị 3 tháng đúng không", "Giấy có giá trị 06 tháng.", "no"),
    # explicit words in the fact; a condition is not a verdict
    ("khai tử nộp trực tuyến được không", "Có. Có thủ tục liên thông trên Cổng DVCQG/VNeID.", ""),
    ("khai tử nộp trực tuyến được không", "Có thể nộp trực tuyến trên VNeID.", "yes"),
    ("ủy ban phường có cấp căn cước không", "UBND phường không giải quyết thủ tục này.", ""),
    ("ông bà đi khai sinh thay được không",
     "Cha hoặc mẹ đi đăng ký; nếu cha mẹ không đi được thì ông hoặc bà đi thay.", ""),
    ("làm ở đâu", "Ủy ban nhân dân phường.", ""),  # not a yes/no question
])
def test_yes_no_check(question: str, fact: str, want: str) -> None:
    assert confirm(question, fact) == want


def test_flipped_label_is_refused() -> None:
    fact = "Nam từ đủ 20 tuổi, nữ từ đủ 18 tuổi, hai bên tự nguyện."
    q = "con gái tôi 17 tuổi có đăng ký kết hôn được không"
    assert spoken_word(q, fact, proposed="yes") == ""  # the model said yes: refused
    assert spoken_word(q, fact, proposed="no") == "Không được."
    assert spoken_word(q, fact) == "Không được."  # the evidence path's own check


def test_evidence_age_answer_says_no_for_a_17_year_old_girl(records: dict[str, Record]) -> None:
    a = EVIDENCE.answer("con gái tôi 17 tuổi có đăng ký kết hôn được không", records["ket-hon"], Aspect.WHO)
    assert a.spoken.startswith("Không được") and "nữ từ đủ 18 tuổi" in a.spoken
    assert a.verdict_word == "Không được."
