"""Method 16 probe: every refusal kind needs words of its own (method 15 asks it of the guarded kinds).

Another authority and chit-chat are refused by the fused model when the refusal kinds together
outweigh the best procedure; their nearness and head also see a topic ("which office handles it
now?", "what's the deadline?"). Method 16 keeps such a refusal only when the question has words
typical of the kind at least ``other[lang]``. Thresholds chosen inside each training fold: method
15's for the guarded kinds, then for the other kinds the most guarded refusals, then the most
in-scope answers plus other refusals. Leave one set out as ``tune_understand15``.

    PYTHONPATH=.:bench .venv/bin/python bench/tune_understand16.py /tmp/f15.pkl [fixed=VI,EN]
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import numpy as np
from tune_understand import GUARDED, tally
from tune_understand6 import Residuals
from tune_understand7 import Named
from tune_understand15 import Model15, choose, loso, shipped
from understand_data import KINDS, Dataset, Row, TextFeatures

from knowledge.understand.examples import OOS_PREFIX

OTHER = tuple(k for k in KINDS if k not in GUARDED)


class Model16(Model15):
    def __init__(self, targets: list[str], residuals: Residuals, named: Named) -> None:
        super().__init__(targets, residuals, named)
        self.method = 16
        self.other = {"vi": 0.0, "en": 0.0}

    def rank(self, f: TextFeatures, lang: str, previous: str | None = None) -> tuple[np.ndarray, str | None]:
        proc, kind = super().rank(f, lang, previous)
        if kind in OTHER and f.words.get(OOS_PREFIX + kind, 0.0) < self.other[lang]:
            return proc, None
        return proc, kind

    def tune_other(self, data: Dataset, rows: list[Row]) -> None:
        for lang in ("vi", "en"):
            mine = [r for r in rows if r.lang == lang and not data.feats[r.lang, r.text].bad]

            def score(t: float, lang: str = lang, mine: list[Row] = mine) -> tuple[int, int]:
                self.other[lang] = t
                c = tally(self, data, mine)
                return (sum(c[k] for k in GUARDED),
                        c["in"] + c["follow/in"] + sum(c[k] for k in (*OTHER, "other")))

            self.other[lang] = choose(score)


def main() -> int:
    data: Dataset = pickle.loads(Path(sys.argv[1]).read_bytes())
    opts = dict(a.split("=") for a in sys.argv[2:])
    fixed = [float(x) for x in opts["fixed"].split(",")] if "fixed" in opts else None
    residuals = Residuals()
    named = Named(residuals)

    def fit(cls: type[Model15], rows: list[Row]) -> Model15:
        model = shipped(data, rows, residuals, named, cls)
        if isinstance(model, Model16):
            if fixed:
                model.other = dict(zip(("vi", "en"), fixed, strict=True))
            else:
                model.tune_other(data, rows)
        return model

    loso(data, {15: lambda rows: fit(Model15, rows), 16: lambda rows: fit(Model16, rows)},
         lambda models: f"other kinds' own words {getattr(models[16], 'other', None)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
