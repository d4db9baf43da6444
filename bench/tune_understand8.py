"""Method 8 = method 7 + a learned refusal head over the E5 question vector; leave-one-set-out CV
over the seven dev sets, method 7 and method 8 in the same run.

    PYTHONPATH=.:bench .venv/bin/python bench/understand_data.py /tmp/f.pkl   # features + vectors, once
    PYTHONPATH=.:bench .venv/bin/python bench/tune_understand8.py /tmp/f.pkl [option=value ...]
    PYTHONPATH=.:bench .venv/bin/python bench/tune_understand8.py /tmp/f.pkl write='"/tmp/head.json"'

The head: multinomial logistic regression (L2, ``l2``) of the question's E5 vector (standardised per
dimension, plus a bias) on five classes, in scope and the four refusal kinds; 5 x 385 weights. It is
fitted on the bundle's examples (in-scope and out-of-scope) and the training sets' questions asked
alone (the out-of-scope questions without a kind are left out), each class weighted to the same total.
Method 7's similarities to examples and centroids see only how close a question is to each target;
the head sees the whole vector, so it can learn the directions of deceit or of a named person's file
that survive the procedure words.

Gate: when method 7 would not refuse, the question refuses as kind ``k`` when the head's probability
of ``k`` reaches ``gate[k]`` (inside a conversation, method 7's rule that a refusal without words of
its own does not end the conversation still applies). The gates are chosen inside each training
fold on out-of-fold head probabilities (an inner leave-one-set-out over the training sets: each
training set scored by a head fitted without it), by the net criterion in-scope answers right +
``weight`` x that kind's refusals (``weight_guarded`` for harmful / personal data), one kind at a
time, twice. The held-out set is scored by the head fitted on all training sets. ``l2`` = 0.01 was
taken from 0.001 / 0.01 / 0.1 by the head's log-loss with blind set 6 held out (one fold).

Options: ``combine="mean"`` gates on the mean of the head's and method 6's E5-only probabilities;
``curve=True`` prints what any single gate could add and cost (after the fact); ``write=PATH`` fits
the head and its gates on every dev set and writes them as JSON (not read by the kiosk). NOT
adopted (docs/benchmarks.md "Method 8, dev figures only"): every variant loses as many in-scope
answers as it gains refusals or more; no head file ships.
"""

from __future__ import annotations

import json
import pickle
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from tune_understand import GUARDED, markdown, show, tally
from tune_understand6 import OPT6, Residuals
from tune_understand7 import OPT7, Model7, Named
from understand_data import DEV_SETS, KINDS, Dataset, Row, TextFeatures

CLASSES = ("in", *KINDS)
GATE_GRID = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.01)
OPT8: dict[str, Any] = {"l2": 1e-2, "iters": 300, "weight": 1.0, "weight_guarded": 2.0,
                        "kinds": KINDS, "dev_rows": True, "m7": True, "fixed_gate": None,
                        "combine": "head", "write": None,
                        "curve": False}


class Head:
    """Multinomial logistic regression over standardised E5 vectors (pure numpy, full-batch Adam)."""

    def __init__(self) -> None:
        self.mean = np.zeros(0, np.float32)
        self.scale = np.ones(0, np.float32)
        self.w = np.zeros((0, len(CLASSES)), np.float32)

    def fit(self, x: np.ndarray, y: np.ndarray, l2: float, iters: int) -> Head:
        self.mean = x.mean(0)
        self.scale = x.std(0) + 1e-6
        z = np.hstack([(x - self.mean) / self.scale, np.ones((len(x), 1))]).astype(np.float32)
        counts = np.bincount(y, minlength=len(CLASSES)).astype(float)
        sw = (len(y) / (len(CLASSES) * np.maximum(counts, 1)))[y].astype(np.float32)  # same total per class
        onehot = np.eye(len(CLASSES), dtype=np.float32)[y]
        w, m, v = (np.zeros((z.shape[1], len(CLASSES)), np.float32) for _ in range(3))
        for it in range(1, iters + 1):
            logits = z @ w
            p = np.exp(logits - logits.max(1, keepdims=True))
            p /= p.sum(1, keepdims=True)
            reg = np.vstack([w[:-1], np.zeros((1, w.shape[1]), np.float32)])  # the bias is not shrunk
            g = z.T @ ((p - onehot) * sw[:, None]) / sw.sum() + l2 * reg
            m = 0.9 * m + 0.1 * g
            v = 0.999 * v + 0.001 * g * g
            w -= 0.05 * (m / (1 - 0.9 ** it)) / (np.sqrt(v / (1 - 0.999 ** it)) + 1e-8)
        self.w = w.astype(np.float32)
        return self

    def probs(self, x: np.ndarray) -> np.ndarray:
        z = np.hstack([(np.atleast_2d(x) - self.mean) / self.scale, np.ones((np.atleast_2d(x).shape[0], 1))])
        logits = z @ self.w
        p = np.exp(logits - logits.max(1, keepdims=True))
        return np.asarray(p / p.sum(1, keepdims=True))


def training_set(data: Dataset, rows: list[Row]) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = list(data.example_vecs), [CLASSES.index(r.kind) for r, _ in data.examples]
    if OPT8["dev_rows"]:
        for r in rows:
            if not r.context and r.kind in CLASSES and (r.lang, r.text) in data.vecs:
                xs.append(data.vecs[r.lang, r.text])
                ys.append(CLASSES.index(r.kind))
    return np.stack(xs), np.asarray(ys)


def fit_head(data: Dataset, rows: list[Row]) -> Head:
    x, y = training_set(data, rows)
    return Head().fit(x, y, float(OPT8["l2"]), int(OPT8["iters"]))


class Model8(Model7):
    def __init__(self, targets: list[str], residuals: Residuals, named: Named) -> None:
        super().__init__(targets, residuals, named)
        self.method = 8
        self.gate = {k: 1.01 for k in KINDS}
        self.head_p: dict[int, dict[str, float]] = {}  # id(features) -> head probabilities
        self.use_gate = True

    def set_head(self, data: Dataset, head: Head, keys: list[tuple[str, str]]) -> None:
        keys = [k for k in keys if k in data.vecs]
        if not keys:
            return
        p = head.probs(np.stack([data.vecs[k] for k in keys]))
        for k, pk in zip(keys, p, strict=True):
            self.head_p[id(data.feats[k])] = {c: float(v) for c, v in zip(CLASSES, pk, strict=True)}

    def gated(self, f: TextFeatures, hp: dict[str, float]) -> dict[str, float]:
        """Per refusal kind, the score the gate compares: the head's probability, or (``combine=
        "mean"``) its mean with method 6's E5-only probability of the kind."""
        if OPT8["combine"] == "head" or not hp:
            return hp
        sp = self.sem_probs(f)
        return {k: (hp[k] + sp[k]) / 2 for k in KINDS}

    def rank(self, f: TextFeatures, lang: str, previous: str | None = None) -> tuple[np.ndarray, str | None]:
        proc, kind = super().rank(f, lang, previous)
        if kind is None and self.use_gate:
            hp = self.gated(f, self.head_p.get(id(f), {}))
            for k in OPT8["kinds"]:
                if hp.get(k, 0.0) >= self.gate[k]:
                    return proc, k
        return proc, kind

    def tune8(self, data: Dataset, rows: list[Row]) -> None:
        """Gates on out-of-fold head probabilities of the training questions asked alone."""
        if OPT8["fixed_gate"] is not None:
            self.gate = dict(zip(KINDS, OPT8["fixed_gate"], strict=True))
            return
        alone = [r for r in rows if not r.context and not data.feats[r.lang, r.text].bad]
        oof: dict[int, dict[str, float]] = {}
        for inner in {r.set for r in rows}:
            head = fit_head(data, [r for r in rows if r.set != inner])
            part = [r for r in alone if r.set == inner]
            p = head.probs(np.stack([data.vecs[r.lang, r.text] for r in part]))
            for r, pk in zip(part, p, strict=True):
                oof[id(r)] = self.gated(data.feats[r.lang, r.text],
                                        {c: float(v) for c, v in zip(CLASSES, pk, strict=True)})
        self.use_gate = False
        base = {id(r): self.decide(data.feats[r.lang, r.text], r.lang) for r in alone}
        self.use_gate = True

        def score(g: dict[str, float]) -> float:
            total = 0.0
            for r in alone:
                ans, _ = base[id(r)]
                refused = ans is None or any(oof[id(r)][k] >= x for k, x in g.items())
                if r.kind == "in":
                    total += not refused and ans in r.allowed
                else:
                    w = OPT8["weight_guarded"] if r.kind in GUARDED else OPT8["weight"]
                    total += float(w) * refused
            return total

        g = {k: 1.01 for k in OPT8["kinds"]}
        for _ in range(2):
            for k in OPT8["kinds"]:
                def key(x: float, k: str = k) -> tuple[float, float]:
                    return score({**g, k: x}), x

                g[k] = max(GATE_GRID, key=key)
        self.gate.update(g)


def loso(data: Dataset, method: int, residuals: Residuals,
         named: Named) -> dict[tuple[int, str, str], Counter[str]]:
    per: dict[tuple[int, str, str], Counter[str]] = {}
    for held in DEV_SETS:
        train = [r for r in data.rows if r.set != held]
        model = (Model7 if method == 7 else Model8)(data.targets, residuals, named)
        model.fit(data, train)
        model.tune(data, train)
        model.tune6(data, train)
        model.tune_extra(data, train)
        model.tune7(data, train)
        if isinstance(model, Model8):
            model.tune8(data, train)
            model.set_head(data, fit_head(data, train), sorted(data.feats))
            print(f"  m8 {held}: gates {model.gate}")
        for lang in ("vi", "en"):
            c = tally(model, data, [r for r in data.rows if r.set == held and r.lang == lang])
            per[method, held, lang] = c
            print(f"m{method} {held:7} {lang}: {show(c)}; follow-ups {c['follow/in']}/{c['follow/in/']}",
                  flush=True)
    return per


def curve(data: Dataset, residuals: Residuals, named: Named) -> None:
    """The best any single gate could do, read after the fact (optimistic): every held-out question
    asked alone scored by method 7 and the head fitted without its set; per gate, the refusals method
    7 missed that the gate would add, against the in-scope questions method 7 answers right that any
    kind's gate would refuse."""
    miss, right = [], []
    for held in DEV_SETS:
        train = [r for r in data.rows if r.set != held]
        model = Model8(data.targets, residuals, named)
        model.use_gate = False
        model.fit(data, train)
        model.tune(data, train)
        model.tune6(data, train)
        head = fit_head(data, train)
        for r in data.rows:
            f = data.feats[r.lang, r.text]
            if r.set != held or r.context or f.bad:
                continue
            ans, _ = model.decide(f, r.lang)
            hp = dict(zip(CLASSES, head.probs(data.vecs[r.lang, r.text])[0].tolist(), strict=True))
            score = {k: (hp[k], (hp[k] + model.sem_probs(f)[k]) / 2) for k in KINDS}
            if r.kind == "in" and ans in r.allowed:
                right.append(score)
            elif r.kind in KINDS and ans is not None:
                miss.append((r.kind, score))
    print(f"{len(miss)} refusals missed by method 7, {len(right)} in-scope questions it answers right")
    for i, name in enumerate(("head", "mean of head and E5-only")):
        for t in GATE_GRID[:-1]:
            gained = Counter(k for k, s in miss if s[k][i] >= t)
            lost = sum(any(s[k][i] >= t for k in KINDS) for s in right)
            print(f"{name} >= {t}: +{sum(gained.values())} refused ({dict(gained)}), -{lost} answered")


def write_head(data: Dataset, residuals: Residuals, named: Named, path: Path) -> None:
    """The head fitted on the examples and all dev sets, its gates chosen by the inner
    leave-one-set-out over them (not adopted: the kiosk has no reader for it; see docs/benchmarks.md
    "Method 8, dev figures only")."""
    from knowledge.understand.embedding import fingerprint

    model = Model8(data.targets, residuals, named)
    model.fit(data, data.rows)
    model.tune(data, data.rows)
    model.tune6(data, data.rows)
    model.tune8(data, data.rows)
    head = fit_head(data, data.rows)
    gates = {k: x for k, x in model.gate.items() if x <= 1.0}
    path.write_text(json.dumps({"embedding": fingerprint(), "classes": list(CLASSES),
                                "mean": head.mean.round(6).tolist(), "scale": head.scale.round(6).tolist(),
                                "weights": head.w.round(5).tolist(), "gates": gates}), encoding="utf-8")
    print(f"wrote {path}: gates {gates}")


def main() -> int:
    data: Dataset = pickle.loads(Path(sys.argv[1]).read_bytes())
    if not data.vecs:
        raise SystemExit("no question vectors: run bench/understand_data.py OUT.pkl --add-vectors")
    for arg in sys.argv[2:]:
        key, _, value = arg.partition("=")
        table = OPT8 if key in OPT8 else OPT7 if key in OPT7 else OPT6
        table[key] = eval(value)  # a developer's command line
    print(OPT8)
    residuals = Residuals()
    named = Named(residuals)
    if OPT8["curve"]:
        curve(data, residuals, named)
        return 0
    if OPT8["write"]:
        write_head(data, residuals, named, Path(OPT8["write"]))
        return 0
    methods = [7, 8] if OPT8["m7"] else [8]
    per = {k: v for m in methods for k, v in loso(data, m, residuals, named).items()}
    for m in methods:
        for lang in ("vi", "en"):
            c = sum((v for (mm, _h, lg), v in per.items() if mm == m and lg == lang), Counter())
            print(f"m{m} LOSO {lang}: {show(c)}; follow-ups {c['follow/in']}/{c['follow/in/']}; "
                  f"after their procedure: personal {c['conv/personal_data']}/{c['conv/personal_data/']}, "
                  f"harmful {c['conv/harmful']}/{c['conv/harmful/']}; misses "
                  f"{ {k[5:]: v for k, v in c.items() if k.startswith('miss:')} }")
    print(f"methods {' · '.join(map(str, methods))}, leave one set out:\n" + markdown(per, methods))
    return 0


if __name__ == "__main__":
    sys.exit(main())
