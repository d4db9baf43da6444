"""Fit fact ranking method 6 (``knowledge.answer.asked``), compared leave one set out with method 4's fit.

Data: the fact-question sets of ``fit_fact_model.SETS`` (all spent), their features as
``fit_fact_model`` builds them, and each question's E5 query vector (the kiosk's fact scorer model).
The asked-kind model's labels are the fields and value kinds of each question's positive units (the
units that speak one of its ``must_any`` strings). Two linear models over the E5 vector: a softmax
over fields and a sigmoid per value kind, L2 on standardised inputs, Adam in numpy.

Leave one set out, nested: for a held-out set the asked-kind model is fitted on the other sets; the
ranker's training rows get their ``ask_field`` / ``ask_kinds`` from an asked-kind model fitted
without their own set too (so the ranker learns how much to trust an out-of-sample reading), then
the ranker (method 4's dense and pair weights, L2 0.03) is fitted on the other sets. Reported per
held-out set and language: the asked fact spoken, with and without the two features.

    .venv/bin/python bench/fit_asked.py                 # LOSO, method 4 refit vs method 6
    .venv/bin/python bench/fit_asked.py --write         # fit on all sets, write both model files

``--write`` refits the semantic ranker only; the wording-only ranker (used when the wording alone is
sure, or without E5) keeps method 4's fit, so the change is the one measured here. It is refused
once method 7's ``match_model.json`` ships: ``bench/fit_adapt.py --write`` writes all three files.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import tempfile
from pathlib import Path
from typing import Any

import _common  # noqa: F401  (the repository on sys.path, engines quiet)
import fit_fact_model as F
import numpy as np

from bench.bench_facts import load_rows
from knowledge.answer.match import load_match

L2_RANKER = 0.03


def query_vectors(cache: Path) -> dict[str, np.ndarray]:
    """Each set question's E5 query vector (as ``E5FactScorer.question_vector``), cached per set texts."""
    import hashlib

    rows = [r for p in F.SETS.values() for r in load_rows(p)]
    key = hashlib.sha256(json.dumps([[r["id"], r["text"]] for r in rows]).encode()).hexdigest()[:10]
    path = cache.with_suffix(f".qvec.{key}.pkl")
    if path.exists():
        return dict(pickle.loads(path.read_bytes()))
    from knowledge.answer.semantic import E5FactScorer

    scorer = E5FactScorer(num_threads=2)
    out = {r["id"]: np.asarray(scorer.question_vector(r["text"])) for r in rows}
    path.write_bytes(pickle.dumps(out))
    return out


def load_data(cache: Path) -> tuple[list[dict[str, Any]], dict[str, np.ndarray]]:
    """The fact sets' feature data in method 4's configuration, and each question's E5 query vector."""
    F.EXTRA.update(["qk", "en"])
    F.DENSE_EN[0] = True
    return F.load(cache, True), query_vectors(cache)


def _adam(x: np.ndarray, y: np.ndarray, *, softmax: bool, l2: float, steps: int = 300,
          lr: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Weights and bias on the raw vector (the standardisation folded in)."""
    mu, sd = x.mean(0), x.std(0) + 1e-6
    xs = (x - mu) / sd
    w, b = np.zeros((x.shape[1], y.shape[1])), np.zeros(y.shape[1])
    state = [(np.zeros_like(w), np.zeros_like(w)), (np.zeros_like(b), np.zeros_like(b))]
    for t in range(1, steps + 1):
        z = xs @ w + b
        if softmax:
            p = np.exp(z - z.max(1, keepdims=True))
            p /= p.sum(1, keepdims=True)
        else:
            p = 1.0 / (1.0 + np.exp(-z))
        g = p - y
        F.adam_step((w, b), (xs.T @ g / len(x) + 2 * l2 * w, g.mean(0)), state, t, lr)
    return w / sd[:, None], b - (mu / sd) @ w


def _kinds(it: dict[str, Any]) -> list[frozenset[str]]:
    from knowledge.answer.asked import value_kinds

    return [value_kinds(ds) for ds in it["descs"]]


def fit_asked(items: list[dict[str, Any]], qvec: dict[str, np.ndarray], l2: float) -> Any:
    from knowledge.answer.asked import AskedModel

    fields = sorted({f for it in items for f in it["fields"]})
    kinds = sorted({k for it in items for ks in _kinds(it) for k in ks})
    fi, ki = {f: i for i, f in enumerate(fields)}, {k: i for i, k in enumerate(kinds)}
    xs, yf, yk = [], [], []
    for it in items:
        pos = np.flatnonzero(it["y"])
        if not len(pos):
            continue
        f, k = np.zeros(len(fields)), np.zeros(len(kinds))
        unit_kinds = _kinds(it)
        for j in pos:
            f[fi[it["fields"][j]]] += 1
            k[[ki[x] for x in unit_kinds[j]]] = 1
        xs.append(qvec[it["id"]])
        yf.append(f / f.sum())
        yk.append(k)
    x = np.array(xs)
    fw, fb = _adam(x, np.array(yf), softmax=True, l2=l2)
    kw, kb = _adam(x, np.array(yk), softmax=False, l2=l2)
    return AskedModel(tuple(fields), fw, fb, tuple(kinds), kw, kb)


def with_asked(it: dict[str, Any], model: Any, qvec: dict[str, np.ndarray]) -> dict[str, Any]:
    """The item with its ``ask_field`` / ``ask_kinds`` columns read by ``model`` (None: zeros)."""
    from knowledge.answer.rank import FEATURES

    x = it["x"].copy()
    cols = [FEATURES.index("ask_field"), FEATURES.index("ask_kinds")]
    x[:, cols] = model.read(qvec[it["id"]]).values(it["fields"], _kinds(it)) if model is not None else 0.0
    return {**it, "x": x}


def ranker_rows(data: list[dict[str, Any]], groups: list[str], qvec: dict[str, np.ndarray], l2: float,
                asked: bool) -> list[dict[str, Any]]:
    """Training rows of ``groups``, each set's asked-kind features from a model fitted without it
    (and without any set outside ``groups``)."""
    rows = []
    for h in groups:
        model = fit_asked([it for it in data if it["group"] in groups and it["group"] != h], qvec, l2) \
            if asked else None
        rows += [with_asked(it, model, qvec) for it in data if it["group"] == h and it["y"].any()]
    return rows


def loso(data: list[dict[str, Any]], qvec: dict[str, np.ndarray], l2: float) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for g in F.SETS:
        others = [h for h in F.SETS if h != g]
        for name, asked in (("method 4 refit", False), ("method 6", True)):
            train = ranker_rows(data, others, qvec, l2, asked)
            model = fit_asked([it for it in data if it["group"] != g], qvec, l2) if asked else None
            test = [with_asked(it, model, qvec) for it in data if it["group"] == g]
            terms, descs = F.vocab(train)
            wd, w = F.fit(F.Packed(train, terms, descs), l2=L2_RANKER)
            r = F.evaluate(test, terms, descs, wd, w, 0.3)
            out.setdefault(g, {})[name] = {lang: f"{v['spoken']}/{v['n']}" for lang, v in r.items()}
        print(g, json.dumps(out[g]), flush=True)
    return out


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--l2", type=float, default=0.1, help="L2 of the asked-kind models")
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "kiosk-fact-model")
    ap.add_argument("--write", action="store_true",
                    help="fit on all sets, write asked_model.json and fact_model.json")
    args = ap.parse_args(argv)
    data, qvec = load_data(args.cache)
    if not args.write:
        loso(data, qvec, args.l2)
        return 0
    if load_match() is not None:  # method 7's fit writes this file and the ranker with its feature
        print("the kiosk ranks with fact method 7: write the models with bench/fit_adapt.py --write")
        return 2
    from knowledge.answer.asked import MODEL_PATH as ASKED_PATH
    from knowledge.answer.learned import MODEL_PATH

    model = fit_asked(data, qvec, args.l2)
    meta = {"l2": args.l2, "sets": list(F.SETS)}
    ASKED_PATH.write_text(json.dumps({**model.to_json(), "meta": meta}) + "\n", encoding="utf-8")
    fact_model = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    train = ranker_rows(data, list(F.SETS), qvec, args.l2, True)
    terms, descs = F.vocab(train)
    fact_model["semantic"] = F.to_model(terms, descs, *F.fit(F.Packed(train, terms, descs), l2=L2_RANKER))
    for part in ("dense", "dense_en"):  # the wording-only model (method 4's fit) has no E5 vector to read
        fact_model["lexical"][part].update(ask_field=0.0, ask_kinds=0.0)
    fact_model["meta"] = {"l2": L2_RANKER, "sets": list(F.SETS), "questions": len(data),
                          "extra": ["en", "qk"], "dense_en": True, "asked": {"l2": args.l2},
                          "lexical": fact_model["meta"].get("lexical", {"sets": fact_model["meta"]["sets"]})}
    MODEL_PATH.write_text(json.dumps(fact_model, ensure_ascii=False, sort_keys=True, indent=0) + "\n",
                          encoding="utf-8")
    print(f"wrote {ASKED_PATH} ({len(model.fields)} fields, {len(model.kinds)} kinds) and {MODEL_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
