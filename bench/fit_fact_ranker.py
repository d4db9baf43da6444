"""Fit the fact ranker's weights (``knowledge.answer.rank``) and report k-fold cross-validated figures.

Data: fact-question JSONL files (``{"id", "lang", "text", "expect", "must_any"}``). For each question
the units of the EXPECTED record are scored (this is training, offline: at run time the retrieval
chooses the record and the answerer never sees the label); a unit is a positive when what it speaks
contains one of ``must_any`` (the bench's own comparison, ``bench_facts.fact_spoken``). Questions
whose record has no such unit are reported and left out of fitting.

Model: score = w · features; softmax over the record's units; loss = −log(sum of the positives'
shares) + L2. Plain numpy gradient descent. k-fold CV over questions (seeded): every figure printed
as "cv" is on questions the weights were not fitted on. ``--write`` prints the weights fitted on all
questions, to paste into ``rank.py``.

    .venv/bin/python bench/fit_fact_ranker.py bench/eval/facts_dev.jsonl bench/blind/facts.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path
from typing import Any

import _common  # noqa: F401  (the repository on sys.path, engines quiet)
import numpy as np

from bench.bench_facts import RECORDS, fact_spoken, load_rows


def build(paths: list[Path], use_sem: bool = True) -> list[dict[str, Any]]:
    from knowledge.answer.facts import english_units, fact_units
    from knowledge.answer.rank import FEATURES, asks_en, unit_features
    from knowledge.answer.select import asks, name_words
    from knowledge.answer.semantic import E5FactScorer
    from knowledge.bundle.schema import load_records_dir
    from knowledge.understand.decide import detect_aspect
    from knowledge.understand.english import detect_aspect_en

    records = {r.id: r for r in load_records_dir(RECORDS)}
    scorer = E5FactScorer() if use_sem else None
    data = []
    for path in paths:
        for row in load_rows(path):
            rec = records.get(row["expect"])
            if rec is None:
                continue
            lang = row.get("lang", "vi")
            q = row["text"]
            units = english_units(rec) if lang == "en" else fact_units(rec)
            if not units:
                continue
            ask_list = asks(q, rec.title) if lang == "vi" else asks_en(q)
            aspect = detect_aspect_en(q) if lang == "en" else detect_aspect(q)
            cos = scorer.cosines(q, units) if scorer is not None else None
            feats = unit_features(q, units, ask_list, aspect=aspect, cosines=cos,
                                  exclude=name_words(rec, units) if lang == "vi" else frozenset(),
                                  language=lang)
            x = np.array([[f[k] for k in FEATURES] for f in feats], dtype=float)
            y = np.array([fact_spoken(row["must_any"], u.spoken) for u in units], dtype=bool)
            data.append({"id": row["id"], "lang": lang, "x": x, "y": y,
                         "fact": [u.fact_id for u in units], "sourced": [u.status.value != "unsourced"
                                                                        for u in units],
                         "say": [u.spoken for u in units], "nums": [u.spoken for u in units]})
    return data


def fit(items: list[dict[str, Any]], l2: float = 0.001, steps: int = 600, lr: float = 0.1) -> np.ndarray:
    """Weights minimising the listwise loss. The say-form weight is kept >= 0: the bench's
    expected strings often quote the written text, which a curated spoken form rewords for the
    voice ("Ủy ban nhân dân" for "UBND"); the fit must not learn to prefer raw text for that."""
    from knowledge.answer.rank import FEATURES

    say = FEATURES.index("say")
    k = items[0]["x"].shape[1]
    w = np.zeros(k)
    m = np.zeros(k)
    v = np.zeros(k)
    train = [it for it in items if it["y"].any()]
    for t in range(1, steps + 1):
        g = 2 * l2 * w
        for it in train:
            s = it["x"] @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            pos = p[it["y"]].sum()
            # d(-log sum_pos p)/dw = E_p[x] - E_{p|pos}[x]
            g += (p @ it["x"] - (p[it["y"]] @ it["x"][it["y"]]) / max(pos, 1e-12)) / len(train)
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        w -= lr * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
        w[say] = max(w[say], 0.0)
    return w


def chosen(it: dict[str, Any], w: np.ndarray, keep: float, max_facts: int = 3) -> list[int]:
    s = it["x"] @ w
    p = np.exp(s - s.max())
    p /= p.sum()
    out: list[int] = []
    facts: set[str] = set()
    for i in sorted(range(len(s)), key=lambda j: (-s[j], j)):
        if not it["sourced"][i] or it["fact"][i] in facts:
            continue
        if out and (p[i] < keep * p[out[0]] or len(out) >= max_facts):
            break
        out.append(i)
        facts.add(it["fact"][i])
    return out


def evaluate(items: list[dict[str, Any]], w: np.ndarray, keep: float) -> dict[str, float]:
    n = len(items)
    top1 = sum(bool(it["y"][chosen(it, w, 0.0, 1)[0]]) if chosen(it, w, 0.0, 1) else 0 for it in items)
    hits = nfacts = 0
    for it in items:
        c = chosen(it, w, keep)
        hits += any(it["y"][i] for i in c)
        nfacts += len(c)
    return {"n": n, "top1": top1 / n, "spoken": hits / n, "facts_per_answer": nfacts / n}


def cross_validate(items: list[dict[str, Any]], keeps: list[float], k: int = 5, seed: int = 16,
                   l2: float = 0.001) -> dict[float, dict[str, float]]:
    """Per ``keep``: the figures on held-out folds (weights fitted on the other folds)."""
    idx = list(range(len(items)))
    random.Random(seed).shuffle(idx)
    folds = [idx[i::k] for i in range(k)]
    tot = {keep: {"top1": 0.0, "spoken": 0.0, "facts_per_answer": 0.0} for keep in keeps}
    for f in folds:
        held = set(f)
        test = [items[i] for i in f]
        w = fit([items[i] for i in idx if i not in held], l2=l2)
        for keep in keeps:
            r = evaluate(test, w, keep)
            for key in tot[keep]:
                tot[keep][key] += r[key] * len(test)
    return {keep: {key: val / len(items) for key, val in t.items()} | {"n": len(items)}
            for keep, t in tot.items()}


def end_to_end_cv(paths: list[Path], sem: list[dict[str, Any]], lex: list[dict[str, Any]], k: int = 5,
                  seed: int = 16, l2: float = 0.001) -> dict[str, Any]:
    """The bench's own measure (``Knowledge.ask``: retrieval chooses the record) with weights fitted on
    the other folds: every question is answered by weights that never saw it."""
    import tempfile

    import knowledge.answer.rank as rank
    from bench.bench_facts import run_questions
    from bench.llm_pipeline import kiosk_bundle
    from kiosk_app.core.settings import Settings, UiSettings
    from knowledge.answer import EvidenceAnswerer
    from knowledge.answer.rank import FEATURES
    from knowledge.answer.semantic import E5FactScorer
    from knowledge.bundle.schema import load_records_dir
    from knowledge.service import Knowledge

    rows = [r for path in paths for r in load_rows(path)]
    ids = [r["id"] for r in rows]
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    folds = [order[i::k] for i in range(k)]
    by_id = {it["id"]: i for i, it in enumerate(sem)}
    records = load_records_dir(RECORDS)
    work = Path(tempfile.gettempdir()) / "kiosk-fit-facts"
    bundle = kiosk_bundle(work / "bundle", records)
    settings = Settings(data_dir=work / "data", ui=UiSettings(fullscreen=False))
    scorer = E5FactScorer()
    results: list[dict[str, Any]] = []
    saved = (dict(rank.WEIGHTS), dict(rank.WEIGHTS_LEXICAL))
    with Knowledge.open(bundle, settings, answerer=EvidenceAnswerer(semantic=scorer)) as kn:
        scorer.wait()
        try:
            for f in folds:
                held = {ids[i] for i in f}
                train = [i for j, i in by_id.items() if j not in held]
                ws = fit([sem[i] for i in train if sem[i]["y"].any()], l2=l2)
                wl = fit([lex[i] for i in train if lex[i]["y"].any()], l2=l2)
                rank.WEIGHTS.update({name: float(v) for name, v in zip(FEATURES, ws, strict=True)})
                rank.WEIGHTS_LEXICAL.update({name: float(v) for name, v in zip(FEATURES, wl, strict=True)})
                results += run_questions(kn, [rows[i] for i in f], lambda _m: None)
        finally:
            rank.WEIGHTS.update(saved[0])
            rank.WEIGHTS_LEXICAL.update(saved[1])
    out: dict[str, Any] = {}
    for path in paths:
        mine = {r["id"] for r in load_rows(path)}
        res = [r for r in results if r["id"] in mine]
        right = [r for r in res if r["right"]]
        ms = sorted(r["answer_ms"] for r in res if r["answer_ms"] == r["answer_ms"]) or [float("nan")]
        out[path.name] = {"questions": len(res), "fact_spoken": sum(r["spoken_ok"] for r in res) / len(res),
                          "right_procedure": len(right) / len(res),
                          "fact_spoken_when_right": sum(r["spoken_ok"] for r in right) / max(1, len(right)),
                          "answer_ms_p50": ms[len(ms) // 2], "answer_ms_p95": ms[int(0.95 * (len(ms) - 1))]}
    out["misses"] = [(r["id"], r["right"], r["facts"]) for r in results if not r["spoken_ok"]]
    return out


def main(argv: list[str]) -> int:
    from knowledge.answer.rank import FEATURES

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", type=Path, nargs="+")
    ap.add_argument("--keep", type=float, nargs="*", default=[1.01, 0.5, 0.3, 0.2])
    ap.add_argument("--l2", type=float, default=0.001)
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--cache", type=Path, help="pickle of the feature data (re-used when present)")
    ap.add_argument("--e2e", action="store_true", help="also the bench measure with fold-fitted weights")
    args = ap.parse_args(argv)
    import pickle

    out: dict[str, Any] = {}
    for use_sem in (True, False):
        name = "semantic" if use_sem else "lexical"
        cache = args.cache.with_suffix(f".{name}.pkl") if args.cache else None
        if cache is not None and cache.exists():
            data = pickle.loads(cache.read_bytes())
        else:
            data = build(args.files, use_sem)
            if cache is not None:
                cache.write_bytes(pickle.dumps(data))
        answerable = [it for it in data if it["y"].any()]
        print(f"[{name}] questions {len(data)}, with an answering unit in the expected record "
              f"{len(answerable)}; without: {[it['id'] for it in data if not it['y'].any()]}")
        res: dict[str, Any] = {}
        for keep, cv in cross_validate(answerable, args.keep, k=args.folds, l2=args.l2).items():
            res[f"keep={keep}"] = cv
            print(f"  cv keep={keep}: top1 {cv['top1']:.3f} spoken {cv['spoken']:.3f} "
                  f"facts/answer {cv['facts_per_answer']:.2f}")
        w = fit(answerable, l2=args.l2)
        weights = {k: round(float(v), 3) for k, v in zip(FEATURES, w, strict=True)}
        print(f"  weights fitted on all: {json.dumps(weights)}")
        res["weights"] = weights
        out[name] = res
        out[f"data_{name}"] = data
    if args.e2e:
        e2e = end_to_end_cv(args.files, out["data_semantic"], out["data_lexical"], k=args.folds, l2=args.l2)
        print(json.dumps({k: v for k, v in e2e.items() if k != "misses"}, indent=1))
        out["e2e"] = e2e
    for name in ("semantic", "lexical"):
        out.pop(f"data_{name}")
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
