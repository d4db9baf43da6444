"""Method 13: a word is typical of a target only when several of the target's documents use it.

The typical-word scores (``ExampleIndex.words``) are naive-Bayes log-count ratios of word features
(syllables and syllable pairs, with and without diacritics) in a target's documents against the rest,
weighed down by how many targets use the word. A feature that one or two example questions of a
refusal kind happen to contain still gets the kind's largest ratios, because no other target has it:
two harmful examples typed without diacritics end in "vay moi nguoi" ("vậy mọi người", a common way
to end a typed question), so any question typed that way scored as a request to cheat ("dang ky ket
hon o dau vay moi nguoi" was refused as harmful). Method 13 keeps a (word, target) ratio only when at
least ``MIN_DOCS`` of the target's documents contain the word (a minimum document frequency, the usual
guard of a naive-Bayes table), for every target alike.

Leave one set out over every dev set, method 7 and method 13 trained on the same rows (the
understanding sets), the typical words of dev texts and of the examples (out of fold, 5 folds)
recomputed for both, each from its own table.

    PYTHONPATH=.:bench .venv/bin/python bench/tune_understand13.py /tmp/f9.pkl [min_docs=2]
"""

from __future__ import annotations

import math
import pickle
import sys
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

import tune_understand12 as t12
from tune_understand import show, tally
from tune_understand6 import Residuals
from tune_understand7 import Named
from tune_understand9 import FACT_SETS, fitted, totals
from understand_data import DEV_SETS, Dataset, Row, TextFeatures  # noqa: F401  (unpickling)

from knowledge.understand.examples import word_features

MIN_DOCS = [2]


def ratios(targets: Sequence[str], texts: Sequence[str], alpha: float = 0.5) -> t12.Table:
    """``examples._word_ratios`` with a minimum document frequency per (word, target)."""
    count: dict[str, Counter[str]] = defaultdict(Counter)
    docs: Counter[str] = Counter()
    for t, text in zip(targets, texts, strict=True):
        count[t].update(word_features(text))
        docs[t] += 1
    total: Counter[str] = Counter()
    spread: Counter[str] = Counter()
    for c in count.values():
        total.update(c)
        spread.update(c.keys())
    n = sum(docs.values())
    n_targets = max(2, len(count))
    out: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for t, c in count.items():
        for f, k in c.items():
            if k < MIN_DOCS[0]:
                continue
            inside = (k + alpha) / (docs[t] + 2 * alpha)
            outside = (total[f] - k + alpha) / (n - docs[t] + 2 * alpha)
            specific = math.log(n_targets / spread[f]) / math.log(n_targets)
            out[f].append((t, math.log(inside / outside) * specific))
    return dict(out)


def main() -> int:
    data: Dataset = pickle.loads(Path(sys.argv[1]).read_bytes())
    opts = dict(a.split("=") for a in sys.argv[2:])
    MIN_DOCS[0] = int(opts.get("min_docs", "2"))
    old = t12.rewrite(data, t12.OLD)
    t12.RATIOS[0] = ratios
    new = t12.rewrite(data, t12.OLD)
    residuals = Residuals()
    named = Named(residuals)
    per: dict[tuple[int, str, str], Counter[str]] = {}
    for held in DEV_SETS:
        for method, d in ((7, old), (13, new)):
            train = [r for r in d.rows if r.set != held and r.set not in FACT_SETS]
            model = fitted(d, train, residuals, named)
            for lang in ("vi", "en"):
                rows = [r for r in d.rows if r.set == held and r.lang == lang]
                per[method, held, lang] = c = tally(model, d, rows)
                print(f"m{method} {held:7} {lang}: {show(c)}; follow-ups {c['follow/in']}/{c['follow/in/']}",
                      flush=True)
    totals(per, (7, 13))
    return 0


if __name__ == "__main__":
    sys.exit(main())
