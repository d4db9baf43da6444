"""Method 15: a harmful or personal-data refusal by the fused model needs words of its own.

The fused model (method 7) refuses a question when the refusal kinds together outweigh the best
procedure, or a guarded kind reaches its guard. Nearness and the E5 head see the topic, and the
requests to cheat a procedure share its topic: honest specific-fact questions ("Tờ khai để nhập khẩu
là mẫu gì?", "what is the number of the Construction Law?") were refused as harmful or personal data
(blind fact sets 9-11: 14, 20 and 27 of 240). Method 15 keeps such a refusal only when the question
has words typical of that kind (``ExampleIndex.words`` >= ``own[lang]``), as the conversation rule
already asks of a question asked right after an answer, or when E5 alone refuses it (the semantic
guard). ``FusionWeights.own_words`` holds the thresholds.

Leave one set out over every dev set (``understand_data.DEV_SETS``: the understanding sets and the
spent fact sets), method 7 and method 15 trained on the same rows (the understanding sets;
``fact_rows=1`` adds the fact sets). Per language the threshold is chosen inside each training fold
from ``GRID``: the most harmful and personal-data refusals first, then the most in-scope answers
(``fixed=VI,EN`` skips the choice). The last line is the choice on every dev set.

    PYTHONPATH=.:bench .venv/bin/python bench/understand_data.py /tmp/f15.pkl   # features, once
    PYTHONPATH=.:bench .venv/bin/python bench/tune_understand15.py /tmp/f15.pkl [fixed=3.0,1.0] [fact_rows=1]
"""

from __future__ import annotations

import pickle
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
from tune_understand import GUARDED, tally
from tune_understand6 import Residuals
from tune_understand7 import Model7, Named
from tune_understand9 import FACT_SETS, fitted, totals
from understand_data import DEV_SETS, Dataset, Row, TextFeatures

from knowledge.understand.examples import OOS_PREFIX

GRID = (0.0, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0)


def choose(score: Callable[[float], tuple[int, int]]) -> float:
    """The threshold of ``GRID`` with the most harmful and personal-data refusals (``score``'s first
    count), then the most of its second count, then the lowest."""
    res = {t: score(t) for t in GRID}
    most = max(g for g, _ in res.values())
    return max((t for t in GRID if res[t][0] == most), key=lambda t: (res[t][1], -t))


class Model15(Model7):
    """Method 7's model and decision, plus the own-words test of a guarded refusal."""

    def __init__(self, targets: list[str], residuals: Residuals, named: Named) -> None:
        super().__init__(targets, residuals, named)
        self.method = 15
        self.own = {"vi": 0.0, "en": 0.0}

    def rank(self, f: TextFeatures, lang: str, previous: str | None = None) -> tuple[np.ndarray, str | None]:
        proc, kind = super().rank(f, lang, previous)
        if (kind in GUARDED and f.words.get(OOS_PREFIX + kind, 0.0) < self.own[lang]
                and self.sem_probs(f)[kind] < self.sem_guard[kind]):
            return proc, None
        return proc, kind

    def tune_own(self, data: Dataset, rows: list[Row]) -> None:
        for lang in ("vi", "en"):
            mine = [r for r in rows if r.lang == lang and not data.feats[r.lang, r.text].bad]

            def score(t: float, lang: str = lang, mine: list[Row] = mine) -> tuple[int, int]:
                self.own[lang] = t
                c = tally(self, data, mine)
                return sum(c[k] for k in GUARDED), c["in"] + c["follow/in"]

            self.own[lang] = choose(score)


Tallies = dict[tuple[int, str, str], Counter[str]]
SHIPPED = {"vi": 3.0, "en": 1.0}  # FusionWeights.own_words


def shipped(data: Dataset, rows: list[Row], residuals: Residuals, named: Named,
            cls: type[Model15] = Model15) -> Model15:
    """Method 15 as the kiosk ships it (or a subclass, for the probes built on it), fitted on ``rows``."""
    model = fitted(data, rows, residuals, named, cls)
    assert isinstance(model, Model15)
    model.own = dict(SHIPPED)
    return model


def loso(data: Dataset, fits: dict[int, Callable[[list[Row]], Model7]],
         note: Callable[[dict[int, Model7]], str] = lambda _models: "", with_facts: bool = False) -> Tallies:
    """Leave one set out over every dev set: each method fitted on the held-out set's training rows
    (``fits``: method number -> fit on rows; the fact sets only ``with_facts``), tallied on it per
    language; ``note``: one line per fold."""
    per: Tallies = {}
    for held in DEV_SETS:
        train = [r for r in data.rows if r.set != held and (with_facts or r.set not in FACT_SETS)]
        models = {m: fit(train) for m, fit in fits.items()}
        for m, model in models.items():
            for lang in ("vi", "en"):
                rows = [r for r in data.rows if r.set == held and r.lang == lang]
                per[m, held, lang] = tally(model, data, rows)
        print(f"{held}: {note(models)}", flush=True)
    totals(per, tuple(fits))
    return per


def main() -> int:
    data: Dataset = pickle.loads(Path(sys.argv[1]).read_bytes())
    opts = dict(a.split("=") for a in sys.argv[2:])
    with_facts = opts.get("fact_rows", "0") == "1"
    fixed = [float(x) for x in opts["fixed"].split(",")] if "fixed" in opts else None
    residuals = Residuals()
    named = Named(residuals)

    def model15(rows: list[Row]) -> Model7:
        model = fitted(data, rows, residuals, named, Model15)
        assert isinstance(model, Model15)
        if fixed:
            model.own = dict(zip(("vi", "en"), fixed, strict=True))
        else:
            model.tune_own(data, rows)
        return model

    loso(data, {7: lambda rows: fitted(data, rows, residuals, named), 15: model15},
         lambda models: f"own words {getattr(models[15], 'own', None)}", with_facts)
    model = model15([r for r in data.rows if with_facts or r.set not in FACT_SETS])
    print(f"m15 all dev: own words {getattr(model, 'own', None)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
