"""Fact ranking method 7 (issue 16): a learned match of the question's and each unit's E5 vectors
(``knowledge.answer.match``) joins the ranking.

Questions written for these tests, not taken from the benchmark sets."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pytest

import knowledge.answer.rank as rank
from knowledge.answer.evidence import EvidenceAnswerer
from knowledge.answer.facts import FactUnit, fact_units
from knowledge.answer.match import MatchModel, load_match
from knowledge.answer.select import Ask
from knowledge.bundle.schema import Record, Status


def _unit(uid: str, text: str, field: str) -> FactUnit:
    return FactUnit(uid, field, text, text, Status.SOURCED, ("S1",), text)


def test_the_match_is_standardised_over_the_record_and_round_trips_through_json() -> None:
    # the question's first axis meets the unit's second
    model = MatchModel(np.array([[1.0], [0.0]]), np.array([[0.0], [1.0]]))
    got = model.values([2.0, 0.0], [[1.0, 0.0], [0.0, 1.0], [0.0, 3.0]])
    assert got[2] > got[1] > got[0] and abs(sum(got)) < 1e-9 and abs(float(np.std(got)) - 1.0) < 1e-9
    assert model.values([2.0, 0.0], [[5.0, 0.0], [9.0, 0.0]]) == [0.0, 0.0]  # the units do not differ
    assert model.values([2.0, 0.0], []) == []
    assert MatchModel.from_json(model.to_json()).values([1.0, 1.0], [[0.0, 1.0], [1.0, 0.0]]) == \
        model.values([1.0, 1.0], [[0.0, 1.0], [1.0, 0.0]])


def test_the_match_moves_the_ranking_only_through_its_feature(monkeypatch: pytest.MonkeyPatch) -> None:
    units = [_unit("r/summary", "Thủ tục làm tại phường.", "summary"),
             _unit("r/form", "Điền mẫu TK01.", "documents")]
    monkeypatch.setattr(rank, "MODELS", {})  # method 1's weights, plus a weight for the new feature
    weights = {**rank.WEIGHTS, "ask_match": 3.0}
    plain = rank.rank_units("thế nào", units, (Ask.GENERAL,), weights=weights)
    matched = rank.rank_units("thế nào", units, (Ask.GENERAL,), weights=weights, matches=[-1.0, 1.0])
    assert plain[0].unit.id == "r/summary" and matched[0].unit.id == "r/form"


def test_the_fitted_model_ships_and_a_missing_one_leaves_the_ranking_as_before(tmp_path: Path) -> None:
    model = load_match()
    assert model is not None and model.question.shape == model.unit.shape and model.question.shape[0] == 384
    assert load_match(tmp_path / "absent.json") is None
    fitted = rank.MODELS["semantic"].dense
    assert fitted.get("ask_match", 0.0) > 0.0  # the ranker uses it
    assert rank.MODELS["lexical"].dense.get("ask_match", 0.0) == 0.0  # no vectors without E5


class _Vectors:
    """An E5 boundary that has cosines and a question vector but no unit vectors (a record whose
    embeddings failed half-way): the match stays out and the answer is method 6's."""

    def __init__(self, inner: object) -> None:
        self.inner = inner

    def cosines(self, question: str, units: Sequence[FactUnit]) -> Mapping[str, float]:
        return self.inner.cosines(question, units)  # type: ignore[attr-defined,no-any-return]

    def question_vector(self, question: str) -> Sequence[float] | None:
        return self.inner.question_vector(question)  # type: ignore[attr-defined,no-any-return]

    def unit_vectors(self, units: Sequence[FactUnit]) -> Mapping[str, Sequence[float]]:
        return {}

    def ready_for(self, units: Sequence[FactUnit]) -> bool:
        return True

    def warm(self, records: Iterable[Record]) -> None:
        pass


@pytest.fixture(scope="module")
def e5() -> object:
    from knowledge.answer.semantic import E5FactScorer

    return E5FactScorer()


@pytest.mark.parametrize(("record_id", "language", "question", "expect"), [
    ("ket-hon", "vi", "hai đứa có phải cùng lên phường ký không hay một đứa đi cũng được", "có mặt"),
    ("khai-tu", "en", "my grandfather passed away, within how many days must we report it?", "15 days"),
    ("can-cuoc", "en", "we changed ward names after the merger, is the new card free then?",
     "administrative boundaries"),
])
def test_the_kiosk_speaks_the_asked_fact_with_the_real_model(e5: object, records: dict[str, Record],
                                                             record_id: str, language: str, question: str,
                                                             expect: str) -> None:
    """The real E5 model and the shipped weights answer a question the wording alone does not settle."""
    record = records[record_id]
    ans = EvidenceAnswerer(semantic=e5)  # type: ignore[arg-type]
    _asks, chosen, _, _ = ans.choose(question, record, language=language)
    spoken = " ".join(r.unit.spoken for r in chosen)
    assert chosen and expect.lower() in spoken.lower(), [r.unit.id for r in chosen]


def test_without_unit_vectors_the_ranking_is_method_6s(e5: object, records: dict[str, Record]) -> None:
    record = records["khai-tu"]
    q = "trong mấy ngày phải đi báo tử"
    units = fact_units(record)
    e5.cosines(q, units)  # type: ignore[attr-defined]  # the ranking asks for cosines first
    full = EvidenceAnswerer(semantic=e5)  # type: ignore[arg-type]
    assert full._matches(q, units) is not None
    bare = EvidenceAnswerer(semantic=_Vectors(e5))  # type: ignore[arg-type]
    assert bare._matches(q, units) is None
    assert bare.choose(q, record)[1]  # still answers
