"""Fit the understanding weights on the DEV sets only (bench/eval/*.jsonl), never on a blind set.

    .venv/bin/python bench/tune_understand.py          # prints the best weights and calibrations

For each dev question the lexical scores (Vietnamese or English index), the nearness of every
target's examples and the linear head's scores are computed once; a grid over the fusion weights
(lexical / semantic / head, similarity band, out-of-scope bias) is then scored with numpy: a
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
from knowledge.retrieval import FusionWeights
from knowledge.service import Knowledge, prepare_bundle_dir

RECORDS = REPO / "knowledge" / "sample" / "records"
DEV = REPO / "bench" / "eval"


def features(kn: Knowledge, rows: list, lang: str, targets: list[str]) -> tuple[np.ndarray, ...]:
    lexicon = kn.english().index if lang == "en" else kn.lexical
    col = {t: j for j, t in enumerate(targets)}
    n = len(rows)
    lex, near, head = np.zeros((n, len(targets))), np.zeros((n, len(targets))), np.zeros((n, len(targets)))
    want = np.full(n, -1)
    for i, row in enumerate(rows):
        for t, v in lexicon.score(row.text).items():
            lex[i, col[t]] = v
        sem = kn.retriever.semantic(row.text)
        for t, v in sem.near.items():
            near[i, col[t]] = v
        for t, v in sem.head.items():
            head[i, col[t]] = v
        if row.expect:
            want[i] = col[row.expect]
    return lex, near, head, want


def score(data: tuple[np.ndarray, ...], oos_mask: np.ndarray, w: tuple[float, ...], tau: float) -> float:
    lex, near, head, want = data
    a, b, c, lo, hi, bias = w
    s = (a * lex + b * np.clip((near - lo) / (hi - lo), 0, 1) + c * head) / (a + b + c)
    s = s + bias * oos_mask
    s_proc = np.where(oos_mask, -np.inf, s)
    best = s_proc.argmax(1)
    top = s_proc.max(1)
    oos_top = np.where(oos_mask, s, -np.inf).max(1)
    refused = (oos_top > top) | (top < tau)
    ins = want >= 0
    right_in = ((best == want) & ~refused & ins).sum() / max(1, ins.sum())
    right_out = (refused & ~ins).sum() / max(1, (~ins).sum())
    return float(0.5 * right_in + 0.5 * right_out)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        dest = prepare_bundle_dir(load_records_dir(RECORDS), Path(tmp) / "b",
                                  out_of_scope=load_out_of_scope_dir(RECORDS))
        kn = Knowledge.open(dest, Settings(data_dir=Path(tmp) / "data"))
        assert kn.retriever.examples is not None
        targets = list(kn.retriever.examples.targets)
        oos_mask = np.array([is_out_of_scope(t) for t in targets])
        sets = {"vi": load_rows(sorted(DEV.glob("vi_*.jsonl")), "all"),
                "en": load_rows(sorted(DEV.glob("en_*.jsonl")), "all")}
        data = {lang: features(kn, rows, lang, targets) for lang, rows in sets.items()}
        grid = itertools.product((0.35, 0.5, 0.7, 1.0), (0.1, 0.2, 0.35, 0.5), (0.0, 0.4, 0.7, 1.0, 1.4),
                                 (0.78, 0.8, 0.82), (0.9, 0.92, 0.94), (-0.2, -0.15, -0.1, -0.05, 0.0),
                                 (0.15, 0.2, 0.25, 0.3, 0.35))
        best = max(((score(data["vi"], oos_mask, w[:6], w[6]) + score(data["en"], oos_mask, w[:6], w[6]),
                     w) for w in grid), key=lambda x: x[0])
        a, b, c, lo, hi, bias, tau = best[1]
        print(f"best dev balanced accuracy (vi + en) {best[0]:.4f}: lexical={a} semantic={b} head={c} "
              f"sim_low={lo} sim_high={hi} oos_bias={bias} (tau={tau})")
        kn.retriever.weights = FusionWeights(lexical=a, semantic=b, head=c, sim_low=lo, sim_high=hi,
                                             oos_bias=bias)
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
