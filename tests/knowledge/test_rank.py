"""The fact ranker (issue 16): a resident hears the fact they asked for, in the record's own words."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

import pytest

from knowledge.answer import (
    HEDGE_END_EN,
    HEDGE_PREFIX_EN,
    MAX_SENTENCES,
    EvidenceAnswerer,
    fact_units,
    numbers_not_in_record,
)
from knowledge.answer.evidence import SURE_SHARE
from knowledge.answer.facts import FactUnit, english_units, sentences_of, unit_by_id
from knowledge.answer.rank import Ranked, choose, measures, rank_units, wants_one_value
from knowledge.answer.select import asks, name_words
from knowledge.bundle.schema import Record, Status
from knowledge.understand.decide import detect_aspect
from tests.knowledge.fact_answers import EVIDENCE, ask_about


@pytest.mark.parametrize(("rid", "question", "must", "must_not"), [
    # deadlines, not the processing time
    ("khai-tu", "nhà tôi có người mất thì được bao nhiêu ngày để đi khai tử", "15 ngày", "03 ngày làm việc"),
    ("khai-sinh", "sinh con xong thì có mấy ngày để làm khai sinh", "60 ngày", None),
    # a validity asked with "dùng được", not the processing time
    ("xac-nhan-tinh-trang-hon-nhan", "xin giấy xác nhận độc thân xong thì dùng được trong mấy tháng",
     "06 tháng", None),
    # the amount of the case asked (renewal, not the first card)
    ("can-cuoc", "cấp đổi thẻ căn cước hết bao nhiêu tiền", "50.000", None),
    # a form number, a count, a percentage: questions the six aspects do not name
    ("giay-phep-xay-dung", "đơn xin cấp phép xây dựng dùng mẫu số mấy", "Mẫu số 01", None),
    ("so-do", "sang tên sổ đỏ phải nộp thuế thu nhập cá nhân mấy phần trăm", "2%", None),
    # an age stated in the question: the age rule, and "no" because the fact proves it
    ("ket-hon", "con gái tôi 17 tuổi có đăng ký kết hôn được không", "18 tuổi", None),
    # typed without diacritics
    ("khai-tu", "khai tu thi trong bao nhieu ngay phai di dang ky", "15 ngày", None),
])
def test_the_asked_fact_is_spoken(records: dict[str, Record], rid: str, question: str, must: str,
                                  must_not: str | None) -> None:
    a = ask_about(records, rid, question)
    assert must in a.spoken, a.spoken
    assert must_not is None or must_not not in a.spoken, a.spoken
    assert a.answerer == "evidence" and a.facts and all(f.startswith(f"{rid}/") for f in a.facts)
    assert numbers_not_in_record(a.spoken, records[rid]) == set()
    assert 1 <= len(a.sentences) <= MAX_SENTENCES + 1  # + the closing hedge


@pytest.mark.parametrize(("rid", "question", "must"), [
    ("khai-tu", "how many days do I have to register a death", "15 days"),
    ("xac-nhan-tinh-trang-hon-nhan", "how long is the certificate of marital status valid", "6 months"),
    ("ket-hon", "do we pay a fee to register our marriage", "No marriage registration fee"),
])
def test_english_question_hears_the_english_fact(records: dict[str, Record], rid: str, question: str,
                                                 must: str) -> None:
    a = ask_about(records, rid, question, "en")
    assert must.lower() in a.spoken.lower(), a.spoken
    assert a.language == "en" and a.verdict_word == ""  # no yes/no word in English
    assert all("@en" in f for f in a.facts)
    assert numbers_not_in_record(a.spoken, records[rid]) == set()


def test_english_uncertain_fact_gets_english_hedges(records: dict[str, Record]) -> None:
    a = ask_about(records, "khai-tu", "how much is the fee for a late death registration in Hanoi", "en")
    assert "5,000" in a.spoken, a.spoken
    assert HEDGE_PREFIX_EN.strip(", ").lower() in a.spoken.lower() and HEDGE_END_EN in a.sentences


@pytest.mark.parametrize(("question", "language", "want"), [
    ("hồ sơ khai tử gồm những gì", "vi", False),  # a list: the template reads it
    ("thủ tục đăng ký khai sinh thế nào", "vi", False),
    ("đăng ký kết hôn", "vi", False),
    ("đơn xin phép xây dựng là mẫu số mấy", "vi", True),
    ("ai ký quyết định công nhận hộ nghèo", "vi", True),
    ("khai sinh có làm trên mạng được không", "vi", True),  # yes or no
    ("le phi truoc ba bao nhieu phan tram", "vi", True),  # typed without diacritics
    ("thu tuc khai tu the nao", "vi", False),
    ("how many days do I have to register a death", "en", True),
    ("how do I register a death", "en", False),
    ("what documents do I need for a marriage", "en", False),
])
def test_which_questions_ask_for_one_value(question: str, language: str, want: bool) -> None:
    assert wants_one_value(question, language) is want


def test_documents_list_question_still_gets_the_list(records: dict[str, Record]) -> None:
    a = ask_about(records, "khai-tu", "hồ sơ đăng ký khai tử gồm những gì")
    assert "Cần mang" in a.spoken and "giấy báo tử" in a.spoken


@pytest.mark.parametrize(("text", "question", "want"), [
    ("con tôi 17 tuổi", True, {"tuoi"}),
    ("trong bao nhiêu ngày", True, {"ngay"}),
    ("how many days", True, {"day"}),
    ("how old must a man be", True, {"year", "old"}),
    ("Trong 15 ngày kể từ ngày mất", False, {"ngay"}),
    ("thuế 2% và lệ phí 0,5%", False, {"phan"}),
    ("khai tử ở đâu", True, set()),
])
def test_measure_words(text: str, question: bool, want: set[str]) -> None:
    assert measures(text, question=question) == want


def _unit(uid: str, status: Status = Status.SOURCED, spoken: str = "x") -> FactUnit:
    return FactUnit(uid, "notes", spoken, spoken, status, ("S1",), spoken)


@pytest.mark.parametrize(("shares", "statuses", "want"), [
    ([0.6, 0.3, 0.1], "sss", ["a/1", "a/2"]),  # the runner-up is close: spoken too
    ([0.8, 0.1, 0.1], "sss", ["a/1"]),  # a clear winner speaks alone
    ([0.34, 0.33, 0.33], "sss", ["a/1", "a/2", "a/3"]),  # at most three
    ([0.7, 0.2, 0.1], "uss", ["a/2", "a/3"]),  # an unsourced unit is never spoken
])
def test_choose_best_and_close_runner_ups(shares: list[float], statuses: str, want: list[str]) -> None:
    kinds = {"s": Status.SOURCED, "u": Status.UNSOURCED}
    ranked = [Ranked(_unit(f"a/{i + 1}", kinds[st], f"fact {i + 1}"), -i, sh)
              for i, (sh, st) in enumerate(zip(shares, statuses, strict=True))]
    assert [r.unit.id for r in choose(ranked)] == want


def test_one_fact_is_spoken_once() -> None:
    ranked = [Ranked(_unit("a/1#0", spoken="one"), 0, 0.5), Ranked(_unit("a/1#1", spoken="two"), -1, 0.4),
              Ranked(_unit("a/2", spoken="three"), -2, 0.1)]
    assert [r.unit.id for r in choose(ranked, keep=0.1)] == ["a/1#0", "a/2"]


def test_english_units_have_stable_ids_and_come_from_the_english_text(sample_records: list[Record]) -> None:
    for rec in sample_records:
        units = english_units(rec)
        assert len({u.id for u in units}) == len(units)
        for u in units:
            assert "@en" in u.id and unit_by_id(rec, u.id) == u
            assert u.spoken in u.text or u.spoken == u.spoken_en
        assert {u.fact_id for u in units} <= {u.fact_id for u in fact_units(rec)}


def test_every_record_answers_with_record_numbers_only(sample_records: list[Record]) -> None:
    questions = ["phải làm trong bao nhiêu ngày", "lệ phí bao nhiêu tiền", "giấy có giá trị bao lâu",
                 "bao nhiêu tuổi thì được làm", "có làm online được không", "how much does it cost"]
    for rec in sample_records:
        for q in questions:
            lang = "en" if q.startswith("how") else "vi"
            a = EVIDENCE.answer(q, rec, detect_aspect(q), language=lang)
            assert numbers_not_in_record(a.spoken, rec) == set(), (rec.id, q, a.spoken)
            for fid in a.facts:  # an unsourced fact is said only as what has no source, hedged
                u = unit_by_id(rec, fid)
                if u is not None and u.status is Status.UNSOURCED:
                    assert a.hedged and fid == a.facts[0], (rec.id, q, fid)
                    assert re.search(r"chưa tìm được nguồn|no (?:official )?source", a.spoken, re.I), a.spoken


class FakeE5:
    """The E5 engine boundary: cosines favouring units whose text holds ``near``; counts queries."""

    def __init__(self, near: str, ready: bool = True) -> None:
        self.near, self.ready, self.queries = near, ready, 0

    def cosines(self, question: str, units: Sequence[FactUnit]) -> Mapping[str, float]:
        self.queries += 1
        return {u.id: 0.9 if self.near in u.spoken else 0.8 for u in units}

    def question_vector(self, question: str) -> None:
        return None  # no vector: the asked-kind and match features stay 0 (method 5's ranking)

    def unit_vectors(self, units: Sequence[FactUnit]) -> Mapping[str, Sequence[float]]:
        return {}

    def ready_for(self, units: Sequence[FactUnit]) -> bool:
        return self.ready

    def warm(self, records: Iterable[Record]) -> None:
        pass


@pytest.mark.parametrize("question", [
    "tôi có bao nhiêu ngày để đăng ký khai tử cho bố", "khai tử có mất tiền không",
    "giấy kia thì có cần không", "ai đi làm được", "làm ở đâu vậy",
])
def test_e5_is_asked_only_when_the_wording_is_unsure_and_never_waited_for(records: dict[str, Record],
                                                                          question: str) -> None:
    rec = records["khai-tu"]
    units = fact_units(rec)
    lexical = rank_units(question, units, asks(question, rec.title), aspect=detect_aspect(question),
                         exclude=name_words(rec, units))
    fake = FakeE5("xóa thường trú")
    EvidenceAnswerer(semantic=fake).answer(question, rec, detect_aspect(question))
    assert fake.queries == (1 if lexical[0].share < SURE_SHARE else 0)
    cold = FakeE5("xóa thường trú", ready=False)  # the warm-up has not reached this record yet
    a = EvidenceAnswerer(semantic=cold).answer(question, rec, detect_aspect(question))
    assert cold.queries == 0 and a.spoken


@pytest.mark.parametrize(("evidence", "model", "want", "agreed"), [
    (["a/1", "a/2"], ["a/1#0"], ["a/1#0"], True),  # the model chose the ranking's fact (another unit)
    (["a/1"], ["a/3"], ["a/1", "a/3"], False),  # it chose another fact: the ranking's comes first
    (["a/1"], ["a/3", "a/4", "a/5"], ["a/1", "a/3", "a/4"], False),  # never more than three
    ([], ["a/3"], ["a/3"], True),  # nothing found by the ranking
    (["a/1"], ["a/3#0", "a/3#1"], ["a/1", "a/3#0"], False),  # one unit per fact
])
def test_the_model_cannot_drop_the_rankings_fact(evidence: list[str], model: list[str], want: list[str],
                                                 agreed: bool) -> None:
    from knowledge.llm.answerer import merge_choice

    got, ok = merge_choice([_unit(i) for i in evidence], [_unit(i) for i in model])
    assert [u.id for u in got] == want and ok is agreed


@pytest.mark.parametrize(("text", "sentences"), [
    ("Written request (Form No. 01 of Decree 176/2025/ND-CP). Bring your ID card.",
     ["Written request (Form No. 01 of Decree 176/2025/ND-CP).", "Bring your ID card."]),
    ("Papers of identity, e.g. the ID card or passport. Then wait for the result.",
     ["Papers of identity, e.g. the ID card or passport.", "Then wait for the result."]),
    ("Có. Nộp ở Ủy ban nhân dân phường. Không mất lệ phí nào.",
     ["Có. Nộp ở Ủy ban nhân dân phường.", "Không mất lệ phí nào."]),
])
def test_a_form_number_is_not_cut_at_its_abbreviation(text: str, sentences: list[str]) -> None:
    # "Form No." was spoken as a sentence of its own, without the number the resident asked for
    assert sentences_of(text) == sentences


def test_the_social_pension_form_is_spoken_with_its_number(records: dict[str, Record]) -> None:
    q = "Which form do I fill in to ask for the social pension?"
    a = ask_about(records, "tro-cap-xa-hoi-nguoi-cao-tuoi", q, "en")
    assert re.search(r"Form No\. 0?1\b", a.spoken), a.spoken
