"""Method 9 = method 7's model refitted with the spent fact sets as in-scope dev questions.

    PYTHONPATH=.:bench .venv/bin/python bench/understand_data.py /tmp/f9.pkl   # features, once
    PYTHONPATH=.:bench .venv/bin/python bench/tune_understand9.py /tmp/f9.pkl

Why: the refusal kinds were fitted on understanding sets whose in-scope questions are short and
general; a fact question ("If my residence application is missing papers, which form does the police
give me?") carries the words the personal-data examples carry ("my", "tôi", "hồ sơ", the police), and
10 of the 240 questions of blind fact set 6 were refused. Method 9 changes only the training data:
the nine understanding dev sets plus the six spent fact sets (``understand_data.DEV_SETS``).

Leave one set out over all fifteen sets, two columns per cell: "7" trains on the understanding
sets only (method 7's data, refitted per fold), "9" on the understanding and the fact sets. A held-out
fact set is never in either column's training. The last line prints the constants for the kiosk
(``FusionWeights``, ``Calibration``, ``Thresholds.residual``) fitted on every dev set.
"""

from __future__ import annotations

import pickle
import sys
from collections import Counter
from pathlib import Path

from tune_understand import markdown, show, tally
from tune_understand6 import Residuals
from tune_understand7 import Model7, Named
from understand_data import DEV_SETS, Dataset, Row, TextFeatures  # noqa: F401  (unpickling)

FACT_SETS = tuple(name for name in DEV_SETS if name.startswith("facts"))


def training(rows: list[Row], held: str, method: int) -> list[Row]:
    return [r for r in rows if r.set != held and (method == 9 or r.set not in FACT_SETS)]


def fitted(data: Dataset, rows: list[Row], residuals: Residuals, named: Named,
           cls: type[Model7] = Model7) -> Model7:
    """Method 7's fit, guards and semantic guards on ``rows`` (methods 9-11 differ in data or columns)."""
    model = cls(data.targets, residuals, named)
    model.fit(data, rows)
    model.tune(data, rows)
    model.tune6(data, rows)
    return model


def misses(c: Counter[str]) -> dict[str, int]:
    return {k[5:]: v for k, v in c.items() if k.startswith("miss:")}


def totals(per: dict[tuple[int, str, str], Counter[str]], methods: tuple[int, ...]) -> None:
    """The leave-one-set-out sums, understanding sets and fact sets apart, per method and language."""
    understanding = [s for s in DEV_SETS if s not in FACT_SETS]
    for method in methods:
        for part, names in (("understanding", understanding), ("facts", FACT_SETS)):
            for lang in ("vi", "en"):
                c = sum((per[method, h, lang] for h in names), Counter())
                print(f"m{method} LOSO {part} {lang}: {show(c)}; "
                      f"follow-ups {c['follow/in']}/{c['follow/in/']}; misses {misses(c)}")


def main() -> int:
    data: Dataset = pickle.loads(Path(sys.argv[1]).read_bytes())
    residuals = Residuals()
    named = Named(residuals)
    per: dict[tuple[int, str, str], Counter[str]] = {}
    for held in DEV_SETS:
        for method in (7, 9):
            model = fitted(data, training(data.rows, held, method), residuals, named)
            for lang in ("vi", "en"):
                c = tally(model, data, [r for r in data.rows if r.set == held and r.lang == lang])
                per[method, held, lang] = c
                print(f"m{method} {held:7} {lang}: {show(c)}; follow-ups {c['follow/in']}/{c['follow/in/']}; "
                      f"misses {misses(c)}", flush=True)
    totals(per, (7, 9))
    model = fitted(data, data.rows, residuals, named)
    print(f"m9 all dev: theta {[round(float(v), 3) for v in model.theta]} targets "
          f"{[t for t, o in zip(data.targets, model.oos, strict=True) if o]} guards {model.guards} "
          f"gamma {model.gamma} cal {model.cal} sem guards {model.sem_guard} residual {model.residual}")
    print("methods 7 · 9, leave one set out:\n" + markdown(per, [7, 9]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
