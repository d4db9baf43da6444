"""Fit the understanding weights on the DEV sets only (bench/eval/*.jsonl), never on a blind set.

    .venv/bin/python bench/tune_understand.py          # prints the best weights and calibrations

For each dev question the lexical scores (Vietnamese or English index), the nearness of every
target's examples, the linear head's and the typical words' scores are computed once; a grid over
the fusion weights (lexical / semantic / head / words, out-of-scope bias) is then scored with numpy: a
question counts as right when its expected procedure ranks first and no out-of-scope kind beats it,
an out-of-scope question when a kind wins or the top score is under the threshold. The best
weights (both languages together: one stack) are printed with the calibration fitted per language
(``knowledge.evaluation.fit_calibration``) and the dev figures with the kiosk's real decision.
"""

from __future__ import annotations

import itertools
import sys
import tempfile
from pathlib import Path

import numpy as np
from report import REPO

from kiosk_app.settings import Settings
from knowledge.bundle import load_out_of_scope_dir, load_records_dir
from knowledge.decide import Thresholds
from knowledge.evaluation import calibration_points, evaluate, fit_calibration, load_rows
from knowledge.examples import is_out_of_scope
from knowledge.importer import sample_vectors
from knowledge.retrieval import FusionWeights
from knowledge.service import Knowledge, prepare_bundle_dir

RECORDS = REPO / "knowledge" / "sample" / "records"
DEV = REPO / "bench" / "eval"


def features(kn: Knowledge, rows: list, lang: str, targets: list[str]) -> tuple[np.ndarray, ...]:
    lexicon = kn.english().index if lang == "en" else kn.lexical
    col = {t: j for j, t in enumerate(targets)}
    n = len(rows)
    lex, near, head, words = (np.zeros((n, len(targets))) for _ in range(4))
    want = np.full(n, -1)
    for i, row in enumerate(rows):
        for t, v in lexicon.score(row.text).items():
            lex[i, col[t]] = v
        sem = kn.retriever.semantic(row.text)
        for t, v in sem.near.items():
            near[i, col[t]] = v
        for t, v in sem.head.items():
            head[i, col[t]] = v
        for t, v in sem.words.items():
            words[i, col[t]] = v
        if row.expect:
            want[i] = col[row.expect]
    return lex, near, head, words, want


def examples_cv(kn: Knowledge, targets: list[str], folds: int = 5) -> tuple[np.ndarray, ...]:
    """Features of the example questions, each scored by an index built without its fold: how the
    refusal kinds and procedures fare on phrasings the index has not seen (the dev sets have no
    harmful or personal-data questions, so they cannot weigh the refusal kinds alone)."""
    from knowledge.examples import ExampleIndex

    assert kn.retriever.index is not None
    res = kn.retriever.index._col.get(include=["embeddings", "metadatas", "documents"])
    ids = list(res["ids"])
    metas, texts = res["metadatas"] or [], [str(t) for t in res["documents"] or []]
    tg = [str(m["procedure_id"]) for m in metas]
    matrix = np.asarray(res["embeddings"], dtype=np.float32)
    col = {t: j for j, t in enumerate(targets)}
    is_example = np.array(["#example" in i for i in ids])
    fold = np.random.default_rng(0).integers(0, folds, len(ids))
    rows = []
    for f in range(folds):
        train = ~((fold == f) & is_example)
        keep = np.where(train)[0]
        idx = ExampleIndex([tg[i] for i in keep], matrix[keep], k=kn.retriever.weights.nearest,
                           texts=[texts[i] for i in keep])
        for i in np.where(~train)[0]:
            lexicon = kn.english().index if "#example_en" in ids[i] else kn.lexical
            r = np.zeros((4, len(targets)))
            parts = (lexicon.score(texts[i]), idx.nearness(matrix[i]), idx.head(matrix[i]),
                     idx.words(texts[i]))
            for j, part in enumerate(parts):
                for t, v in part.items():
                    r[j, col[t]] = v
            rows.append((r, -1 if is_out_of_scope(tg[i]) else col[tg[i]],
                         2.0 if tg[i] in ("oos:harmful", "oos:personal_data") else 1.0))
    return (*(np.stack([r[j] for r, _, _ in rows]) for j in range(4)), np.array([w for _, w, _ in rows]),
            np.array([x for _, _, x in rows]))


def score(data: tuple[np.ndarray, ...], oos_mask: np.ndarray, w: tuple[float, ...], tau: float,
          guard_mask: np.ndarray | None = None) -> float:
    lex, near, head, words, want = data[:5]
    a, b, c, d, scale, lo, hi, bias, guard = w
    typical = np.maximum(0.0, np.tanh(words / scale))
    s = (a * lex + b * np.clip((near - lo) / (hi - lo), 0, 1) + c * head + d * typical) / (a + b + c + d)
    s_proc = np.where(oos_mask, -np.inf, s)
    best = s_proc.argmax(1)
    top = s_proc.max(1)
    oos_top = np.where(oos_mask, s + bias, -np.inf).max(1)
    guarded = np.where(guard_mask, s, -np.inf).max(1) if guard_mask is not None else -np.inf
    refused = (oos_top > top) | (guarded >= guard) | (top < tau)
    ins = want >= 0
    right_in = ((best == want) & ~refused & ins).sum() / max(1, ins.sum())
    # harmful and personal-data questions count twice: they must always be refused
    weight = data[5] if len(data) > 5 else np.ones(len(want))
    out = ~ins
    right_out = (refused & out) @ weight / max(1e-9, out @ weight)
    return float(0.5 * right_in + 0.5 * right_out)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        dest = prepare_bundle_dir(load_records_dir(RECORDS), Path(tmp) / "b",
                                  out_of_scope=load_out_of_scope_dir(RECORDS), vectors=sample_vectors())
        kn = Knowledge.open(dest, Settings(data_dir=Path(tmp) / "data"))
        assert kn.retriever.examples is not None
        targets = list(kn.retriever.examples.targets)
        oos_mask = np.array([is_out_of_scope(t) for t in targets])
        sets = {"vi": load_rows(sorted(DEV.glob("vi_*.jsonl")), "all"),
                "en": load_rows(sorted(DEV.glob("en_*.jsonl")), "all")}
        data = {lang: features(kn, rows, lang, targets) for lang, rows in sets.items()}
        data["cv"] = examples_cv(kn, targets)
        guard_mask = np.array([t in ("oos:harmful", "oos:personal_data") for t in targets])
        grid = itertools.product((0.35, 0.5, 0.7, 1.0), (0.1, 0.2, 0.35), (0.35, 0.7, 1.0),
                                 (0.2, 0.4, 0.7, 1.0), (2.0, 4.0), (0.8,), (0.92,),
                                 (-0.1, -0.05, 0.0, 0.05), (0.25, 0.3, 0.35, 0.4, 0.5, 9.0),
                                 (0.25, 0.3, 0.35))
        best = max(((sum(score(data[k], oos_mask, w[:9], w[9], guard_mask) for k in ("vi", "en", "cv")), w)
                    for w in grid), key=lambda x: x[0])
        a, b, c, d, scale, lo, hi, bias, guard, tau = best[1]
        cv = score(data["cv"], oos_mask, best[1][:9], best[1][9], guard_mask)
        print(f"cv examples balanced accuracy {cv:.4f}")
        print(f"best balanced accuracy (dev vi + dev en + examples cv) {best[0]:.4f}: lexical={a} "
              f"semantic={b} head={c} words={d} words_scale={scale} sim_low={lo} sim_high={hi} "
              f"oos_bias={bias} guard={guard} (tau={tau})")
        kn.retriever.weights = FusionWeights(lexical=a, semantic=b, head=c, words=d, words_scale=scale,
                                             sim_low=lo, sim_high=hi, oos_bias=bias, guard=guard)
        for lang, rows in sets.items():
            th = kn.english().thresholds if lang == "en" else kn.thresholds
            pts = calibration_points(evaluate(lambda q, lang=lang: kn.decide(q, lang), rows).outcomes)
            cal = fit_calibration(pts)
            if lang == "en":
                kn.english().thresholds = Thresholds(min_confidence=th.min_confidence, calibration=cal)
            else:
                kn.thresholds = Thresholds(min_confidence=th.min_confidence, calibration=cal)
            rep = evaluate(lambda q, lang=lang: kn.decide(q, lang), rows)
            print(f"{lang}: calibration {cal}; dev in scope {rep.top1_accuracy:.3f} "
                  f"({len(rep.in_scope)}), out of scope refused {rep.refusal_rate:.3f} "
                  f"({len(rep.out_of_scope)})")
        kn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
