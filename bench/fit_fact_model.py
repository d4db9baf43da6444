"""Fit fact ranking methods 3 and 4 (``knowledge.answer.learned``), compared leave one set out.

Data: fact-question sets (JSONL ``{"id", "lang", "text", "expect", "must_any"}``), each a group:
every figure printed as held-out comes from weights fitted on the OTHER sets only. For a question
the units of its expected record are scored (offline training; at run time retrieval chooses the
record). Positives: the units whose spoken text holds a ``must_any`` string; when none does, the
units whose written text holds one (``bench_facts.written_text``: a say form that rewords the fact,
an English unit of a fact whose Vietnamese text holds it, for English questions written with
Vietnamese ``must_any``). Questions with no positive unit are left out of fitting.

Model: score = dense weights · ``rank.FEATURES`` + Σ W[question term, unit descriptor]; softmax over
the record's units; loss −log Σ positives' shares + L2 (pairs ``--l2``, dense 0.001); full-batch Adam
in numpy. Method 1 is the same fit with the dense features only; method 4 (``--extra qk en
--dense-en``) adds the question's kinds, the English copies of the shared terms and English dense
weights of their own.

    .venv/bin/python bench/fit_fact_model.py --extra qk en --dense-en             # LOSO, offline
    .venv/bin/python bench/fit_fact_model.py --extra qk en --dense-en --e2e 0.03  # LOSO via Knowledge.ask
    .venv/bin/python bench/fit_fact_model.py --extra qk en --dense-en --write 0.03  # fit on all, write
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from _common import REPO  # the repository on sys.path, engines quiet

from bench.bench_facts import RECORDS, fact_spoken, load_rows, written_text

SETS = {"facts_dev": REPO / "bench/eval/facts_dev.jsonl", "facts1": REPO / "bench/blind/facts.jsonl",
        "facts2": REPO / "bench/blind_facts2/facts.jsonl", "facts3": REPO / "bench/blind_facts3/facts.jsonl",
        "facts4": REPO / "bench/blind_facts4/facts.jsonl",
        "facts5": REPO / "bench/blind_facts5/facts.jsonl", "facts6": REPO / "bench/blind_facts6/facts.jsonl",
        "facts7": REPO / "bench/blind_facts7/facts.jsonl",
        "facts8": REPO / "bench/blind_facts8/facts.jsonl"}
MIN_TERMS = [2]  # a question term enters the model when at least this many questions have it (``--min-term``)


def build(use_sem: bool) -> list[dict[str, Any]]:
    from knowledge.answer.facts import english_units, fact_units
    from knowledge.answer.learned import question_terms, unit_descriptors
    from knowledge.answer.rank import FEATURES, asks_en, unit_features
    from knowledge.answer.select import Ask, asks, name_words
    from knowledge.answer.semantic import E5FactScorer
    from knowledge.bundle.schema import load_records_dir
    from knowledge.understand.decide import detect_aspect
    from knowledge.understand.english import detect_aspect_en

    records = {r.id: r for r in load_records_dir(RECORDS)}
    scorer = E5FactScorer() if use_sem else None
    data = []
    for group, path in SETS.items():
        for row in load_rows(path):
            rec = records.get(row["expect"])
            if rec is None:
                continue
            lang, q = row.get("lang", "vi"), row["text"]
            units = english_units(rec) if lang == "en" else fact_units(rec)
            if not units:
                continue
            ask_list = asks(q, rec.title) if lang == "vi" else asks_en(q)
            exclude = name_words(rec, units) if lang == "vi" else frozenset()
            aspect = detect_aspect_en(q) if lang == "en" else detect_aspect(q)
            cos = scorer.cosines(q, units) if scorer is not None else None
            feats = unit_features(q, units, ask_list, aspect=aspect, cosines=cos, exclude=exclude,
                                  language=lang)
            must = row["must_any"]
            spoken = np.array([fact_spoken(must, u.spoken) for u in units], dtype=bool)
            written = np.array([fact_spoken(must, written_text(rec, u.id)) for u in units], dtype=bool)
            data.append({
                "id": row["id"], "group": group, "lang": lang,
                "x": np.array([[f[k] for k in FEATURES] for f in feats], dtype=float),
                "y": spoken if spoken.any() else written, "spoken": spoken, "written": written | spoken,
                "terms": sorted(question_terms(q, language=lang, exclude=exclude,
                                               asks=[a.value for a in ask_list if a is not Ask.GENERAL],
                                               aspect=aspect.value)),
                "descs": [sorted(d) for d in unit_descriptors(units)],
                "fact": [u.fact_id for u in units], "fields": [u.field for u in units],
                "sourced": [u.status.value != "unsourced" for u in units],
                "nums": [u.spoken for u in units]})
    return data


class Packed:
    """Questions as arrays: dense X (units × F), U (units × descriptors), T (questions × terms)."""

    def __init__(self, items: list[dict[str, Any]], terms: list[str], descs: list[str]) -> None:
        ti = {t: i for i, t in enumerate(terms)}
        di = {d: i for i, d in enumerate(descs)}
        self.items = items
        self.x = np.concatenate([it["x"] for it in items])
        if DENSE_EN[0]:
            en = np.concatenate([np.full(len(it["x"]), it["lang"] == "en", dtype=float) for it in items])
            self.x = np.concatenate([self.x, self.x * en[:, None]], axis=1)
        self.n_descs = len(descs)
        ur: list[int] = []
        ud: list[int] = []
        self.n_terms = len(terms)
        tq: list[int] = []  # the question terms and the unit descriptors as (row, column) index pairs
        tt: list[int] = []
        self.y = np.concatenate([it["y"] for it in items])
        sizes = [len(it["x"]) for it in items]
        self.starts = np.cumsum([0, *sizes[:-1]])
        self.seg = np.repeat(np.arange(len(items)), sizes)
        row = 0
        for qi, it in enumerate(items):
            for t in it["terms"]:
                if t in ti:
                    tq.append(qi)
                    tt.append(ti[t])
            for ds in it["descs"]:
                for d in ds:
                    if d in di:
                        ur.append(row)
                        ud.append(di[d])
                row += 1

        self.t = np.zeros((len(items), len(terms)))
        self.t[tq, tt] = 1.0
        self.u = np.zeros((len(self.x), len(descs)))
        self.u[ur, ud] = 1.0

    def scores(self, wd: np.ndarray, w: np.ndarray) -> np.ndarray:
        a = self.t @ w  # questions × descriptors
        return np.asarray(self.x @ wd + (self.u * a[self.seg]).sum(1))


def _softmax(p: Packed, s: np.ndarray) -> np.ndarray:
    m = np.maximum.reduceat(s, p.starts)
    e = np.exp(s - m[p.seg])
    return np.asarray(e / np.add.reduceat(e, p.starts)[p.seg])


DROP: set[str] = set()  # dense features left out (``--drop``): their weight stays 0


L2_DENSE = [0.001]  # the dense weights' L2 (``--l2-dense``)


def adam_step(params: tuple[np.ndarray, ...], grads: list[np.ndarray] | tuple[np.ndarray, ...],
              state: list[tuple[np.ndarray, np.ndarray]], step: int, lr: float) -> None:
    """One Adam update of ``params`` in place (``state``: each parameter's moment estimates)."""
    for param, g, (m, v) in zip(params, grads, state, strict=True):
        m *= 0.9
        m += 0.1 * g
        v *= 0.999
        v += 0.001 * g * g
        param -= lr * (m / (1 - 0.9 ** step)) / (np.sqrt(v / (1 - 0.999 ** step)) + 1e-8)


def fit(p: Packed, *, l2: float, pairs: bool = True, steps: int = 500, lr: float = 0.05,
        l2_dense: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    from knowledge.answer.rank import FEATURES

    say = FEATURES.index("say")
    drop = [FEATURES.index(f) for f in DROP]
    drop += [i + len(FEATURES) for i in drop] if DENSE_EN[0] else []
    l2_dense = L2_DENSE[0] if l2_dense is None else l2_dense
    nq = len(p.items)
    wd, w = np.zeros(p.x.shape[1]), np.zeros((p.n_terms, p.n_descs))
    state = [(np.zeros_like(wd), np.zeros_like(wd)), (np.zeros_like(w), np.zeros_like(w))]
    for step in range(1, steps + 1):
        pr = _softmax(p, p.scores(wd, w))
        pos = np.add.reduceat(pr * p.y, p.starts)
        q = pr * p.y / np.maximum(pos[p.seg], 1e-12)
        r = pr - q
        grads = [p.x.T @ r / nq + 2 * l2_dense * wd,
                 (p.t.T @ np.add.reduceat(p.u * r[:, None], p.starts)) / nq + 2 * l2 * w if pairs
                 else np.zeros_like(w)]
        adam_step((wd, w), grads, state, step, lr)
        wd[say] = max(wd[say], 0.0)
        wd[drop] = 0.0
    return wd, w


# Method 4's shared question terms (``--extra``): "qk" the kinds of value the question itself states,
# "en" the English copies of the shared terms; method 3 uses neither. ``--dense-en``: English questions
# get dense weights of their own on top of the shared ones.
EXTRA: set[str] = set()
DENSE_EN = [False]


def _term_on(t: str) -> bool:
    if t.startswith("en/"):
        return "en" in EXTRA and _term_on(t[3:])
    return not t.startswith("qk:") or "qk" in EXTRA


def vocab(items: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    tc = Counter(t for it in items for t in set(it["terms"]) if _term_on(t))
    terms = sorted(t for t, c in tc.items() if c >= MIN_TERMS[0])
    descs = sorted({d for it in items for ds in it["descs"] for d in ds})
    return terms, descs


def chosen(it: dict[str, Any], s: np.ndarray, keep: float, max_facts: int = 3) -> list[int]:
    """``rank.choose`` on arrays: the best sourced unit, then other facts within ``keep`` of its share."""
    from knowledge.bundle.schema import numbers_in

    p = np.exp(s - s.max())
    p /= p.sum()
    out: list[int] = []
    facts: set[str] = set()
    said: set[str] = set()
    for i in sorted(range(len(s)), key=lambda j: (-s[j], j)):
        if not it["sourced"][i] or it["fact"][i] in facts:
            continue
        if out and (p[i] < keep * p[out[0]] or len(out) >= max_facts):
            break
        nums = numbers_in(it["nums"][i])
        if out and nums and nums <= said:
            continue
        said |= nums
        out.append(i)
        facts.add(it["fact"][i])
    return out


def evaluate(test: list[dict[str, Any]], terms: list[str], descs: list[str], wd: np.ndarray, w: np.ndarray,
             keep: float) -> dict[str, Any]:
    p = Packed(test, terms, descs)
    s = p.scores(wd, w)
    out: dict[str, Any] = {}
    for lang in ("vi", "en"):
        idx = [i for i, it in enumerate(test) if it["lang"] == lang]
        if not idx:
            continue
        hits = Counter[str]()
        for i in idx:
            it = test[i]
            si = s[p.starts[i]:p.starts[i] + len(it["x"])]
            c = chosen(it, si, keep)
            hits["spoken"] += any(it["spoken"][j] for j in c)
            hits["chosen"] += any(it["written"][j] for j in c)
            hits["top1"] += bool(c) and bool(it["written"][c[0]])
            hits["facts"] += len(c)
        out[lang] = {"n": len(idx), **{k: hits[k] for k in ("spoken", "chosen", "top1")},
                     "facts_per_answer": round(hits["facts"] / len(idx), 2)}
    return out


_CACHE_KEYS: dict[int, str] = {}  # id of a feature data list (``load``) -> its cache name


def fold_fit(data: list[dict[str, Any]], group: str | None, *, l2: float,
             pairs: bool = True) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    """(terms, descriptors, dense weights, pair weights) fitted on every set but ``group`` (None: all),
    cached on disk per data version and configuration (a fold takes minutes on a busy machine)."""
    name = _CACHE_KEYS.get(id(data), "")
    key = (f"{name}.{group}.{'+'.join(sorted(EXTRA)) or '-'}.{int(DENSE_EN[0])}.{l2}.{int(pairs)}"
           f".{MIN_TERMS[0]}.{L2_DENSE[0]}.{'+'.join(sorted(DROP)) or '-'}")
    path = Path(tempfile.gettempdir()) / "kiosk-fact-model-folds" / f"{key}.pkl"
    if name and path.exists():
        return pickle.loads(path.read_bytes())  # type: ignore[no-any-return]
    train = [it for it in data if it["group"] != group and it["y"].any()]
    terms, descs = vocab(train)
    out = (terms, descs, *fit(Packed(train, terms, descs), l2=l2, pairs=pairs))
    if name:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pickle.dumps(out))
    return out


def loso(data: list[dict[str, Any]], *, l2: float, pairs: bool, keep: float) -> dict[str, Any]:
    out = {}
    for group in SETS:
        test = [it for it in data if it["group"] == group]
        terms, descs, wd, w = fold_fit(data, group, l2=l2, pairs=pairs)
        out[group] = evaluate(test, terms, descs, wd, w, keep)
    return out


def to_model(terms: list[str], descs: list[str], wd: np.ndarray, w: np.ndarray) -> dict[str, Any]:
    from knowledge.answer.rank import FEATURES

    pairs = {f"{t}|{d}": round(float(w[i, j]), 3) for i, t in enumerate(terms) for j, d in enumerate(descs)
             if abs(w[i, j]) >= 0.002}
    n = len(FEATURES)
    out: dict[str, Any] = {"dense": {k: round(float(v), 3) for k, v in zip(FEATURES, wd[:n], strict=True)},
                           "pairs": pairs}
    if len(wd) > n:
        out["dense_en"] = {k: round(float(v), 3) for k, v in zip(FEATURES, wd[n:], strict=True)}
    return out


def load(cache: Path, use_sem: bool) -> list[dict[str, Any]]:
    """The feature data, cached per version of the code that computes it and of the sets."""
    import hashlib

    h = hashlib.sha256()
    for f in ("knowledge/answer/kinds.py", "knowledge/answer/learned.py", "knowledge/answer/rank.py",
              "knowledge/answer/select.py", "knowledge/answer/facts.py", *map(str, SETS.values())):
        h.update((REPO / f).read_bytes())
    path = cache.with_suffix(f".{'semantic' if use_sem else 'lexical'}.{h.hexdigest()[:10]}.pkl")
    if path.exists():
        data = list(pickle.loads(path.read_bytes()))
    else:
        data = build(use_sem)
        path.write_bytes(pickle.dumps(data))
    _CACHE_KEYS[id(data)] = path.stem
    return data


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--l2", type=float, nargs="*", default=[0.001, 0.003, 0.01, 0.03])
    ap.add_argument("--keep", type=float, default=0.3)
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "kiosk-fact-model")
    ap.add_argument("--write", type=float, metavar="L2", help="fit on all sets with this L2, write the model")
    ap.add_argument("--e2e", type=float, metavar="L2", help="LOSO through Knowledge.ask, methods 3 and 4")
    ap.add_argument("--l2-dense", type=float, default=0.001, help="L2 of the dense weights")
    ap.add_argument("--min-term", type=int, default=2, help="questions a term needs to enter the model")
    ap.add_argument("--drop", nargs="*", default=[], help="dense features to leave out")
    ap.add_argument("--extra", nargs="*", default=[], choices=["qk", "en"],
                    help="method 4's shared question terms (none: method 3)")
    ap.add_argument("--dense-en", action="store_true", help="English dense weights of their own (method 4)")
    args = ap.parse_args(argv)
    EXTRA.update(args.extra)
    DENSE_EN[0] = args.dense_en
    DROP.update(args.drop)
    MIN_TERMS[0] = args.min_term
    L2_DENSE[0] = args.l2_dense
    data = {name: load(args.cache, name == "semantic") for name in ("semantic", "lexical")}
    if args.write is not None:
        from knowledge.answer.learned import MODEL_PATH

        model = {}
        for name, items in data.items():
            train = [it for it in items if it["y"].any()]
            terms, descs = vocab(train)
            model[name] = to_model(terms, descs, *fit(Packed(train, terms, descs), l2=args.write))
        model["meta"] = {"l2": args.write, "sets": list(SETS), "questions": len(data["semantic"]),
                         "extra": sorted(EXTRA), "dense_en": DENSE_EN[0]}
        MODEL_PATH.write_text(json.dumps(model, ensure_ascii=False, sort_keys=True, indent=0) + "\n",
                              encoding="utf-8")
        print(f"wrote {MODEL_PATH}: {len(model['semantic']['pairs'])} + "
              f"{len(model['lexical']['pairs'])} pairs")
        return 0
    if args.e2e is not None:
        from bench.fact_model_e2e import end_to_end

        l2 = args.e2e

        def fold_models(group: str, config: tuple[frozenset[str], bool]) -> dict[str, dict[str, Any]]:
            EXTRA.clear()
            EXTRA.update(config[0])
            DENSE_EN[0] = config[1]
            return {name: to_model(*fold_fit(items, group, l2=l2)) for name, items in data.items()}

        configs = {"method 3": (frozenset[str](), False), "method 4": (frozenset(args.extra), args.dense_en)}
        print(json.dumps(end_to_end(fold_models, configs), indent=1))
        return 0
    for name, items in data.items():
        dense_only = loso(items, l2=0.0, pairs=False, keep=args.keep)
        print(f"[{name}] method 1 (dense only): {json.dumps(dense_only)}")
        for l2 in args.l2:
            print(f"[{name}] method 2 l2={l2}: {json.dumps(loso(items, l2=l2, pairs=True, keep=args.keep))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
