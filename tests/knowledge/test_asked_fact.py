"""The exact asked fact (issue 16): the law for a legal-basis question, the exemption for an
exemption question, and "no source found" (hedged) when that is what the record says about it."""

from __future__ import annotations

import pytest

from knowledge.answer import HEDGE_END_VI, HEDGE_PREFIX_VI, EvidenceAnswerer, numbers_not_in_record
from knowledge.answer.facts import legal_units, unit_by_id
from knowledge.answer.rank import asks_en
from knowledge.answer.select import Ask, asks
from knowledge.bundle.schema import Record, Status
from knowledge.types import Aspect

EVIDENCE = EvidenceAnswerer()


@pytest.fixture(scope="module")
def records(sample_records: list[Record]) -> dict[str, Record]:
    return {r.id: r for r in sample_records}


@pytest.mark.parametrize(("question", "legal"), [
    ("thủ tục này căn cứ vào luật nào", True),
    ("cơ sở pháp lý của việc đăng ký thường trú là gì", True),
    ("mẫu tờ khai ban hành theo thông tư số mấy", True),
    ("quy dinh o nghi dinh nao", True),  # typed without diacritics
    # a paper to bring, or a rule's content, is no question about the legal basis
    ("đăng ký giám hộ phải nộp văn bản gì", False),
    ("theo luật thì bao nhiêu tuổi được kết hôn", False),
    ("ai ký quyết định công nhận", False),
])
def test_legal_basis_question_is_told_apart(question: str, legal: bool) -> None:
    assert (asks(question)[0] is Ask.LEGAL) is legal


@pytest.mark.parametrize(("question", "want"), [
    ("Which law is this procedure based on?", Ask.LEGAL),
    ("What is the legal basis for it?", Ask.LEGAL),
    ("Are war veterans exempt from the fee?", Ask.EXEMPT),
    ("Is the fee waived for students?", Ask.EXEMPT),
    ("Do people with disabilities pay the fee too?", Ask.EXEMPT),
    ("How much is the allowance for elderly people?", Ask.AMOUNT),  # a benefit, not a fee
    ("How much is the fee?", Ask.AMOUNT),
    ("What documents do I need?", Ask.GENERAL),
    ("Can my daughter-in-law go instead of me?", Ask.PROXY),
])
def test_english_legal_and_exemption_questions_are_told_apart(question: str, want: Ask) -> None:
    assert asks_en(question)[0] is want


def test_legal_basis_question_is_answered_with_the_law(records: dict[str, Record]) -> None:
    rec = records["khai-sinh"]
    a = EVIDENCE.answer("đăng ký khai sinh thì căn cứ vào luật nào vậy", rec, Aspect.GENERAL)
    assert "Luật Hộ tịch 2014" in a.spoken, a.spoken
    assert a.facts and all("/legal_basis/" in f for f in a.facts)
    assert a.ask == "legal"
    assert numbers_not_in_record(a.spoken, rec) == set()


def test_the_kind_of_document_asked_chooses_the_entry(records: dict[str, Record]) -> None:
    rec = records["dang-ky-thuong-tru"]
    a = EVIDENCE.answer("nhập hộ khẩu theo thông tư nào", rec, Aspect.GENERAL)
    assert "Thông tư" in a.spoken and "Nghị định" not in a.spoken and "Luật" not in a.spoken, a.spoken
    b = EVIDENCE.answer("Which decree covers permanent residence registration?", rec, Aspect.GENERAL,
                        language="en")
    assert "Decree 154/2024" in b.spoken and "Circular" not in b.spoken, b.spoken


def test_legal_entry_the_record_did_not_check_is_hedged(records: dict[str, Record]) -> None:
    rec = records["ho-ngheo-can-ngheo"]
    a = EVIDENCE.answer("chuẩn nghèo đa chiều quy định ở nghị định nào", rec, Aspect.GENERAL)
    assert "07/2021" in a.spoken, a.spoken
    assert a.spoken.startswith(HEDGE_PREFIX_VI) and a.sentences[-1] == HEDGE_END_VI
    assert "chưa đối chiếu" not in a.spoken  # the hedge says it, once


def test_legal_units_resolve_by_id_in_both_languages(sample_records: list[Record]) -> None:
    for rec in sample_records:
        for en in (False, True):
            for u in legal_units(rec, english=en):
                assert unit_by_id(rec, u.id) == u
                assert u.field == "legal_basis" and u.status is not Status.UNSOURCED
                assert numbers_not_in_record(u.spoken, rec) == set(), u.spoken


def test_exemption_question_gets_the_exemption(records: dict[str, Record]) -> None:
    rec = records["khai-sinh"]
    a = EVIDENCE.answer("người khuyết tật đi khai sinh cho con có được miễn lệ phí không", rec, Aspect.FEE)
    assert "khuyết tật" in a.spoken, a.spoken
    assert a.facts[0] == "khai-sinh/fee/exemptions/0"
    b = EVIDENCE.answer("Are people with disabilities exempt from the birth registration fee?", rec,
                        Aspect.FEE, language="en")
    assert "khai-sinh/fee/exemptions/0@en" in b.facts, b.spoken
    assert "disabilities" in b.spoken


def test_unsourced_hanoi_fee_is_said_with_its_hedge(records: dict[str, Record]) -> None:
    rec = records["giay-phep-xay-dung"]
    a = EVIDENCE.answer("xin phép xây nhà ở Hà Nội thì phải nộp lệ phí bao nhiêu", rec, Aspect.FEE)
    assert "chưa tìm được nguồn" in a.spoken.lower(), a.spoken
    assert a.hedged and "cán bộ" in a.sentences[-1]
    assert numbers_not_in_record(a.spoken, rec) == set()
    assert a.facts[0].startswith("giay-phep-xay-dung/fee")


def test_unsourced_processing_time_in_english_is_said_as_not_found(records: dict[str, Record]) -> None:
    rec = records["ho-tro-mai-tang"]
    a = EVIDENCE.answer("How many days does the funeral support take to be decided?", rec, Aspect.TIME,
                        language="en")
    assert "no source found" in a.spoken.lower(), a.spoken
    assert a.hedged and "staff" in a.spoken
    assert not any(s.startswith("Máy") for s in a.sentences)  # an English answer stays English


def test_record_without_legal_basis_says_it_has_none(records: dict[str, Record]) -> None:
    rec = records["khai-tu"].model_copy(update={"legal_basis": ()})
    a = EVIDENCE.answer("khai tử theo nghị định nào", rec, Aspect.GENERAL)
    assert a.spoken.startswith("Máy chưa có thông tin chính thức về căn cứ pháp lý"), a.spoken
    assert a.facts == () and a.hedged
    b = EVIDENCE.answer("Which decree governs death registration?", rec, Aspect.GENERAL, language="en")
    assert b.spoken.startswith("The kiosk has no official information about the legal basis"), b.spoken
