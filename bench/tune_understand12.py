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

import pickle
import sys
from pathlib import Path

from tune_understand11 import Table, compare, retable, words_with
from understand_data import Dataset, Row, TextFeatures  # noqa: F401  (unpickling)

from knowledge.understand.examples import _word_ratios, word_features
from knowledge.understand.normalize import fold, normalize_vi


def question_word_features(text: str) -> list[str]:
    """Method 12's word features of a question: typed without diacritics, a syllable's accented
    identity is unknown ("vay" is "vậy", so, as often as "vay", borrow), so its with-diacritics
    features become its folded twins, counted as often as before."""
    feats = sorted(word_features(text))
    if normalize_vi(text) != fold(text):
        return feats
    return [f"f:{f[2:]}" if f.startswith("d:") else f for f in feats]


def words_folded(table: Table, text: str) -> dict[str, float]:
    return words_with(table, text, question_word_features)


def main() -> int:
    data: Dataset = pickle.loads(Path(sys.argv[1]).read_bytes())
    opts = dict(a.split("=") for a in sys.argv[2:])
    old, new = retable(data, _word_ratios), retable(data, _word_ratios, words_folded)
    same = sum(all(abs(a.words.get(t, 0.0) - v) < 1e-6 for t, v in b.words.items())
               for a, b in zip(data.feats.values(), old.feats.values(), strict=True))
    print(f"method 7 recomputed: {same}/{len(data.feats)} texts with the stored typical words", flush=True)
    compare(((7, old), (12, new)), opts.get("fact_rows", "0") == "1")
    return 0


if __name__ == "__main__":
    sys.exit(main())
