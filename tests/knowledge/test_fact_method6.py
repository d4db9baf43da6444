"""Fact ranking method 6 (issue 16): the question's E5 vector says which field and which kinds of
value answer it, in any wording and in both languages (``knowledge.answer.asked``).

Questions written for these tests, not taken from the benchmark sets."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import knowledge.answer.rank as rank
from knowledge.answer.asked import Asked, AskedModel, load_asked
from knowledge.answer.facts import FactUnit
from knowledge.answer.select import Ask
from knowledge.bundle.schema import Status


def _unit(uid: str, text: str, field: str) -> FactUnit:
    return FactUnit(uid, field, text, text, Status.SOURCED, ("S1",), text)


def test_a_tiny_model_reads_field_and_kind_probabilities_from_the_vector() -> None:
    model = AskedModel(("documents", "fee"), np.array([[4.0, -4.0], [0.0, 0.0]]), np.zeros(2),
                       ("k:money",), np.array([[-5.0], [5.0]]), np.zeros(1))
    docs = model.read([1.0, 0.0])
    fee = model.read([0.0, 1.0])
    assert docs.fields["documents"] > 0.99 and math.isclose(sum(docs.fields.values()), 1.0)
    assert fee.fields == {"documents": 0.5, "fee": 0.5}  # the second axis says nothing of the field
    assert docs.kinds["k:money"] < 0.01 < 0.99 < fee.kinds["k:money"]
    assert AskedModel.from_json(model.to_json()).read([0.3, 0.7]) == model.read([0.3, 0.7])


def test_the_unit_a_reading_prefers_scores_highest_and_the_best_kinds_score_zero() -> None:
    asked = Asked({"fee": 0.9, "documents": 0.1}, {"k:money": 0.95, "k:document": 0.05})
    got = asked.values(["documents", "fee", "fee"],
                       [frozenset({"k:document"}), frozenset({"k:money"}), frozenset()])
    (f_doc, k_doc), (f_fee, k_fee), (_, k_none) = got
    assert f_fee > f_doc and k_fee == 0.0 and k_doc < k_none < 0.0


def test_the_reading_moves_the_ranking_only_through_its_features(monkeypatch: pytest.MonkeyPatch) -> None:
    units = [_unit("r/summary", "Thủ tục làm tại phường.", "summary"),
             _unit("r/fee", "Lệ phí 8.000 đồng.", "fee")]
    monkeypatch.setattr(rank, "MODELS", {})  # method 1's weights, plus a weight for the new feature
    weights = {**rank.WEIGHTS, "ask_field": 3.0}
    plain = rank.rank_units("thế nào", units, (Ask.GENERAL,), weights=weights)
    asked = rank.rank_units("thế nào", units, (Ask.GENERAL,), weights=weights,
                            asked=Asked({"fee": 0.95, "summary": 0.05}, {}))
    assert plain[0].unit.id == "r/summary" and asked[0].unit.id == "r/fee"


def test_the_fitted_model_ships_and_a_missing_one_leaves_the_ranking_as_before(tmp_path: Path) -> None:
    model = load_asked()
    assert model is not None and {"documents", "fee", "processing_time", "who"} <= set(model.fields)
    assert load_asked(tmp_path / "absent.json") is None


@pytest.fixture(scope="module")
def e5() -> object:
    from knowledge.answer.semantic import E5FactScorer

    return E5FactScorer()


@pytest.mark.parametrize(("question", "field"), [
    ("which papers should I take with me to the counter?", "documents"),
    ("cần mang theo những giấy tờ gì hả cháu", "documents"),
    ("how many working days until it is ready?", "processing_time"),
    ("bao lâu thì có kết quả", "processing_time"),
    ("does it cost anything?", "fee"),
    ("làm cái này mất bao nhiêu tiền", "fee"),
])
def test_the_shipped_model_reads_what_a_real_question_asks_in_both_languages(e5: object, question: str,
                                                                              field: str) -> None:
    """The real E5 model and the shipped weights: the asked field is among the two most likely."""
    model = load_asked()
    assert model is not None
    probs = model.read(e5.question_vector(question)).fields  # type: ignore[attr-defined]
    assert field in sorted(probs, key=probs.__getitem__, reverse=True)[:2], probs
