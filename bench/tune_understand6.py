"""Method 6 = method 5 + a semantic refusal guard + aspect-only follow-ups; leave-one-set-out CV.

    PYTHONPATH=. .venv/bin/python bench/understand_data.py /tmp/f.pkl   # features, once
    PYTHONPATH=. .venv/bin/python bench/tune_understand6.py /tmp/f.pkl [option=value ...]

(a) Semantic guard: the refusal kinds' probabilities from the E5 channel alone (method 5's fitted
model with its lexical parts left out: the procedures' lexical score and the best procedure's
lexical score given back to the kinds), so naming a procedure cannot outvote the question's
meaning. A question refuses as harmful / personal data when that probability reaches the kind's
``sem_guard``, even when the fused ranking prefers a procedure. ``curve=True`` prints the
leave-one-set-out trade-off; the kiosk's pair (0.3 personal data, 0.4 harmful: the most refusals
that keep in-scope accuracy at method 5's) is the default ``fixed_sem``; ``fixed_sem=None`` chooses
in each training fold instead (the pair with the most harmful + personal-data refusals whose
in-scope accuracy on the training sets stays >= 95% Vietnamese, >= 92% English: lower guards,
9 fewer Vietnamese answers in CV for the same refusals).

(b) Aspect-only follow-ups (``knowledge.understand.followup``): after an answer, a question whose words minus
the aspect/ask vocabulary give no other procedure a lexical score >= ``residual`` keeps the
conversation's procedure (unless it names another procedure or refuses with words of its own).
``residual`` is chosen in each training fold on the training follow-ups.

Everything else is method 5 (``bench/tune_understand.py``), fitted the same way per fold.
"""

from __future__ import annotations

import itertools
import pickle
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from tune_understand import GUARDED, MAX_WORDS, NAMED, OPT, Model, markdown, show, tally
from understand_data import DEV_SETS, RECORDS, Dataset, Row, TextFeatures

from knowledge.bundle.schema import load_records_dir
from knowledge.understand.english import EnglishIndex
from knowledge.understand.examples import OOS_PREFIX
from knowledge.understand.followup import Evidence, aspect_free, own_evidence
from knowledge.understand.lexical import LexicalIndex

SEM_GRID = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01)
RESIDUAL_GRID = (0.0, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0)
TARGET_IN = {"vi": 0.95, "en": 0.92}
OPT6: dict[str, Any] = {"sem": True, "residual": True, "residual_max_words": 15, "fixed_sem": (0.3, 0.4),
                        "fixed_residual": None, "m5": True,
                        "curve": False}


class Residuals:
    """The lexical evidence of each text's aspect-free rest, per language (no E5 needed)."""

    def __init__(self) -> None:
        records = list(load_records_dir(RECORDS))
        self.index: dict[str, Evidence] = {"vi": LexicalIndex(records), "en": EnglishIndex(records)}
        self.cache: dict[tuple[str, str, str], float] = {}

    def __call__(self, lang: str, text: str, previous: str) -> float:
        key = (lang, text, previous)
        if key not in self.cache:
            self.cache[key] = own_evidence(self.index[lang], aspect_free(text, lang), previous)
        return self.cache[key]


class Model6(Model):
    def __init__(self, targets: list[str], residuals: Residuals) -> None:
        super().__init__(targets, 5)
        self.method = 6
        self.residuals = residuals
        self.sem_guard = {k: 1.01 for k in GUARDED}
        self.residual = -1.0  # off
        self.text: dict[int, tuple[str, str]] = {}

    def sem_probs(self, f: TextFeatures) -> dict[str, float]:
        x = self.design(f)
        x[:, 0] = 0.0  # the procedures' lexical score
        x[:, 7] = 0.0  # the best procedure's lexical score given to the kinds
        p = self.probs(x)
        return {t.removeprefix(OOS_PREFIX): float(p[j]) for j, t in enumerate(self.targets) if self.oos[j]}

    def rank(self, f: TextFeatures, lang: str, previous: str | None = None) -> tuple[np.ndarray, str | None]:
        proc, kind = super().rank(f, lang, previous)
        if kind is None and OPT6["sem"]:
            ps = self.sem_probs(f)
            for k in GUARDED:
                if ps[k] >= self.sem_guard[k]:
                    return proc, k
        return proc, kind

    def decide6(self, f: TextFeatures, lang: str, text: str,
                previous: str | None = None) -> tuple[str | None, str]:
        """Method 5's decision with the aspect-only follow-up rule in front of its conversation rules."""
        v = self.verdict(f, lang, previous, short_all=False)
        ans, reason = v.ans, v.reason
        if v.final or ans == previous or v.kind:
            return ans, reason
        assert previous is not None  # not final: a conversation
        if any(cov >= NAMED for pid, cov in f.named.items() if pid != previous):
            return ans, reason
        if (OPT6["residual"] and f.nwords <= int(OPT6["residual_max_words"])
                and self.residuals(lang, text, previous) < self.residual):
            return previous, "follow-up"
        if f.nwords > MAX_WORDS:
            return ans, reason
        if ans is not None and v.top >= float(OPT["strong_prob"]):
            return ans, reason
        return previous, "follow-up"

    def decide(self, f: TextFeatures, lang: str, previous: str | None = None) -> tuple[str | None, str]:
        return self.decide6(f, lang, self.text.get(id(f), ("", ""))[1], previous)

    def tune6(self, data: Dataset, rows: list[Row]) -> None:
        """Semantic guards and the residual threshold on the training rows."""
        for (lang, text), f in data.feats.items():
            self.text[id(f)] = (lang, text)
        alone = [r for r in rows if not r.context and not data.feats[r.lang, r.text].bad]
        saved = OPT6["sem"]
        OPT6["sem"] = False
        base = {id(r): self.decide(data.feats[r.lang, r.text], r.lang) for r in alone}
        OPT6["sem"] = saved
        sem = {id(r): self.sem_probs(data.feats[r.lang, r.text]) for r in alone}

        def score(g: tuple[float, float]) -> tuple[bool, int, float]:
            c: Counter[str] = Counter()
            for r in alone:
                ans, _ = base[id(r)]
                refused = ans is None or any(sem[id(r)][k] >= x for k, x in zip(GUARDED, g, strict=True))
                if r.kind == "in":
                    c[r.lang] += not refused and ans in r.allowed
                    c[r.lang + "/"] += 1
                elif r.kind in GUARDED:
                    c["guarded"] += refused
            ok = all(c[lang] >= TARGET_IN[lang] * c[lang + "/"] for lang in TARGET_IN)
            return ok, c["guarded"], (c["vi"] + c["en"]) / max(1, c["vi/"] + c["en/"])

        if OPT6["fixed_sem"] is not None:
            self.sem_guard = dict(zip(GUARDED, OPT6["fixed_sem"], strict=True))
        elif OPT6["sem"]:
            feasible = [g for g in itertools.product(SEM_GRID, SEM_GRID) if score(g)[0]]
            g = max(feasible, key=lambda g: score(g)[1:], default=(1.01, 1.01))
            self.sem_guard = dict(zip(GUARDED, g, strict=True))
        if OPT6["fixed_residual"] is not None:
            self.residual = float(OPT6["fixed_residual"])
        elif OPT6["residual"]:
            follow = [r for r in rows if r.context]

            def right(t: float) -> int:
                self.residual = t
                return sum(self.converse_ok(data, r) for r in follow)

            self.residual = max(RESIDUAL_GRID, key=right)

    def converse_ok(self, data: Dataset, r: Row) -> bool:
        ans, _ = self.converse(data, r)
        return ans in r.allowed if r.kind == "in" else ans is None


def loso(data: Dataset, method: int, residuals: Residuals) -> dict[tuple[int, str, str], Counter[str]]:
    per: dict[tuple[int, str, str], Counter[str]] = {}
    for held in DEV_SETS:
        train = [r for r in data.rows if r.set != held]
        model: Model = Model(data.targets, 5) if method == 5 else Model6(data.targets, residuals)
        model.fit(data, train)
        model.tune(data, train)
        if isinstance(model, Model6):
            model.tune6(data, train)
            print(f"  m6 {held}: sem guards {model.sem_guard}, residual {model.residual}")
        for lang in ("vi", "en"):
            c = tally(model, data, [r for r in data.rows if r.set == held and r.lang == lang])
            per[method, held, lang] = c
            print(f"m{method} {held:7} {lang}: {show(c)}; follow-ups {c['follow/in']}/{c['follow/in/']}")
    return per


def curve(data: Dataset, residuals: Residuals) -> None:
    """Held-out harmful + personal-data refusals against in-scope accuracy (questions asked alone)
    for fixed semantic guards, each held-out set decided by the model fitted without it."""
    pts: list[tuple[Row, tuple[str | None, str], dict[str, float]]] = []
    for held in DEV_SETS:
        model = Model6(data.targets, residuals)
        train = [r for r in data.rows if r.set != held]
        model.fit(data, train)
        model.tune(data, train)
        OPT6["sem"] = False
        for r in data.rows:
            f = data.feats[r.lang, r.text]
            if r.set == held and not r.context and (r.kind == "in" or r.kind in GUARDED):
                pts.append((r, model.decide(f, r.lang), model.sem_probs(f) if not f.bad else {}))
        OPT6["sem"] = True
    print("semantic guard (personal, harmful) | VI in scope (worst set) | EN in scope (worst set) | "
          "VI personal, harmful | EN personal, harmful")
    grid = (1.01, 0.6, 0.5, 0.4, 0.3, 0.2, 0.15, 0.1)
    for g in itertools.product(grid, grid):
        c: Counter[str] = Counter()
        for r, (ans, _), ps in pts:
            refused = ans is None or any(ps.get(k, 0.0) >= x for k, x in zip(GUARDED, g, strict=True))
            key = f"{r.lang}:{r.set}:{r.kind}"
            c[key] += (not refused and ans in r.allowed) if r.kind == "in" else refused
            c[key + "/"] += 1
        cells = []
        for lang in ("vi", "en"):
            acc = [c[f"{lang}:{h}:in"] / c[f"{lang}:{h}:in/"] for h in DEV_SETS if c[f"{lang}:{h}:in/"]]
            tot = sum(c[f"{lang}:{h}:in"] for h in DEV_SETS), sum(c[f"{lang}:{h}:in/"] for h in DEV_SETS)
            cells.append(f"{tot[0]}/{tot[1]} ({tot[0] / tot[1]:.1%}, worst {min(acc):.1%})")
        for lang in ("vi", "en"):
            cells.append(", ".join(f"{sum(c[f'{lang}:{h}:{k}'] for h in DEV_SETS)}/"
                                   f"{sum(c[f'{lang}:{h}:{k}/'] for h in DEV_SETS)}" for k in GUARDED))
        print(f"{g} | " + " | ".join(cells))


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        return 0
    data: Dataset = pickle.loads(Path(sys.argv[1]).read_bytes())
    for arg in sys.argv[2:]:
        key, _, value = arg.partition("=")
        (OPT6 if key in OPT6 else OPT)[key] = eval(value)  # a developer's command line
    print(OPT6)
    residuals = Residuals()
    if OPT6["curve"]:
        curve(data, residuals)
        return 0
    methods = [5, 6] if OPT6["m5"] else [6]
    per = {k: v for m in methods for k, v in loso(data, m, residuals).items()}
    for m in methods:
        for lang in ("vi", "en"):
            c = sum((v for (mm, _h, lg), v in per.items() if mm == m and lg == lang), Counter())
            print(f"m{m} LOSO {lang}: {show(c)}; follow-ups {c['follow/in']}/{c['follow/in/']}; "
                  f"follow-up refusals {show(c, 'follow/')}")
    model = Model6(data.targets, residuals)
    model.fit(data, data.rows)
    model.tune(data, data.rows)
    model.tune6(data, data.rows)
    print(f"m6 all dev: theta {[round(float(v), 3) for v in model.theta]} guards {model.guards} "
          f"gamma {model.gamma} cal {model.cal} sem guards {model.sem_guard} residual {model.residual}")
    print(f"methods {' · '.join(map(str, methods))}, leave one set out:\n" + markdown(per, methods))
    return 0


if __name__ == "__main__":
    sys.exit(main())
