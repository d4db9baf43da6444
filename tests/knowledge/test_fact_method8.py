"""Fact method 8 (issue 16): "which article sets this?" is answered with the asked fact and the
legal citation the record gives for that fact (``facts.citation_unit``), not with the record's whole
list of laws. Questions written for these tests, not taken from the benchmark sets."""

from __future__ import annotations

import pytest

from knowledge.answer.evidence import EvidenceAnswerer
from knowledge.answer.facts import FactUnit, citation_unit, unit_by_id
from knowledge.answer.legal import asks_article, cites_what_is_named
from knowledge.answer.template import numbers_not_in_record
from knowledge.bundle.schema import Record, Status
from knowledge.types import Aspect


def _unit(sources: tuple[str, ...], status: Status = Status.SOURCED) -> FactUnit:
    return FactUnit("r/processing_time", "processing_time", "Làm trong 03 ngày.", "03 ngày", status, sources,
                    "03 ngày")


def test_a_fact_citing_a_law_gives_a_citation_unit_and_source_keys_do_not() -> None:
    cited = citation_unit(_unit(("Luật Cư trú 2020, Điều 28", "S10")))
    assert cited is not None and cited.id == "r/processing_time/cited"
    assert cited.spoken == "Việc này được quy định tại Luật Cư trú 2020, Điều 28"
    assert cited.sources == ("Luật Cư trú 2020, Điều 28",)
    en = citation_unit(_unit(("Nghị định 23/2015/NĐ-CP, Điều 24",)), english=True)
    assert en is not None and en.id.endswith("/cited@en") and "Decree 23/2015/NĐ-CP, Article 24" in en.spoken
    assert citation_unit(_unit(("S10", "S11"))) is None
    hedged = citation_unit(_unit(("Luật X 2020, Điều 5",), Status.UNCERTAIN))
    assert hedged is not None and hedged.status is Status.UNCERTAIN  # said with the fact's hedge


@pytest.mark.parametrize(("question", "english", "expect"), [
    ("hạn đăng ký tạm trú là điều mấy của luật cư trú", False, True),
    ("quy định này nằm ở điều nào vậy cháu", False, True),
    ("han nay o dieu nao cua luat", False, True),  # typed without diacritics
    ("đăng ký kết hôn theo luật nào", False, False),  # which law: the record's list answers
    ("điều kiện để được trợ cấp là gì", False, False),  # "điều kiện" is a condition, not an article
    ("Which article sets the fee?", True, True),
    ("which decree governs this?", True, False),
])
def test_an_article_question_is_told_from_a_which_law_question(question: str, english: bool,
                                                               expect: bool) -> None:
    assert asks_article(question, english) is expect


def test_the_kiosk_says_the_asked_fact_and_the_article_that_sets_it(records: dict[str, Record]) -> None:
    record = records["khai-tu"]
    ans = EvidenceAnswerer().answer("hạn 15 ngày phải đi khai tử là điều mấy của luật hộ tịch", record,
                                    Aspect.GENERAL)
    assert "15 ngày" in ans.spoken and "Việc này được quy định tại Luật Hộ tịch 2014, Điều" in ans.spoken
    assert any(f.endswith("/cited") for f in ans.facts)
    assert not numbers_not_in_record(ans.spoken, record)  # the citation is the record's own text
    cited = unit_by_id(record, next(f for f in ans.facts if f.endswith("/cited")))
    assert cited is not None and cited.spoken in ans.spoken  # the id names what was said


def test_a_which_law_question_still_gets_the_records_legal_basis(records: dict[str, Record]) -> None:
    ans = EvidenceAnswerer().answer("đăng ký kết hôn theo luật nào", records["ket-hon"], Aspect.GENERAL)
    assert "căn cứ pháp lý là Luật Hộ tịch 2014" in ans.spoken and "Việc này được quy định" not in ans.spoken


def test_the_records_citations_count_as_its_text_and_source_keys_do_not(records: dict[str, Record]) -> None:
    text = records["dang-ky-tam-tru"].all_text()  # what an answer's numbers are checked against
    assert "Luật Cư trú 2020, Điều 28" in text and "S10" not in text


# Fact method 9: the document the question names decides between the fact's citation and the entry.

def test_a_question_naming_another_document_gets_that_documents_entry(records: dict[str, Record]) -> None:
    record = records["khai-tu"]  # the deadline fact cites the Law; the legal basis also lists the Decree
    law = EvidenceAnswerer().answer("hạn 15 ngày đi khai tử là điều mấy của luật hộ tịch", record,
                                    Aspect.GENERAL)
    decree = EvidenceAnswerer().answer("hạn 15 ngày đi khai tử nằm ở điều mấy của nghị định 123/2015", record,
                                       Aspect.GENERAL)
    assert "Việc này được quy định tại Luật Hộ tịch 2014" in law.spoken
    assert "Nghị định 123/2015" in decree.spoken and "Việc này được quy định" not in decree.spoken


@pytest.mark.parametrize(("question", "citations", "english", "expect"), [
    ("điều mấy quy định việc này", ("Luật Cư trú 2020, Điều 28",), False, True),  # names no document
    ("điều mấy của luật cư trú", ("Luật Cư trú 2020, Điều 28",), False, True),
    ("điều mấy của nghị định", ("Luật Cư trú 2020, Điều 28",), False, False),
    ("which article of Decree 123/2015", ("Nghị định 18/2026/NĐ-CP",), True, False),  # another decree
    ("which article of Decree 123/2015", ("Nghị định 123/2015/NĐ-CP, Điều 23",), True, True),
    ("which article sets the 15 day limit", ("Luật Hộ tịch 2014, Điều 33",), True, True),  # 15 is no document
])
def test_a_citation_answers_only_for_the_document_the_question_names(
        records: dict[str, Record], question: str, citations: tuple[str, ...], english: bool,
        expect: bool) -> None:
    record = records["khai-tu"]  # its legal basis states 60/2014, 123/2015, 04/2020
    assert cites_what_is_named(question, record, citations, english=english) is expect
