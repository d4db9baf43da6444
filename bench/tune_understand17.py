"""Method 17 probe: the conversation's threshold for another authority and chit-chat, per language.

A question asked right after an answer ends the conversation as another authority or chit-chat only
when it has words typical of that kind of at least ``FollowUpRule.topic_words`` (1.0). English follow-
ups ("what's the deadline?", "which office handles it now?") were refused as such on blind set 9. The
probe sets the threshold for both languages to each value of ``GRID`` in turn (method 15's model,
trained per fold on the understanding sets) and counts, leave one set out: follow-ups answered, and the
dev sets' other-authority and chit-chat questions still refused when asked right after an answer about
the procedure they name most. Not adopted (docs/benchmarks.md, "Method 17 probe").

    PYTHONPATH=.:bench .venv/bin/python bench/tune_understand17.py /tmp/f15.pkl
"""

from __future__ import annotations

import pickle
import sys
from collections import Counter
from pathlib import Path

import tune_understand
from tune_understand import GUARDED, Verdict, tally
from tune_understand6 import Residuals
from tune_understand7 import Named
from tune_understand9 import FACT_SETS
from tune_understand15 import Model15, shipped
from understand_data import DEV_SETS, KINDS, Dataset, Row, TextFeatures

OTHER = tuple(k for k in KINDS if k not in GUARDED)
GRID = (1.0, 1.5, 2.0, 2.5, 3.0, 4.0)


class Model17(Model15):
    topic = 1.0

    def verdict(self, f: TextFeatures, lang: str, previous: str | None, *, short_all: bool) -> Verdict:
        saved = tune_understand.TOPIC_WORDS
        tune_understand.TOPIC_WORDS = self.topic
        try:
            return super().verdict(f, lang, previous, short_all=short_all)
        finally:
            tune_understand.TOPIC_WORDS = saved


def refused_after_an_answer(model: Model17, data: Dataset, rows: list[Row]) -> Counter[str]:
    c: Counter[str] = Counter()
    for r in rows:
        f = data.feats[r.lang, r.text]
        if r.kind in OTHER and not r.context and not f.bad and f.lex:
            ans, _ = model.decide(f, r.lang, max(f.lex, key=lambda k: f.lex[k]))
            c["refused"] += ans is None
            c["asked"] += 1
    return c


def main() -> int:
    data: Dataset = pickle.loads(Path(sys.argv[1]).read_bytes())
    residuals = Residuals()
    named = Named(residuals)
    total: dict[tuple[float, str], Counter[str]] = {}
    for held in DEV_SETS:
        model = shipped(data, [r for r in data.rows if r.set != held and r.set not in FACT_SETS],
                        residuals, named, Model17)
        assert isinstance(model, Model17)
        for t in GRID:
            model.topic = t
            for lang in ("vi", "en"):
                rows = [r for r in data.rows if r.set == held and r.lang == lang]
                c = tally(model, data, rows)
                c.update(refused_after_an_answer(model, data, rows))
                total.setdefault((t, lang), Counter()).update(c)
        print(held, flush=True)
    for (t, lang), c in sorted(total.items()):
        print(f"topic words {t} {lang}: follow-ups {c['follow/in']}/{c['follow/in/']}; other authority and "
              f"chit-chat refused after an answer {c['refused']}/{c['asked']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
