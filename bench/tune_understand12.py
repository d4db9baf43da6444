"""Method 12: a question typed without diacritics matches typical words by its folded syllables only.

The typical-word scores (``ExampleIndex.words``) sum log-count ratios of a question's word features,
each syllable once with diacritics (``d:``) and once folded (``f:``). A question typed without
diacritics has ``d:`` features that are really folded syllables, yet they matched the documents'
``d:`` features of words that happen to be spelled without diacritics: "nhan cha me con lam o dau vay
moi nguoi" ("vậy", so) took the harmful kind's ``d:vay`` ("vay", borrow) and was refused as a request
to cheat (blind fact set 8, spent). Method 12 scores such a question's ``d:`` features as their
folded twins (``question_word_features`` below); questions with diacritics are unchanged. Not
adopted (docs/benchmarks.md, "Method 12 probe"), so the kiosk's ``ExampleIndex.words`` is unchanged.

Leave one set out over every dev set, method 7 and method 12 trained on the same rows (the
understanding sets; ``fact_rows=1`` adds the fact sets), the typical words of dev texts and of the
examples (out of fold, 5 folds) recomputed for both from the same table.

    PYTHONPATH=.:bench .venv/bin/python bench/tune_understand12.py /tmp/f9.pkl [fact_rows=1]
"""

from __future__ import annotations

import copy
import pickle
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
from tune_understand import show, tally
from tune_understand6 import Residuals
from tune_understand7 import Named
from tune_understand9 import FACT_SETS, fitted, totals
from tune_understand11 import documents
from understand_data import DEV_SETS, Dataset, Row, TextFeatures  # noqa: F401  (unpickling)

from knowledge.service import _clean
from knowledge.understand.examples import _word_ratios, word_features
from knowledge.understand.normalize import fold, normalize_vi

Table = dict[str, list[tuple[str, float]]]


def question_word_features(text: str) -> list[str]:
    """Method 12's word features of a question: typed without diacritics, a syllable's accented
    identity is unknown ("vay" is "vậy", so, as often as "vay", borrow), so its with-diacritics
    features become its folded twins, counted as often as before."""
    feats = sorted(word_features(text))
    if normalize_vi(text) != fold(text):
        return feats
    return [f"f:{f[2:]}" if f.startswith("d:") else f for f in feats]


def scored(features: Callable[[str], list[str]]) -> Callable[[Table, str], dict[str, float]]:
    def words(table: Table, text: str) -> dict[str, float]:
        feats = features(text)
        out: dict[str, float] = {}
        for f in feats:
            for t, r in table.get(f, ()):
                out[t] = out.get(t, 0.0) + r
        scale = float(np.sqrt(max(1, len(feats))))
        return {t: v / scale for t, v in out.items()}
    return words


OLD = scored(lambda text: sorted(word_features(text)))
NEW = scored(question_word_features)
RATIOS = [_word_ratios]  # the word table (method 13 swaps in one with a minimum document frequency)


def rewrite(data: Dataset, words: Callable[[Table, str], dict[str, float]]) -> Dataset:
    """A copy of ``data`` whose typical words are recomputed with ``words``."""
    tg, texts, is_ex, ids = documents()
    new = copy.copy(data)
    new.feats = {k: copy.copy(f) for k, f in data.feats.items()}
    table = RATIOS[0](tg, texts)
    for (_lang, text), f in new.feats.items():
        if not f.bad:
            f.words = words(table, _clean(text))
    fold = np.random.default_rng(0).integers(0, 5, len(ids))
    by_id = {i: n for n, i in enumerate(ids)}
    new.examples = []
    tables = {}
    for row, f in data.examples:
        k = int(fold[by_id[row.id]])
        if k not in tables:
            keep = [n for n in range(len(ids)) if not (is_ex[n] and fold[n] == k)]
            tables[k] = RATIOS[0]([tg[n] for n in keep], [texts[n] for n in keep])
        g = copy.copy(f)
        g.words = words(tables[k], row.text)
        new.examples.append((row, g))
    return new


def main() -> int:
    data: Dataset = pickle.loads(Path(sys.argv[1]).read_bytes())
    opts = dict(a.split("=") for a in sys.argv[2:])
    with_facts = opts.get("fact_rows", "0") == "1"
    old, new = rewrite(data, OLD), rewrite(data, NEW)
    same = sum(all(abs(a.words.get(t, 0.0) - v) < 1e-6 for t, v in b.words.items())
               for a, b in zip(data.feats.values(), old.feats.values(), strict=True))
    print(f"method 7 recomputed: {same}/{len(data.feats)} texts with the stored typical words", flush=True)
    residuals = Residuals()
    named = Named(residuals)
    per: dict[tuple[int, str, str], Counter[str]] = {}
    for held in DEV_SETS:
        for method, d in ((7, old), (12, new)):
            train = [r for r in d.rows if r.set != held and (with_facts or r.set not in FACT_SETS)]
            model = fitted(d, train, residuals, named)
            for lang in ("vi", "en"):
                rows = [r for r in d.rows if r.set == held and r.lang == lang]
                per[method, held, lang] = c = tally(model, d, rows)
                print(f"m{method} {held:7} {lang}: {show(c)}; follow-ups {c['follow/in']}/{c['follow/in/']}",
                      flush=True)
    totals(per, (7, 12))
    return 0


if __name__ == "__main__":
    sys.exit(main())
