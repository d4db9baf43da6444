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

import pickle
import sys
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

from tune_understand11 import Table, compare, retable
from understand_data import Dataset, Row, TextFeatures  # noqa: F401  (unpickling)

from knowledge.understand.examples import _word_ratios, word_features


def ratios(min_docs: int) -> Callable[[list[str], list[str]], Table]:
    """``examples._word_ratios`` without the (word, target) pairs fewer than ``min_docs`` of the
    target's documents contain."""
    def table(targets: list[str], texts: list[str]) -> Table:
        docs: dict[str, Counter[str]] = defaultdict(Counter)
        for t, text in zip(targets, texts, strict=True):
            docs[t].update(word_features(text))
        return {f: kept for f, pairs in _word_ratios(targets, texts).items()
                if (kept := [(t, r) for t, r in pairs if docs[t][f] >= min_docs])}
    return table


def main() -> int:
    data: Dataset = pickle.loads(Path(sys.argv[1]).read_bytes())
    opts = dict(a.split("=") for a in sys.argv[2:])
    old = retable(data, _word_ratios)
    new = retable(data, ratios(int(opts.get("min_docs", "2"))))
    compare(((7, old), (13, new)), with_facts=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
