"""Method 7 = method 6 refitted on seven dev sets + aspect words never name a procedure in a
follow-up; leave-one-set-out CV over the seven dev sets, method 6 and method 7 in the same run.

    PYTHONPATH=.:bench .venv/bin/python bench/understand_data.py /tmp/f.pkl   # features, once
    PYTHONPATH=.:bench .venv/bin/python bench/tune_understand7.py /tmp/f.pkl [option=value ...]

Adopted (``aspect_named``): method 6 keeps a retrieval answer after an answer when the question's
name coverage of another procedure reaches ``NAMED`` (0.45); "làm qua mạng được không" covers the
online-submission record's alias "qua mạng" fully. Method 7 measures the name coverage on the
question's aspect-free pieces (``knowledge.understand.followup.aspect_free``), so a procedure alias
that is also an aspect word is an aspect inside a follow-up.

Evaluated and NOT adopted (switches, each measured alone; docs/benchmarks.md):

* ``clause``: each clause of a question of two clauses or more (``bench/clauses.py``) gets its own
  E5 vector and the refusal kinds' probabilities from E5 alone (method 6's semantic guard, the same
  model); the best clause refuses as harmful / personal data at ``clause_guard`` (chosen in each
  training fold, most training questions right with harmful / personal-data questions counted
  ``weight`` times). Every fold turned it off: the clauses of answered in-scope questions reach
  the same probabilities as the deceit clauses.
* ``per_kind``: each refusal kind gets its own weights for nearness, head, typical words and the
  named-procedure score (16 more parameters of the same conditional logit).
* ``sem_extra``: E5-only guards for other refusal kinds (other authority, chit-chat), each chosen in
  its training fold.
* ``sem_net``: the semantic guards chosen in each training fold by the same net criterion as the
  clause guards (instead of method 6's fixed 0.3 / 0.4).
"""

from __future__ import annotations

import itertools
import pickle
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from tune_understand import GUARDED, OPT, markdown, show, tally
from tune_understand6 import OPT6, SEM_GRID, Model6, Residuals
from understand_data import DEV_SETS, Dataset, Row, TextFeatures

from knowledge.understand.examples import OOS_PREFIX
from knowledge.understand.followup import aspect_free

CLAUSE_GRID = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01)
OPT7: dict[str, Any] = {"sem_extra": (), "sem_net": False, "per_kind": False, "clause": False,
                        "aspect_named": True, "clause_kinds": GUARDED, "weight": 2.0, "fixed_clause": None,
                        "m6": True}


class Named:
    """Vietnamese name coverage of a text's aspect-free pieces (the best piece per procedure)."""

    def __init__(self, residuals: Residuals) -> None:
        self.index = residuals.index["vi"]
        self.cache: dict[tuple[str, str], dict[str, float]] = {}

    def __call__(self, lang: str, text: str) -> dict[str, float]:
        key = (lang, text)
        if key not in self.cache:
            best: dict[str, float] = {}
            for piece in aspect_free(text, lang):
                for pid, v in self.index.name_coverage(piece).items():  # type: ignore[attr-defined]
                    best[pid] = max(best.get(pid, 0.0), v)
            self.cache[key] = best
        return self.cache[key]


class Model7(Model6):
    def __init__(self, targets: list[str], residuals: Residuals, named: Named) -> None:
        super().__init__(targets, residuals)
        self.method = 7
        self.named = named
        self.clause_guard = {k: 1.01 for k in OPT7["clause_kinds"]}
        self.sem_extra = {k: 1.01 for k in OPT7["sem_extra"]}

    def design(self, f: TextFeatures, previous: str | None = None) -> np.ndarray:
        x = super().design(f, previous)
        if not OPT7["per_kind"]:
            return x
        cols = []
        for j in np.where(self.oos)[0]:
            e = np.zeros(len(self.targets))
            e[j] = 1.0
            cols += [x[:, 4] * e, x[:, 5] * e, x[:, 6] * e, x[:, 7] * e]
        return np.concatenate([x, np.stack(cols, -1)], -1)

    def sem_probs(self, f: TextFeatures) -> dict[str, float]:
        if not OPT7["per_kind"]:
            return super().sem_probs(f)
        x = self.design(f)
        x[:, 0] = 0.0
        x[:, 7] = 0.0
        x[:, 12 + 3::4] = 0.0  # the per-kind named columns
        p = self.probs(x)
        return {t.removeprefix(OOS_PREFIX): float(p[j]) for j, t in enumerate(self.targets) if self.oos[j]}

    def clause_probs(self, f: TextFeatures) -> dict[str, float]:
        """Per refusal kind, the best clause's probability from E5 alone (empty: one clause)."""
        best: dict[str, float] = {}
        for near, head, words in f.clause_sem:
            cf = TextFeatures({}, near, head, words, words, {}, f.nwords)
            for k, v in self.sem_probs(cf).items():
                best[k] = max(best.get(k, 0.0), v)
        return best

    def rank(self, f: TextFeatures, lang: str, previous: str | None = None) -> tuple[np.ndarray, str | None]:
        proc, kind = super().rank(f, lang, previous)
        if kind is None and self.sem_extra and OPT6["sem"]:
            ps = self.sem_probs(f)
            for k, x in self.sem_extra.items():
                if ps[k] >= x:
                    return proc, k
        if kind is None and OPT7["clause"] and f.clause_sem:
            ps = self.clause_probs(f)
            for k in OPT7["clause_kinds"]:
                if ps.get(k, 0.0) >= self.clause_guard[k]:
                    return proc, k
        return proc, kind

    def decide6(self, f: TextFeatures, lang: str, text: str,
                previous: str | None = None) -> tuple[str | None, str]:
        if previous is None or not OPT7["aspect_named"]:
            return super().decide6(f, lang, text, previous)
        saved = f.named
        f.named = self.named(lang, text)
        try:
            return super().decide6(f, lang, text, previous)
        finally:
            f.named = saved

    def tune_sem(self, data: Dataset, rows: list[Row]) -> None:
        """Semantic guards by the net criterion: in-scope answers right + ``weight`` x harmful /
        personal-data refusals on the training questions asked alone (instead of method 6's fixed
        pair or its "most refusals above the in-scope target")."""
        alone = [r for r in rows if not r.context and not data.feats[r.lang, r.text].bad]
        saved = OPT6["sem"]
        OPT6["sem"] = False
        base = {id(r): self.decide(data.feats[r.lang, r.text], r.lang) for r in alone}
        OPT6["sem"] = saved
        sem = {id(r): self.sem_probs(data.feats[r.lang, r.text]) for r in alone}
        weight = float(OPT7["weight"])

        def score(g: tuple[float, ...]) -> tuple[float, float]:
            total = 0.0
            for r in alone:
                ans, _ = base[id(r)]
                refused = ans is None or any(sem[id(r)][k] >= x for k, x in zip(GUARDED, g, strict=True))
                if r.kind == "in":
                    total += not refused and ans in r.allowed
                elif r.kind in GUARDED:
                    total += weight * refused
            return total, sum(g)

        best = max(itertools.product(SEM_GRID, SEM_GRID), key=score)
        self.sem_guard = dict(zip(GUARDED, best, strict=True))

    def tune_extra(self, data: Dataset, rows: list[Row]) -> None:
        """E5-only guards for the other refusal kinds (``sem_extra``), each chosen on the training
        questions asked alone: in-scope answers right + that kind's refusals."""
        alone = [r for r in rows if not r.context and not data.feats[r.lang, r.text].bad]
        for k in OPT7["sem_extra"]:
            self.sem_extra[k] = 1.01
            base = {id(r): self.decide(data.feats[r.lang, r.text], r.lang) for r in alone}
            sem = {id(r): self.sem_probs(data.feats[r.lang, r.text])[k] for r in alone}

            def score(x: float, base: dict[int, tuple[str | None, str]] = base,
                      sem: dict[int, float] = sem) -> tuple[float, float]:
                total = 0.0
                for r in alone:
                    ans, _ = base[id(r)]
                    refused = ans is None or sem[id(r)] >= x
                    total += (not refused and ans in r.allowed) if r.kind == "in" else refused
                return total, x

            self.sem_extra[k] = max(SEM_GRID, key=score)

    def tune7(self, data: Dataset, rows: list[Row]) -> None:
        """Clause guards on the training questions asked alone (each kind in turn, twice)."""
        if not OPT7["clause"]:
            return
        if OPT7["fixed_clause"] is not None:
            self.clause_guard = dict(zip(OPT7["clause_kinds"], OPT7["fixed_clause"], strict=True))
            return
        alone = [r for r in rows if not r.context and not data.feats[r.lang, r.text].bad]
        saved = OPT7["clause"]
        OPT7["clause"] = False
        base = {id(r): self.decide(data.feats[r.lang, r.text], r.lang) for r in alone}
        OPT7["clause"] = saved
        cp = {id(r): self.clause_probs(data.feats[r.lang, r.text]) for r in alone}
        weight = float(OPT7["weight"])

        def score(g: dict[str, float]) -> float:
            total = 0.0
            for r in alone:
                ans, _ = base[id(r)]
                refused = ans is None or any(cp[id(r)].get(k, 0.0) >= x for k, x in g.items())
                if r.kind == "in":
                    total += not refused and ans in r.allowed
                else:
                    total += (weight if r.kind in GUARDED else 1.0) * refused
            return total

        g = {k: 1.01 for k in OPT7["clause_kinds"]}
        for _ in range(2):
            for k in OPT7["clause_kinds"]:
                def key(x: float, k: str = k) -> tuple[float, float]:
                    return score({**g, k: x}), x

                g[k] = max(CLAUSE_GRID, key=key)
        self.clause_guard = g


def loso(data: Dataset, method: int, residuals: Residuals,
         named: Named) -> dict[tuple[int, str, str], Counter[str]]:
    per: dict[tuple[int, str, str], Counter[str]] = {}
    for held in DEV_SETS:
        train = [r for r in data.rows if r.set != held]
        model = Model6(data.targets, residuals) if method == 6 else Model7(data.targets, residuals, named)
        model.fit(data, train)
        model.tune(data, train)
        model.tune6(data, train)
        extra = ""
        if isinstance(model, Model7) and OPT7["sem_net"]:
            model.tune_sem(data, train)
        if isinstance(model, Model7):
            model.tune_extra(data, train)
            model.tune7(data, train)
            extra = f", clause guards {model.clause_guard}, extra {model.sem_extra}"
        print(f"  m{method} {held}: sem guards {model.sem_guard}, residual {model.residual}{extra}")
        for lang in ("vi", "en"):
            c = tally(model, data, [r for r in data.rows if r.set == held and r.lang == lang])
            per[method, held, lang] = c
            print(f"m{method} {held:7} {lang}: {show(c)}; follow-ups {c['follow/in']}/{c['follow/in/']}")
    return per


def main() -> int:
    data: Dataset = pickle.loads(Path(sys.argv[1]).read_bytes())
    for arg in sys.argv[2:]:
        key, _, value = arg.partition("=")
        table = OPT7 if key in OPT7 else OPT6 if key in OPT6 else OPT
        table[key] = eval(value)  # a developer's command line
    print(OPT7, OPT6)
    residuals = Residuals()
    named = Named(residuals)
    methods = [6, 7] if OPT7["m6"] else [7]
    per = {k: v for m in methods for k, v in loso(data, m, residuals, named).items()}
    for m in methods:
        for lang in ("vi", "en"):
            c = sum((v for (mm, _h, lg), v in per.items() if mm == m and lg == lang), Counter())
            print(f"m{m} LOSO {lang}: {show(c)}; follow-ups {c['follow/in']}/{c['follow/in/']}; "
                  f"after their procedure: personal {c['conv/personal_data']}/{c['conv/personal_data/']}, "
                  f"harmful {c['conv/harmful']}/{c['conv/harmful/']}; misses "
                  f"{ {k[5:]: v for k, v in c.items() if k.startswith('miss:')} }")
    model = Model7(data.targets, residuals, named)
    model.fit(data, data.rows)
    model.tune(data, data.rows)
    model.tune6(data, data.rows)
    if OPT7["sem_net"]:
        model.tune_sem(data, data.rows)
    model.tune7(data, data.rows)
    print(f"m7 all dev: theta {[round(float(v), 3) for v in model.theta]} guards {model.guards} "
          f"gamma {model.gamma} cal {model.cal} sem guards {model.sem_guard} residual {model.residual} "
          f"clause guards {model.clause_guard}")
    print(f"methods {' · '.join(map(str, methods))}, leave one set out:\n" + markdown(per, methods))
    return 0


if __name__ == "__main__":
    sys.exit(main())
