"""Fit the understanding model on the DEV sets only; compare methods 3, 4 and 5 by leave-one-set-out CV.

    PYTHONPATH=. .venv/bin/python bench/understand_data.py /tmp/f.pkl   # features, once (~2 min)
    PYTHONPATH=. .venv/bin/python bench/tune_understand.py /tmp/f.pkl [3,4,5] [option=value ...]

The model (``knowledge.understand.retrieval.FusionWeights``) is a conditional logit over every target (the
procedures and the four refusal kinds); a softmax makes the logits probabilities:

* procedure: ``lexical * lex + semantic * near + head * head + words * typical``;
* refusal kind: ``oos_semantic * near + oos_head * head + oos_words * typical + oos_named * (best
  procedure's lexical score) + bias[kind]``.

Fitted by maximum likelihood (Adam, small L2) on the examples' out-of-fold features and the dev
sets (follow-ups left out); the guards (a harmful / personal-data probability that refuses alone)
and the calibration of ``knowledge.understand.decide`` (per language) on the training sets. Each held-out set
is then decided by a replica of the kiosk's decision (``Model.decide``: refusal, guards, confidence
threshold, and follow-ups asked after their context questions with the conversation rules of
``knowledge.understand.decide.follow_up`` and ``Knowledge.decide``). Method 3 (weighted mean, fixed weights,
``b3ca816``) is not fitted: its figures are the kiosk's as it was (the replica reproduces its blind
set 4 run exactly: VI 235/247, 79/88).

Method 5 = method 4's model refitted on all five dev sets + the conversation rules: a harmful or
personal-data refusal ends a conversation only when the question has words of its own for it
(typical words >= ``own_guarded``), and retrieval is trusted over the conversation when its
probability reaches ``strong_prob`` (not a lexical score). ``OPT`` holds the options tried (clause
features, hinges on the typical words, a conversation prior, per-language guards, a refusal margin
``gammas``); the defaults are the ones chosen. Never add the current blind set to ``DEV_SETS``.
"""

from __future__ import annotations

import itertools
import pickle
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from understand_data import DEV_SETS, KINDS, Dataset, Row, TextFeatures

from knowledge.evaluation import fit_calibration
from knowledge.understand.decide import Calibration
from knowledge.understand.examples import OOS_PREFIX

GUARDED = ("personal_data", "harmful")
GUARD_GRID = (0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 1.01)
SCALE, LO, HI = 4.0, 0.80, 0.92
TOPIC_WORDS, MAX_WORDS, NAMED, STRONG_LEX = 1.0, 10, 0.45, 0.6
# Method 5's options (chosen by LOSO on the dev sets; see main)
OPT: dict[str, Any] = {"hinges": (), "clause_hinges": (), "clause_tanh": False, "prior": 0.0,
                          "own_guarded": 2.0, "strong_lex": 9.0, "strong_prob": 0.7,
                          "guards_per_lang": False, "short_all": False, "guard_max_words": 15,
                          "gammas": (1.0,)}


@dataclass(frozen=True, slots=True)
class Verdict:
    """One question's decision before the conversation rules (``Model.verdict``). ``final``: nothing
    more to decide (a bad text, no match, or no conversation); ``top``: the best procedure's score."""

    ans: str | None
    reason: str
    final: bool = True
    kind: str | None = None
    best: str | None = None
    top: float = 0.0


class Model:
    def __init__(self, targets: list[str], method: int) -> None:
        self.targets = targets
        self.method = method
        self.oos = np.array([t.startswith(OOS_PREFIX) for t in targets])
        self.col = {t: j for j, t in enumerate(targets)}
        self.theta = np.zeros(0)
        self.guards: dict[str, tuple[float, ...]] = {"vi": (1.01, 1.01), "en": (1.01, 1.01)}
        self.gamma = {"vi": 1.0, "en": 1.0}  # refuse when the refusal kinds outweigh gamma x the best
        # method 3's calibrations (method 4 and 5 fit theirs in ``tune``)
        self.cal = {"vi": Calibration(6.059, 0.3221, 4.841), "en": Calibration(5.79, 0.3435, 4.847)}

    # ---- features ------------------------------------------------------------------------------
    def design(self, f: TextFeatures, previous: str | None = None) -> np.ndarray:
        t = len(self.targets)
        vec = {k: np.zeros(t) for k in ("lex", "near", "head", "words", "clause")}
        floor = min(f.near.values(), default=0.0)
        vec["near"][:] = floor
        for key, d in (("lex", f.lex), ("near", f.near), ("head", f.head), ("words", f.words),
                       ("clause", f.clause_words)):
            for k, v in d.items():
                vec[key][self.col[k]] = v
        near = np.clip((vec["near"] - LO) / (HI - LO), 0, 1)
        typ = np.maximum(0.0, np.tanh(vec["words"] / SCALE))
        ctyp = np.maximum(0.0, np.tanh(vec["clause"] / SCALE))
        proc, oos = (~self.oos).astype(float), self.oos.astype(float)
        named = np.full(t, vec["lex"][~self.oos].max(initial=0.0))
        cols = [vec["lex"] * proc, near * proc, vec["head"] * proc, typ * proc,
                near * oos, vec["head"] * oos, typ * oos, named * oos]
        cols += [(np.arange(t) == j).astype(float) for j in np.where(self.oos)[0]]
        if self.method >= 5:
            for c in OPT["hinges"]:
                cols += [np.maximum(0.0, vec["words"] - c) * oos]
            for c in OPT["clause_hinges"]:
                cols += [np.maximum(0.0, vec["clause"] - c) * oos]
            if OPT["clause_tanh"]:
                cols += [ctyp * oos]
        x = np.stack(cols, -1)
        if self.method >= 5 and previous is not None and OPT["prior"]:
            # the conversation's procedure: a fixed prior on its logit (a last column, weight 1)
            x = np.concatenate([x, np.zeros((t, 1))], -1)
            x[self.col[previous], -1] = OPT["prior"]
            return x
        return np.concatenate([x, np.zeros((t, 1))], -1) if self.method >= 5 and OPT["prior"] else x

    def probs(self, x: np.ndarray) -> np.ndarray:
        theta = self.theta
        if x.shape[-1] == len(theta) + 1:
            theta = np.append(theta, 1.0)
        z = x @ theta
        p: np.ndarray = np.exp(z - z.max(-1, keepdims=True))
        out: np.ndarray = p / p.sum(-1, keepdims=True)
        return out

    # ---- the kiosk's decision ---------------------------------------------------------------------
    def rank(self, f: TextFeatures, lang: str, previous: str | None = None) -> tuple[np.ndarray, str | None]:
        """Procedure scores (per target, refusal kinds -1) and the refusal kind, as the retriever."""
        if self.method == 3:
            return self._rank3(f)
        p = self.probs(self.design(f, previous))
        proc = np.where(self.oos, -1.0, p)
        kinds = {t.removeprefix(OOS_PREFIX): float(p[j]) for j, t in enumerate(self.targets) if self.oos[j]}
        if sum(kinds.values()) > self.gamma[lang] * proc.max():
            return proc, max(kinds, key=lambda k: kinds[k])
        for kind, g in zip(GUARDED, self.guards[lang], strict=True):
            if kinds[kind] >= g:
                return proc, kind
        return proc, None

    def _rank3(self, f: TextFeatures) -> tuple[np.ndarray, str | None]:
        a, b, c, d = 0.5, 0.1, 1.0, 0.4
        floor = min(f.near.values(), default=0.0)
        s = np.full(len(self.targets), -1.0)
        oos: tuple[float, str] = (-1.0, "")
        guarded: tuple[float, str] = (-1.0, "")
        for t in set(f.lex) | set(f.near):
            j = self.col[t]
            near = min(1.0, max(0.0, (f.near.get(t, floor) - LO) / (HI - LO)))
            typ = max(0.0, float(np.tanh(f.words.get(t, 0.0) / SCALE)))
            v = (a * f.lex.get(t, 0.0) + b * near + c * f.head.get(t, 0.0) + d * typ) / (a + b + c + d)
            if self.oos[j]:
                oos = max(oos, (v + 0.05, t))
                if t.removeprefix(OOS_PREFIX) in GUARDED:
                    guarded = max(guarded, (v, t))
            else:
                s[j] = v
        if oos[1] and oos[0] > s.max():
            return s, oos[1].removeprefix(OOS_PREFIX)
        if guarded[1] and guarded[0] >= 0.25:
            return s, guarded[1].removeprefix(OOS_PREFIX)
        return s, None

    def verdict(self, f: TextFeatures, lang: str, previous: str | None, *, short_all: bool) -> Verdict:
        """The question's own decision; after ``previous``, a refusal kind the question has no words of
        its own for is dropped (``short_all``: for any kind, however long the question)."""
        if f.bad:
            return Verdict(None, f.bad)
        s, kind = self.rank(f, lang, previous if self.method >= 5 else None)
        order = np.argsort(-s)
        top, second = s[order[0]], max(0.0, s[order[1]])
        best = self.targets[order[0]] if top >= 0 else None
        if best is None:
            return Verdict(None, "no-match")
        ans, reason = best, ""
        if kind:
            ans, reason = None, "out-of-scope:" + kind
        elif self.cal[lang].confidence(top, second) < 0.5:
            ans, reason = None, "below-threshold"
        if previous is None:
            return Verdict(ans, reason)
        own = TOPIC_WORDS if kind not in GUARDED else float(OPT["own_guarded"]) if self.method >= 5 else -1e9
        short = (self.method < 5 or f.nwords <= int(OPT["guard_max_words"])
                 or (kind not in GUARDED and not short_all))
        if kind and short and f.words.get(OOS_PREFIX + kind, 0.0) < own:
            # a refusal kind the question has no words of its own for does not end the conversation
            kind, ans, reason = None, best, ""
            if self.cal[lang].confidence(top, second) < 0.5:
                ans, reason = None, "below-threshold"
        return Verdict(ans, reason, False, kind, best, top)

    def decide(self, f: TextFeatures, lang: str, previous: str | None = None) -> tuple[str | None, str]:
        """(answered procedure or None, reason) for one question, optionally after ``previous``."""
        v = self.verdict(f, lang, previous, short_all=bool(OPT["short_all"]))
        ans, reason = v.ans, v.reason
        if v.final or ans == previous or v.kind or f.nwords > MAX_WORDS:
            return ans, reason
        if any(cov >= NAMED for pid, cov in f.named.items() if pid != previous):
            return ans, reason
        best = v.best
        assert best is not None  # not final: a procedure matched
        strong = (f.lex.get(best, 0.0) >= STRONG_LEX if self.method < 5 else
                  f.lex.get(best, 0.0) >= float(OPT["strong_lex"]) or v.top >= float(OPT["strong_prob"]))
        if ans is not None and strong:
            return ans, reason
        return previous, "follow-up"

    def converse(self, data: Dataset, row: Row) -> tuple[str | None, str]:
        previous: str | None = None
        for text in row.context:
            ans, _ = self.decide(data.feats[row.lang, text], row.lang, previous)
            previous = ans or previous
        return self.decide(data.feats[row.lang, row.text], row.lang, previous)

    # ---- fitting ---------------------------------------------------------------------------------
    def fit(self, data: Dataset, rows: list[Row], l2: float = 1e-3, iters: int = 300) -> None:
        xs, allowed = [], []
        samples = [(r, data.feats[r.lang, r.text], None) for r in rows if not r.context]
        samples += [(r, f, None) for r, f in data.examples]
        for r, f, prev in samples:
            if f.bad:
                continue
            xs.append(self.design(f, prev))
            a = np.zeros(len(self.targets), bool)
            a[[self.col[t] for t in r.allowed]] = True
            allowed.append(a)
        x, al = np.stack(xs), np.stack(allowed)
        if self.method >= 5 and OPT["prior"]:
            x = x[..., :-1]  # the prior is fixed, not fitted
        theta, m, v = (np.zeros(x.shape[-1]) for _ in range(3))
        for it in range(1, iters + 1):
            self.theta = theta
            p = self.probs(x)
            q = np.where(al, p, 0.0)
            q /= q.sum(1, keepdims=True)
            g = np.einsum("it,itk->k", p - q, x) / len(x) + l2 * theta
            m = 0.9 * m + 0.1 * g
            v = 0.999 * v + 0.001 * g * g
            theta = theta - 0.05 * (m / (1 - 0.9 ** it)) / (np.sqrt(v / (1 - 0.999 ** it)) + 1e-8)
        self.theta = theta

    def tune(self, data: Dataset, rows: list[Row]) -> None:
        """Guards (balanced accuracy) and per-language calibration on the training rows."""
        if self.method == 3:
            return
        alone = [r for r in rows if not r.context and not data.feats[r.lang, r.text].bad]
        ps = {id(r): self.probs(self.design(data.feats[r.lang, r.text])) for r in alone}
        gcols = [self.col[OOS_PREFIX + k] for k in GUARDED]

        def score(gg: tuple[float, ...], langs: tuple[str, ...]) -> float:
            *g, gamma = gg
            c: Counter[str] = Counter()
            for r in alone:
                if r.lang not in langs:
                    continue
                p = ps[id(r)]
                proc = np.where(self.oos, -1.0, p)
                refused = (p[self.oos].sum() > gamma * proc.max()
                           or any(p[j] >= x for j, x in zip(gcols, g, strict=True)))
                right = not refused and self.targets[int(proc.argmax())] in r.allowed
                ok = right if r.kind == "in" else refused
                c[r.kind] += ok
                c[r.kind + "/"] += 1
            return balanced(c)

        gammas: tuple[float, ...] = tuple(OPT["gammas"]) if self.method >= 5 else (1.0,)
        grid = list(itertools.product(GUARD_GRID, GUARD_GRID, gammas))
        for langs in ((("vi",), ("en",)) if self.method >= 5 and OPT["guards_per_lang"] else (("vi", "en"),)):
            def key(gg: tuple[float, ...], langs: tuple[str, ...] = langs) -> float:
                return score(gg, langs)

            *g, gamma = max(grid, key=key)
            for lang in langs:
                self.guards[lang], self.gamma[lang] = tuple(g), gamma
        for lang in ("vi", "en"):
            pts = []
            for r in alone:
                if r.lang != lang:
                    continue
                s, kind = self.rank(data.feats[r.lang, r.text], lang)
                if kind:
                    continue
                o = np.argsort(-s)
                pts.append((float(s[o[0]]), max(0.0, float(s[o[1]])),
                            r.kind == "in" and self.targets[o[0]] in r.allowed))
            self.cal[lang] = fit_calibration(pts)


def balanced(c: Counter[str]) -> float:
    w = {k: 2.0 if k in GUARDED else 1.0 for k in (*KINDS, "other")}
    out = sum(w[k] * c[k] for k in w) / max(1e-9, sum(w[k] * c[k + "/"] for k in w))
    return 0.5 * c["in"] / max(1, c["in/"]) + 0.5 * out


def tally(model: Model, data: Dataset, rows: list[Row]) -> Counter[str]:
    c: Counter[str] = Counter()
    for r in rows:
        ans, why = model.converse(data, r)
        ok = ans in r.allowed if r.kind == "in" else ans is None
        if r.kind == "in" and not ok:
            c["miss:" + (why if ans is None else "wrong")] += 1
        key = ("follow/" if r.context else "") + r.kind
        c[key] += ok
        c[key + "/"] += 1
        f = data.feats[r.lang, r.text]
        if r.kind in GUARDED and not r.context and f.lex:
            # asked right after an answer about the procedure it names most: still refused?
            ans, _ = model.decide(f, r.lang, max(f.lex, key=lambda k: f.lex[k]))
            c["conv/" + r.kind] += ans is None
            c["conv/" + r.kind + "/"] += 1
    return c


def show(c: Counter[str], prefix: str = "") -> str:
    ks = [k for k in (*KINDS, "other") if c[prefix + k + "/"]]
    ref, tot = sum(c[prefix + k] for k in ks), sum(c[prefix + k + "/"] for k in ks)
    per = " / ".join(f"{c[prefix + k]}/{c[prefix + k + '/']}" for k in ks)
    return (f"{c[prefix + 'in']}/{c[prefix + 'in/']} ({c[prefix + 'in'] / max(1, c[prefix + 'in/']):.1%}) | "
            f"{ref}/{tot} ({ref / max(1, tot):.1%}): {per}")


def cell(c: Counter[str], kind: str) -> str:
    """``right/total``; in scope counts the follow-ups too (the kiosk answers them in conversation)."""
    if kind == "in":
        return f"{c['in'] + c['follow/in']}/{c['in/'] + c['follow/in/']}"
    if kind == "refused":
        ks = [k for k in (*KINDS, "other") if c[k + "/"]]
        return f"{sum(c[k] for k in ks)}/{sum(c[k + '/'] for k in ks)}"
    return f"{c[kind]}/{c[kind + '/']}" if c[kind + "/"] else "–"


def markdown(per: dict[tuple[int, str, str], Counter[str]], methods: list[int]) -> str:
    """The LOSO table: one row per held-out set and language, methods side by side in each cell."""
    cols = ("in", "refused", *KINDS, "follow/in")
    head = ("set", "in scope", "refused", "personal data", "harmful", "other authority", "chit-chat",
            "follow-ups")
    lines = [f"| {' | '.join(head)} |", "|" + "---|" * len(head)]
    for lang in ("vi", "en"):
        for held in (*DEV_SETS, "total"):
            cells = []
            for col in cols:
                vals = []
                for m in methods:
                    c = per.get((m, held, lang)) if held != "total" else sum(
                        (per[m, h, lang] for h in DEV_SETS), Counter())
                    vals.append(cell(c or Counter(), col) if col != "follow/in" else
                                f"{(c or Counter())['follow/in']}/{(c or Counter())['follow/in/']}")
                cells.append(" · ".join(vals))
            name = f"**{lang.upper()} total**" if held == "total" else f"{lang.upper()} {held}"
            lines.append(f"| {name} | {' | '.join(cells)} |")
    return "\n".join(lines)


def main() -> int:
    data: Dataset = pickle.loads(Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/understand_features.pkl")
                                 .read_bytes())
    methods = [int(m) for m in (sys.argv[2] if len(sys.argv) > 2 else "3,4,5").split(",")]
    for arg in sys.argv[3:]:  # option=python literal, e.g. prior=1.5 hinges=(2.0,)
        key, _, value = arg.partition("=")
        OPT[key] = eval(value)  # a developer's command line
    print(OPT)
    per: dict[tuple[int, str, str], Counter[str]] = {}
    for method in methods:
        total: dict[str, Counter[str]] = {"vi": Counter(), "en": Counter()}
        for held in DEV_SETS:
            train = [r for r in data.rows if r.set != held]
            model = Model(data.targets, method)
            if method > 3:
                model.fit(data, train)
                model.tune(data, train)
            for lang in ("vi", "en"):
                c = tally(model, data, [r for r in data.rows if r.set == held and r.lang == lang])
                total[lang].update(c)
                per[method, held, lang] = c
                print(f"m{method} {held:7} {lang}: {show(c)}; follow-ups {c['follow/in']}/{c['follow/in/']}")
        for lang in ("vi", "en"):
            c = total[lang]
            print(f"m{method} LOSO   {lang}: {show(c)}; follow-ups {c['follow/in']}/{c['follow/in/']}; "
                  f"after their procedure: personal {c['conv/personal_data']}/{c['conv/personal_data/']}, "
                  f"harmful {c['conv/harmful']}/{c['conv/harmful/']}; misses "
                  f"{ {k[5:]: v for k, v in c.items() if k.startswith('miss:')} }")
        if method > 3:
            model = Model(data.targets, method)
            model.fit(data, data.rows)
            model.tune(data, data.rows)
            print(f"m{method} all dev: theta {[round(float(v), 3) for v in model.theta]} "
                  f"guards {model.guards} gamma {model.gamma} cal {model.cal}")
    print(f"methods {' · '.join(map(str, methods))}, leave one set out:\n" + markdown(per, methods))
    return 0


if __name__ == "__main__":
    sys.exit(main())
