"""Method 18 probe: an English offset on the refusal kinds' logits.

Nearness is the mean of a target's three nearest documents. An English question finds English
documents closest, and each refusal kind has about 60 English examples where a procedure has about
15 English documents, so English questions may sit closer to the refusal kinds for their language
alone. Method 18 adds one column to method 15's conditional logit, 1 for a refusal kind when the
question is English (``per_kind=1``: one such column per kind), fitted with the other weights.
Leave one set out, method 15 and 18 trained on the same rows (the understanding sets). Not adopted
(docs/benchmarks.md, "Method 18 probe").

    PYTHONPATH=.:bench .venv/bin/python bench/tune_understand18.py /tmp/f15.pkl [per_kind=1]
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import numpy as np
from tune_understand6 import Residuals
from tune_understand7 import Named
from tune_understand15 import Model15, loso, shipped
from understand_data import Dataset, TextFeatures

PER_KIND = {"on": False}


class Model18(Model15):
    def design(self, f: TextFeatures, previous: str | None = None) -> np.ndarray:
        x = super().design(f, previous)
        en = 1.0 if getattr(f, "lang", "vi") == "en" else 0.0
        kinds = np.where(self.oos)[0] if PER_KIND["on"] else [None]
        cols = [(np.arange(len(self.targets)) == j if j is not None else self.oos).astype(float) * en
                for j in kinds]
        return np.concatenate([x, np.stack(cols, -1)], -1)


def main() -> int:
    data: Dataset = pickle.loads(Path(sys.argv[1]).read_bytes())
    PER_KIND["on"] = "per_kind=1" in sys.argv[2:]
    for (lang, _text), f in data.feats.items():
        f.lang = lang  # type: ignore[attr-defined]
    for r, f in data.examples:
        f.lang = r.lang  # type: ignore[attr-defined]
    residuals = Residuals()
    named = Named(residuals)

    loso(data, {15: lambda rows: shipped(data, rows, residuals, named),
                18: lambda rows: shipped(data, rows, residuals, named, Model18)},
         lambda models: f"English offsets {[round(float(v), 3) for v in models[18].theta[12:]]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
