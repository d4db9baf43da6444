"""What kind of fact a question asks for, read from its E5 vector (fact ranking method 6). Pure
apart from reading the fitted weights once (``knowledge/answer/asked_model.json``).

The regex asks (``select.asks``, ``rank.asks_en``) and the learned word pairs (``learned``) read the
question's words; a question worded as nobody foresaw ("what do I need to bring", "whose phone
number do we use") falls back to the general ask and to the record's summary. English has few
questions to learn word pairs from. The question's E5 vector carries what it asks in any wording and
in both languages (the multilingual model puts "mất bao lâu" and "how long does it take" close), so
two small linear models over it, fitted on the fact-question sets, say

* which field answers it (a softmax over the record fields: ``documents``, ``fee/exemptions``,
  ``processing_time``, ``who``, ``notes``…), and
* which kinds of value the answering unit states (an independent probability per kind of
  ``kinds.unit_kinds``: a deadline, an age, an amount, a form, a weekday…).

Each unit of the chosen record then gets two features for the ranker (``rank.FEATURES``):
``ask_field``, the log probability of the unit's field, and ``ask_kinds``, the log likelihood of the
kinds the unit states (and does not state) under those probabilities, relative to the record's best
unit. Their weights are fitted with the other features (``bench/fit_asked.py``). Without the file,
or without an E5 vector (the wording-only ranking), both features are 0 and the ranking is method 5's.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from knowledge.answer.facts import FactUnit
from knowledge.answer.learned import unit_descriptors

MODEL_PATH = Path(__file__).with_name("asked_model.json")
FIELD_FLOOR = 0.01  # log(p + floor): a field the model rules out still ranks by the other features
KIND_FLOOR = 0.001


def value_kinds(descriptors: Iterable[str]) -> frozenset[str]:
    """The value kinds (``k:deadline``…) among a unit's descriptors (``learned.unit_descriptors``)."""
    return frozenset(d for d in descriptors if d.startswith("k:"))


@dataclass(frozen=True, slots=True)
class Asked:
    """What one question asks: field probabilities and value-kind probabilities."""

    fields: Mapping[str, float]
    kinds: Mapping[str, float]

    def unit_values(self, units: Sequence[FactUnit]) -> list[tuple[float, float]]:
        """(ask_field, ask_kinds) per unit; ask_kinds is relative to the best unit of the record."""
        return self.values([u.field for u in units], [value_kinds(ds) for ds in unit_descriptors(units)])

    def values(self, fields: Sequence[str], kinds: Sequence[frozenset[str]]) -> list[tuple[float, float]]:
        """``unit_values`` from the units' fields and value kinds (what the fitting script stores)."""
        lf = [math.log(self.fields.get(f, 0.0) + FIELD_FLOOR) for f in fields]
        lk = [sum(math.log((p if k in has else 1.0 - p) + KIND_FLOOR) for k, p in self.kinds.items())
              for has in kinds]
        top = max(lk, default=0.0)
        return [(f, k - top) for f, k in zip(lf, lk, strict=True)]


@dataclass(frozen=True)
class AskedModel:
    """Two linear models over the E5 query vector (standardisation folded into the weights)."""

    fields: tuple[str, ...]
    field_w: NDArray[np.float64]  # dim × fields
    field_b: NDArray[np.float64]
    kinds: tuple[str, ...]
    kind_w: NDArray[np.float64]  # dim × kinds
    kind_b: NDArray[np.float64]

    def read(self, vector: Sequence[float] | NDArray[Any]) -> Asked:
        q = np.asarray(vector, dtype=np.float64)
        z = q @ self.field_w + self.field_b
        pf = np.exp(z - z.max())
        pf /= pf.sum()
        pk = 1.0 / (1.0 + np.exp(-(q @ self.kind_w + self.kind_b)))
        return Asked(dict(zip(self.fields, map(float, pf), strict=True)),
                     dict(zip(self.kinds, map(float, pk), strict=True)))

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> AskedModel:
        f, k = raw["field"], raw["kind"]

        def arr(v: Any) -> NDArray[np.float64]:
            return np.asarray(v, dtype=np.float64)

        return cls(tuple(f["classes"]), arr(f["w"]), arr(f["b"]),
                   tuple(k["classes"]), arr(k["w"]), arr(k["b"]))

    def to_json(self) -> dict[str, Any]:
        def part(classes: tuple[str, ...], w: NDArray[np.float64], b: NDArray[np.float64]) -> dict[str, Any]:
            return {"classes": list(classes), "w": np.round(w, 5).tolist(), "b": np.round(b, 5).tolist()}

        return {"field": part(self.fields, self.field_w, self.field_b),
                "kind": part(self.kinds, self.kind_w, self.kind_b)}


@lru_cache(maxsize=4)
def load_asked(path: Path = MODEL_PATH) -> AskedModel | None:
    """The fitted model, or None when the file is absent (the ranker then works without it)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return AskedModel.from_json(raw)
