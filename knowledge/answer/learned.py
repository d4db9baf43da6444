"""Which kind of fact a question asks for, learned from questions (ranking method 2). Pure
apart from reading the fitted weights once (``knowledge/answer/fact_model.json``).

The first ranker named what is asked with first-match regexes (``select.asks``) and scored units by
hand-made field priors; a question worded in a way nobody foresaw ("trong bao nhiêu ngày thì gia
đình phải đi khai tử") fell through to the processing time. Method 2 keeps the ranker's dense
features (``rank.FEATURES``: E5 similarity, wording overlap, the regex asks' prior and cue, quantity
and measure match) and adds a log-linear term over CONJUNCTIONS of

* the question's terms (``question_terms``): its syllables folded (so questions typed without
  diacritics read alike), adjacent pairs of them ("w:han", "p:may_ngay"), numbers as "#",
  English word stems and pairs ("ew:deadl", "ep:how_many"), and the regex asks as one more term
  ("a:deadline": a feature, no longer a gate), and
* the unit's descriptors (``kinds.describe``: its field, the kinds of value its text states, the
  measures it counts, say form or sentence).

Method 4 adds terms shared across languages, so English questions (few to learn from, their word
terms unseen in Vietnamese) borrow what Vietnamese questions taught: ``qk:<kind>``, the kinds of
value the question itself states, read with the same patterns as the units (``kinds.unit_kinds``:
"is it free" and "có miễn phí" both give ``qk:free``), and for an English question a language copy
``en/<term>`` of every shared term (the asks, the aspect, the kinds, the bias), so English may weigh
them its own way while sharing the common weight; and English dense weights of their own
(``FactModel.dense_en``, added to ``dense``).

A pair such as ``p:han_la|k:deadline`` says "a question with 'hạn là' wants a unit that states a
duration counted from an event". The weights are fitted by ``bench/fit_fact_model.py`` (softmax over
the record's units, L2, chosen by leave-one-set-out cross-validation) and stored as
``{"semantic": {...}, "lexical": {...}}``, each ``{"dense": {feature: w}, "pairs": {"term|desc": w}}``.
Without the file the ranker falls back to method 1 (``rank.WEIGHTS``).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from knowledge.answer.facts import FactUnit
from knowledge.answer.kinds import describe, unit_kinds
from knowledge.understand.normalize import fold_diacritics, normalize_vi

MODEL_PATH = Path(__file__).with_name("fact_model.json")
_EN_SKIP = frozenset({"a", "an", "the", "of", "to", "is", "are", "be"})
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True, slots=True)
class FactModel:
    dense: Mapping[str, float]
    pairs: Mapping[str, float] = field(default_factory=dict)
    dense_en: Mapping[str, float] = field(default_factory=dict)  # added to ``dense`` for English questions


def _vi_words(question: str, exclude: Iterable[str]) -> list[str | None]:
    skip = {fold_diacritics(w) for w in exclude}
    words = [_DIGITS.sub("#", fold_diacritics(w)) for w in normalize_vi(question).split()]
    return [None if w in skip else w for w in words]


def _en_words(question: str) -> list[str | None]:
    words = re.findall(r"[a-z0-9']+", fold_diacritics(question).lower())
    return [None if w in _EN_SKIP else _DIGITS.sub("#", w)[:5] for w in words]


def question_terms(question: str, *, language: str = "vi", exclude: Iterable[str] = (),
                   asks: Sequence[str] = (), aspect: str = "") -> frozenset[str]:
    """The question's terms: folded syllables and adjacent pairs (Vietnamese; ``exclude``: the
    procedure's own name words), word stems and pairs (English), the regex asks, the retrieval's
    aspect, the kinds of value the question states, "*" (bias), and for English a copy of each
    shared term (not the word terms) under ``en/``. A model knows only the terms it was fitted
    with; the others weigh nothing."""
    en = language == "en"
    words = _en_words(question) if en else _vi_words(question, exclude)
    w_tag, p_tag = ("ew:", "ep:") if en else ("w:", "p:")
    terms = {"*"} | {w_tag + w for w in words if w}
    terms |= {f"{p_tag}{a}_{b}" for a, b in itertools.pairwise(words) if a and b}
    terms |= {f"a:{a}" for a in asks[:2]}
    if aspect:
        terms.add(f"asp:{aspect}")
    terms |= {f"qk:{k}" for k in unit_kinds(question, english=en)}
    if en:  # a language copy of every shared term: English may weigh a shared term its own way
        terms |= {f"en/{t}" for t in terms if t[:3] not in ("ew:", "ep:")}
    return frozenset(terms)


def pair_scores(terms: frozenset[str], descs: Sequence[frozenset[str]],
                pairs: Mapping[str, float]) -> list[float]:
    """Per unit: the sum of the weights of (question term, unit descriptor) pairs."""
    if not pairs:
        return [0.0] * len(descs)
    by_desc: dict[str, float] = {}
    for d in set().union(*descs) if descs else ():
        by_desc[d] = sum(pairs.get(f"{t}|{d}", 0.0) for t in terms)
    return [sum(by_desc[d] for d in ds) for ds in descs]


def unit_descriptors(units: Sequence[FactUnit]) -> list[frozenset[str]]:
    return [_describe(u) for u in units]


@lru_cache(maxsize=8192)
def _describe(unit: FactUnit) -> frozenset[str]:
    return describe(unit)


@lru_cache(maxsize=4)
def load_models(path: Path = MODEL_PATH) -> dict[str, FactModel]:
    """{"semantic": …, "lexical": …} from the fitted file; {} when it is absent (method 1 ranks)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return {name: FactModel(dict(m["dense"]), dict(m.get("pairs", {})), dict(m.get("dense_en", {})))
            for name, m in raw.items() if name in ("semantic", "lexical")}
