"""A learned match of the question with each unit over their E5 vectors (fact ranking method 7).
Pure apart from reading the fitted weights once (``knowledge/answer/match_model.json``).

The raw E5 cosine (``rank`` features ``sem_z`` / ``sem_top``) says how alike a question and a unit
read, not whether the unit answers it: "which form do I fill in" reads close to every unit about
applying, while the one naming "mẫu TK01" answers it; "can I use my wife's phone number" is answered
by "số thuê bao di động chính chủ". Method 6 (``asked``) reads from the question alone which field and
kinds of value it asks for. This model scores question and unit together: a low-rank bilinear form
``(q U) · (u V)`` over the E5 query vector ``q`` and the unit's E5 passage vector ``u`` (both already
computed for the cosine), fitted on the fact-question sets (``bench/fit_adapt.py``) so that, on top of
the cosine, a softmax over the record's units favours the units that speak the asked fact. Both
languages share it: the multilingual vectors of a Vietnamese and an English question sit in one space.

The ranker's feature ``ask_match`` is that score standardised over the record's units; its weight is
fitted with the others. Without the file, or without E5 vectors (the wording-only ranking), the
feature is 0 and the ranking is method 6's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

MODEL_PATH = Path(__file__).with_name("match_model.json")


@dataclass(frozen=True)
class MatchModel:
    """``(q U) · (u V)``: ``question`` is U (dim × rank), ``unit`` is V (dim × rank)."""

    question: NDArray[np.float64]
    unit: NDArray[np.float64]

    def values(self, question_vector: Sequence[float] | NDArray[Any],
               unit_vectors: Sequence[Sequence[float] | NDArray[Any]]) -> list[float]:
        """The match of each unit, standardised over the units (all 0 when they do not differ)."""
        if not unit_vectors:
            return []
        q = np.asarray(question_vector, dtype=np.float64) @ self.question
        s = (np.asarray(unit_vectors, dtype=np.float64) @ self.unit) @ q
        sd = float(s.std())
        return [float(x) for x in (s - s.mean()) / sd] if sd > 1e-9 else [0.0] * len(s)

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> MatchModel:
        return cls(np.asarray(raw["question"], dtype=np.float64), np.asarray(raw["unit"], dtype=np.float64))

    def to_json(self) -> dict[str, Any]:
        return {"question": np.round(self.question, 5).tolist(), "unit": np.round(self.unit, 5).tolist()}


@lru_cache(maxsize=4)
def load_match(path: Path = MODEL_PATH) -> MatchModel | None:
    """The fitted model, or None when the file is absent (the ranker then works without it)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return MatchModel.from_json(raw)
