"""Fit fact ranking method 7 (``knowledge.answer.adapt``), compared leave one set out with method 6.

Method 6 reads, from the question's E5 vector alone, which field and which kinds of value it asks
for. Method 7 adds a learned match between the question and each unit: a low-rank bilinear score
``(q U) · (u V)`` over the E5 query vector ``q`` and the unit's E5 passage vector ``u`` (the vectors
the kiosk already computes for the ``sem_*`` features), fitted so that, with the raw cosine as a
baseline, a softmax over the record's units puts the weight on the units that speak the asked fact
(the same labels as the ranker's). It can learn what the raw cosine does not know: that "which form"
meets a unit naming "mẫu TK01", that "whose phone number" meets "số thuê bao chính chủ", in both
languages at once, since the multilingual vectors of both sit in one space. The standardised score
over the record's units is one more ranker feature, ``ask_match``.

Leave one set out, nested as method 6: for a held-out set the adapter and the asked-kind model are
fitted on the other sets; the ranker's training rows get both from models fitted without their own
set; then the ranker is refitted. Printed per held-out set and language: the asked fact spoken.

    .venv/bin/python bench/fit_adapt.py                     # LOSO, method 6 refit vs method 7
    .venv/bin/python bench/fit_adapt.py --rank 8 16 --l2 0.01 0.03
    .venv/bin/python bench/fit_adapt.py --write             # fit on all sets, write the model files
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
import fit_asked as A
import fit_fact_model as F
import numpy as np

from bench.bench_facts import RECORDS


def unit_vectors(data: list[dict[str, Any]], cache: Path) -> tuple[np.ndarray, list[np.ndarray]]:
    """The E5 passage vector of every distinct unit (rows), and per item the row of each of its units."""
    from knowledge.answer.facts import english_units, fact_units
    from knowledge.bundle.schema import load_records_dir

    records = {r.id: r for r in load_records_dir(RECORDS)}
    expect = {}
    for p in F.SETS.values():
        for line in p.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                expect[row["id"]] = row["expect"]
    ids: dict[str, int] = {}
    texts: list[str] = []
    rows: list[np.ndarray] = []
    for it in data:
        rec = records[expect[it["id"]]]
        units = english_units(rec) if it["lang"] == "en" else fact_units(rec)
        assert [u.field for u in units] == it["fields"], it["id"]
        for u in units:
            if u.id not in ids:
                ids[u.id] = len(texts)
                texts.append(u.match)
        rows.append(np.array([ids[u.id] for u in units]))
    import hashlib

    key = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:10]
    path = cache.with_suffix(f".uvec.{key}.pkl")
    if path.exists():
        return pickle.loads(path.read_bytes()), rows  # type: ignore[no-any-return]
    from knowledge.answer.semantic import E5FactScorer

    model = E5FactScorer(num_threads=2)._m()
    vecs = np.array([np.asarray(v) for v in model.passage(texts)])
    path.write_bytes(pickle.dumps(vecs))
    return vecs, rows


class Adapter:
    """``(q U) · (u V)`` plus ``a`` times the raw cosine, fitted listwise; the kiosk keeps U and V
    (``MatchModel``): the ranker has the cosine already."""

    def __init__(self, u: np.ndarray, v: np.ndarray, a: float) -> None:
        self.u, self.v, self.a = u, v, a


def fit_adapter(items: list[dict[str, Any]], rows: dict[str, np.ndarray], qvec: dict[str, np.ndarray],
                uvec: np.ndarray, *, rank: int, l2: float, steps: int = 300, lr: float = 0.01,
                seed: int = 0) -> Adapter:
    items = [it for it in items if it["y"].any()]
    xq = np.array([qvec[it["id"]] for it in items])
    idx = np.concatenate([rows[it["id"]] for it in items])
    sizes = [len(rows[it["id"]]) for it in items]
    starts = np.cumsum([0, *sizes[:-1]])
    seg = np.repeat(np.arange(len(items)), sizes)
    y = np.concatenate([it["y"] for it in items]).astype(float)
    cos = (xq[seg] * uvec[idx]).sum(1)
    rng = np.random.default_rng(seed)
    d = uvec.shape[1]
    u = rng.normal(0, 0.01, (d, rank))
    v = rng.normal(0, 0.01, (d, rank))
    a = np.zeros(1)
    state = [(np.zeros_like(p), np.zeros_like(p)) for p in (u, v, a)]
    nq = len(items)
    perm = np.argsort(idx, kind="stable")  # rows grouped by unit, to sum each unit's gradient
    uniq, first = np.unique(idx[perm], return_index=True)
    for step in range(1, steps + 1):
        qp = xq @ u  # questions × rank
        up = uvec @ v  # distinct units × rank
        s = (qp[seg] * up[idx]).sum(1) + 50.0 * a[0] * cos
        m = np.maximum.reduceat(s, starts)
        e = np.exp(s - m[seg])
        pr = e / np.add.reduceat(e, starts)[seg]
        pos = np.add.reduceat(pr * y, starts)
        r = (pr - pr * y / np.maximum(pos[seg], 1e-12)) / nq
        g_qp = np.add.reduceat(r[:, None] * up[idx], starts)
        g_up = np.zeros_like(up)
        g_up[uniq] = np.add.reduceat((r[:, None] * qp[seg])[perm], first)
        grads = [xq.T @ g_qp + 2 * l2 * u, uvec.T @ g_up + 2 * l2 * v, np.array([50.0 * (r * cos).sum()])]
        F.adam_step((u, v, a), grads, state, step, lr)
    return Adapter(u, v, float(a[0]))


def with_match(it: dict[str, Any], adapter: Adapter | None, rows: dict[str, np.ndarray],
               qvec: dict[str, np.ndarray], uvec: np.ndarray) -> dict[str, Any]:
    """The item with its ``ask_match`` column read by ``adapter`` (None: zeros), as the kiosk reads it."""
    from knowledge.answer.match import MatchModel
    from knowledge.answer.rank import FEATURES

    col = np.zeros(len(it["x"])) if adapter is None else np.array(
        MatchModel(adapter.u, adapter.v).values(qvec[it["id"]], list(uvec[rows[it["id"]]])))
    x = it["x"].copy()
    if x.shape[1] == len(FEATURES):
        x[:, FEATURES.index("ask_match")] = col
    else:  # feature data built before the column existed
        x = np.concatenate([x, col[:, None]], axis=1)
    return {**it, "x": x}


def loso(data: list[dict[str, Any]], qvec: dict[str, np.ndarray], uvec: np.ndarray,
         rows: dict[str, np.ndarray], *, ranks: list[int], l2s: list[float], l2_asked: float) -> None:
    groups = list(F.SETS)
    asked_models: dict[tuple[str, ...], Any] = {}

    def asked(excl: tuple[str, ...]) -> Any:
        if excl not in asked_models:
            asked_models[excl] = A.fit_asked([it for it in data if it["group"] not in excl], qvec, l2_asked)
        return asked_models[excl]

    configs: list[tuple[str, int, float]] = [("method 6", 0, 0.0)] + [
        (f"method 7 r={r} l2={l2}", r, l2) for r in ranks for l2 in l2s]
    totals: dict[str, dict[str, list[int]]] = {}
    for g in groups:
        res = {}
        for name, rank, l2 in configs:
            train = []
            for h in (x for x in groups if x != g):
                excl = tuple(sorted((g, h)))
                ad = fit_adapter([it for it in data if it["group"] not in excl], rows, qvec, uvec,
                                 rank=rank, l2=l2) if rank else None
                train += [with_match(A.with_asked(it, asked(excl), qvec), ad, rows, qvec, uvec)
                          for it in data if it["group"] == h and it["y"].any()]
            ad = fit_adapter([it for it in data if it["group"] != g], rows, qvec, uvec, rank=rank, l2=l2) \
                if rank else None
            test = [with_match(A.with_asked(it, asked((g,)), qvec), ad, rows, qvec, uvec)
                    for it in data if it["group"] == g]
            terms, descs = F.vocab(train)
            wd, w = F.fit(F.Packed(train, terms, descs), l2=A.L2_RANKER)
            r = F.evaluate(test, terms, descs, wd, w, 0.3)
            res[name] = {lang: f"{v['spoken']}/{v['n']}" for lang, v in r.items()}
            for lang, v in r.items():
                t = totals.setdefault(name, {}).setdefault(lang, [0, 0])
                t[0] += v["spoken"]
                t[1] += v["n"]
        print(g, json.dumps(res), flush=True)
    print("total", json.dumps({k: {lang: f"{a}/{b}" for lang, (a, b) in v.items()}
                               for k, v in totals.items()}))


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rank", type=int, nargs="*", default=[16])
    ap.add_argument("--l2", type=float, nargs="*", default=[0.0001])  # the shipped fit: rank 16, L2 1e-4
    ap.add_argument("--l2-asked", type=float, default=0.1)
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "kiosk-fact-model")
    ap.add_argument("--write", action="store_true",
                    help="fit on all sets (first --rank and --l2), write match, asked and fact models")
    args = ap.parse_args(argv)
    data, qvec = A.load_data(args.cache)
    uvec, unit_rows = unit_vectors(data, args.cache)
    rows = {it["id"]: r for it, r in zip(data, unit_rows, strict=True)}
    if args.write:
        write(data, qvec, uvec, rows, rank=args.rank[0], l2=args.l2[0], l2_asked=args.l2_asked)
        return 0
    loso(data, qvec, uvec, rows, ranks=args.rank, l2s=args.l2, l2_asked=args.l2_asked)
    return 0


def write(data: list[dict[str, Any]], qvec: dict[str, np.ndarray], uvec: np.ndarray,
          rows: dict[str, np.ndarray], *, rank: int, l2: float, l2_asked: float) -> None:
    """Fit on every set and write the three model files. The ranker's rows of each set read the
    asked-kind model and the adapter fitted without that set (as in the leave-one-set-out runs)."""
    from knowledge.answer.asked import MODEL_PATH as ASKED_PATH
    from knowledge.answer.learned import MODEL_PATH
    from knowledge.answer.match import MODEL_PATH as MATCH_PATH
    from knowledge.answer.match import MatchModel

    train = []
    for h in F.SETS:
        rest = [it for it in data if it["group"] != h]
        asked, ad = A.fit_asked(rest, qvec, l2_asked), fit_adapter(rest, rows, qvec, uvec, rank=rank, l2=l2)
        train += [with_match(A.with_asked(it, asked, qvec), ad, rows, qvec, uvec)
                  for it in data if it["group"] == h and it["y"].any()]
    asked = A.fit_asked(data, qvec, l2_asked)
    ad = fit_adapter(data, rows, qvec, uvec, rank=rank, l2=l2)
    meta = {"sets": list(F.SETS), "questions": len(data)}
    ASKED_PATH.write_text(json.dumps({**asked.to_json(), "meta": {**meta, "l2": l2_asked}}) + "\n",
                          encoding="utf-8")
    MATCH_PATH.write_text(json.dumps({**MatchModel(ad.u, ad.v).to_json(),
                                      "meta": {**meta, "rank": rank, "l2": l2}}) + "\n", encoding="utf-8")
    fact_model = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    terms, descs = F.vocab(train)
    fact_model["semantic"] = F.to_model(terms, descs, *F.fit(F.Packed(train, terms, descs), l2=A.L2_RANKER))
    for part in ("dense", "dense_en"):  # the wording-only model (method 4's fit) has no E5 vector to read
        fact_model["lexical"][part].update(ask_field=0.0, ask_kinds=0.0, ask_match=0.0)
    fact_model["meta"] = {**fact_model["meta"], **meta, "match": {"rank": rank, "l2": l2}}
    MODEL_PATH.write_text(json.dumps(fact_model, ensure_ascii=False, sort_keys=True, indent=0) + "\n",
                          encoding="utf-8")
    print(f"wrote {MATCH_PATH} (rank {rank}), {ASKED_PATH} and {MODEL_PATH}")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
