"""Fit the understanding model on the DEV sets only, never on the current blind set.

    .venv/bin/python bench/tune_understand.py          # LOSO figures, then the weights to paste
    .venv/bin/python bench/tune_understand.py --calibrate   # only the calibration, current weights

The model (``knowledge.retrieval.FusionWeights``) is a conditional logit over every target (the
procedures and the four refusal kinds): a target's logit is a weighted sum of its features (lexical
score, nearness of its examples, the E5 head, its typical words; for a refusal kind the best
procedure's lexical score and a bias of its own), a softmax makes them probabilities. Fitting data:

* the example questions of the bundle, each with the features an index built *without its fold*
  gives it (5 folds: how a target fares on phrasings its index has not seen);
* the dev sets (``DEV_SETS``: the old tune/held-out questions and the retired blind sets 1-3).

The weights are fitted by maximum likelihood (Adam, small L2; a question with two acceptable
procedures, or an out-of-scope one without a kind, counts as right for any of them); the guards (a
harmful or personal-data probability that refuses on its own) are chosen on the dev sets by
balanced accuracy (in scope answered right / out of scope refused, harmful and personal data twice).
Reported first by leave-one-set-out cross-validation (fit and guards on three dev sets, figures on
the fourth), then fitted on all of them; the calibration of ``knowledge.decide`` is then fitted per
language with the kiosk's real decision. Follow-up questions (asked in a conversation) are left out.
"""

from __future__ import annotations

import itertools
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
from report import REPO

from kiosk_app.settings import Settings
from knowledge.bundle import load_out_of_scope_dir, load_records_dir
from knowledge.decide import Thresholds
from knowledge.evaluation import (
    EvalRow,
    calibration_points,
    evaluate,
    fit_calibration,
    in_conversation,
    load_rows,
)
from knowledge.examples import OOS_PREFIX, ExampleIndex, is_out_of_scope
from knowledge.importer import sample_vectors
from knowledge.retrieval import FusionWeights
from knowledge.service import Knowledge, prepare_bundle_dir

RECORDS = REPO / "knowledge" / "sample" / "records"
B = REPO / "bench"
# Never add the current blind set here.
DEV_SETS: dict[str, tuple[list[Path], list[Path]]] = {
    "eval": (sorted((B / "eval").glob("vi_*.jsonl")), sorted((B / "eval").glob("en_*.jsonl"))),
    "blind1": ([B / "blind" / "vi_understand.jsonl"], [B / "blind" / "en_understand.jsonl"]),
    "blind2": ([B / "blind2" / "vi_understand.jsonl"], [B / "blind2" / "en_understand.jsonl"]),
    "blind3": ([B / "blind3" / "vi_understand.jsonl"], [B / "blind3" / "en_understand.jsonl"]),
}
KINDS = ("personal_data", "harmful", "other_authority", "chitchat_advice")
GUARDED = ("personal_data", "harmful")
GUARD_GRID = (0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 1.01)


class Data:
    """Per question: raw parts per target (n x targets), allowed targets, kind, language, set."""

    def __init__(self, targets: list[str]) -> None:
        self.targets = targets
        self.col = {t: j for j, t in enumerate(targets)}
        self.parts: list[np.ndarray] = []  # 4 x targets: lexical, nearness, head, typical words
        self.allowed: list[np.ndarray] = []
        self.kind: list[str] = []  # "in" or the refusal kind ("other" when a dev row has none)
        self.lang: list[str] = []
        self.set: list[str] = []

    def add(self, parts: tuple[dict[str, float], ...], allowed: list[str], kind: str, lang: str,
            name: str) -> None:
        r = np.zeros((4, len(self.targets)))
        for j, part in enumerate(parts):
            for t, v in part.items():
                r[j, self.col[t]] = v
        a = np.zeros(len(self.targets), bool)
        a[[self.col[t] for t in allowed]] = True
        self.parts.append(r)
        self.allowed.append(a)
        self.kind.append(kind)
        self.lang.append(lang)
        self.set.append(name)

    def arrays(self) -> tuple[np.ndarray, ...]:
        return (np.stack(self.parts), np.stack(self.allowed), np.array(self.kind), np.array(self.lang),
                np.array(self.set))


def row_target(row: EvalRow) -> tuple[list[str], str]:
    if row.expect:
        return [row.expect, *row.also], "in"
    if row.oos:
        return [OOS_PREFIX + row.oos], row.oos
    return [OOS_PREFIX + k for k in KINDS], "other"


def add_dev(kn: Knowledge, data: Data) -> None:
    for name, (vi, en) in DEV_SETS.items():
        for lang, files in (("vi", vi), ("en", en)):
            lexicon = kn.english().index if lang == "en" else kn.lexical
            for row in load_rows(files, "all"):
                if kn._bad_input(row.text):
                    continue
                sem = kn.retriever.semantic(row.text)
                allowed, kind = row_target(row)
                data.add((lexicon.score(row.text), sem.near, sem.head, sem.words), allowed, kind, lang,
                         name + ("/followup" if row.context else ""))


def add_examples_cv(kn: Knowledge, data: Data, folds: int = 5) -> None:
    assert kn.retriever.index is not None
    res = kn.retriever.index._col.get(include=["embeddings", "metadatas", "documents"])
    ids = list(res["ids"])
    texts = [str(t) for t in res["documents"] or []]
    tg = [str(m["procedure_id"]) for m in res["metadatas"] or []]
    matrix = np.asarray(res["embeddings"], dtype=np.float32)
    is_example = np.array(["#example" in i for i in ids])
    fold = np.random.default_rng(0).integers(0, folds, len(ids))
    for f in range(folds):
        keep = np.where(~((fold == f) & is_example))[0]
        idx = ExampleIndex([tg[i] for i in keep], matrix[keep], k=kn.retriever.weights.nearest,
                           texts=[texts[i] for i in keep])
        for i in np.where((fold == f) & is_example)[0]:
            lang = "en" if "#example_en" in ids[i] else "vi"
            lexicon = kn.english().index if lang == "en" else kn.lexical
            kind = tg[i].removeprefix(OOS_PREFIX) if is_out_of_scope(tg[i]) else "in"
            parts = (lexicon.score(texts[i]), idx.nearness(matrix[i]), idx.head(matrix[i]),
                     idx.words(texts[i]))
            data.add(parts, [tg[i]], kind, lang, "examples")


def design(parts: np.ndarray, oos: np.ndarray, w: FusionWeights) -> np.ndarray:
    """n x targets x 12 features, in the order of ``weights_of``."""
    lex, near, head, words = (parts[:, j] for j in range(4))
    near = np.clip((near - w.sim_low) / (w.sim_high - w.sim_low), 0, 1)
    typical = np.maximum(0.0, np.tanh(words / w.words_scale))
    proc = (~oos).astype(float)
    named = np.broadcast_to(np.where(oos, 0.0, lex).max(1, keepdims=True), lex.shape)
    cols = [lex * proc, near * proc, head * proc, typical * proc,
            near * oos, head * oos, typical * oos, named * oos]
    cols += [np.broadcast_to(oos & (np.arange(len(oos)) == j), lex.shape).astype(float)
             for j in np.where(oos)[0]]
    return np.stack(cols, -1)


def fit(x: np.ndarray, allowed: np.ndarray, l2: float = 1e-3, iters: int = 400,
        lr: float = 0.05) -> np.ndarray:
    """Maximum likelihood of "one of the allowed targets" under a softmax over targets (Adam)."""
    theta, m, v = (np.zeros(x.shape[-1]) for _ in range(3))
    for it in range(1, iters + 1):
        p = probs(x, theta)
        q = np.where(allowed, p, 0.0)
        q /= q.sum(1, keepdims=True)
        g = np.einsum("it,itk->k", p - q, x) / len(x) + l2 * theta
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        theta -= lr * (m / (1 - 0.9 ** it)) / (np.sqrt(v / (1 - 0.999 ** it)) + 1e-8)
    return theta


def probs(x: np.ndarray, theta: np.ndarray) -> np.ndarray:
    z = x @ theta
    p = np.exp(z - z.max(1, keepdims=True))
    return p / p.sum(1, keepdims=True)


def outcome(p: np.ndarray, oos: np.ndarray, guard_cols: list[int],
            guards: tuple[float, ...]) -> tuple[np.ndarray, ...]:
    proc = np.where(oos, -1.0, p)
    best = proc.argmax(1)
    refused = p[:, oos].sum(1) > proc.max(1)
    for j, g in zip(guard_cols, guards, strict=True):
        refused |= p[:, j] >= g
    return best, refused


def tally(p: np.ndarray, allowed: np.ndarray, kind: np.ndarray, oos: np.ndarray, guard_cols: list[int],
          guards: tuple[float, ...]) -> Counter[str]:
    best, refused = outcome(p, oos, guard_cols, guards)
    c: Counter[str] = Counter()
    ins = kind == "in"
    c["in"] += int((allowed[np.arange(len(best)), best] & ~refused & ins).sum())
    c["in/"] += int(ins.sum())
    for k in (*KINDS, "other"):
        c[k] += int((refused & (kind == k)).sum())
        c[k + "/"] += int((kind == k).sum())
    return c


def balanced(c: Counter[str]) -> float:
    w = {k: 2.0 if k in GUARDED else 1.0 for k in (*KINDS, "other")}
    out = sum(w[k] * c[k] for k in w) / max(1e-9, sum(w[k] * c[k + "/"] for k in w))
    return 0.5 * c["in"] / max(1, c["in/"]) + 0.5 * out


def choose_guards(p: np.ndarray, allowed: np.ndarray, kind: np.ndarray, oos: np.ndarray,
                  guard_cols: list[int]) -> tuple[float, ...]:
    grid = itertools.product(GUARD_GRID, repeat=len(guard_cols))
    return max(grid, key=lambda g: balanced(tally(p, allowed, kind, oos, guard_cols, g)))


def show(c: Counter[str]) -> str:
    refused = sum(c[k] for k in (*KINDS, "other"))
    total = sum(c[k + "/"] for k in (*KINDS, "other"))
    kinds = ", ".join(f"{k} {c[k]}/{c[k + '/']}" for k in (*KINDS, "other") if c[k + "/"])
    return (f"in scope {c['in']}/{c['in/']} ({c['in'] / max(1, c['in/']):.1%}), refused {refused}/{total} "
            f"({refused / max(1, total):.1%}): {kinds}")


def fit_weights(kn: Knowledge) -> FusionWeights:
    """LOSO report, then the weights fitted on all dev sets and the examples."""
    assert kn.retriever.examples is not None
    targets = list(kn.retriever.examples.targets)
    oos = np.array([is_out_of_scope(t) for t in targets])
    guard_cols = [targets.index(OOS_PREFIX + k) for k in GUARDED]
    data = Data(targets)
    add_dev(kn, data)
    add_examples_cv(kn, data)
    parts, allowed, kind, lang, sets = data.arrays()
    follow = np.char.endswith(sets.astype(str), "/followup")
    w0 = kn.retriever.weights
    x = design(parts, oos, w0)
    ex = sets == "examples"
    base = ~follow  # follow-ups are decided with their conversation (knowledge.decide.follow_up)
    loso: dict[str, Counter[str]] = {"vi": Counter(), "en": Counter()}
    for held in DEV_SETS:
        train = (sets != held) & ~ex & base
        theta = fit(np.concatenate([x[train], x[ex]]), np.concatenate([allowed[train], allowed[ex]]))
        guards = choose_guards(probs(x[train], theta), allowed[train], kind[train], oos, guard_cols)
        test = sets == held
        p = probs(x[test], theta)
        for lg in ("vi", "en"):
            m = lang[test] == lg
            c = tally(p[m], allowed[test][m], kind[test][m], oos, guard_cols, guards)
            loso[lg].update(c)
            print(f"held out {held} {lg} (guards {guards}): {show(c)}")
    for lg, c in loso.items():
        print(f"LOSO total {lg}: {show(c)}")
    dev = ~ex & base
    theta = fit(x[base], allowed[base])
    guards = choose_guards(probs(x[dev], theta), allowed[dev], kind[dev], oos, guard_cols)
    kinds = [t.removeprefix(OOS_PREFIX) for t in targets if is_out_of_scope(t)]
    r = [round(float(v), 3) for v in theta]
    weights = FusionWeights(lexical=r[0], semantic=r[1], head=r[2], words=r[3], oos_semantic=r[4],
                            oos_head=r[5], oos_words=r[6], oos_named=r[7],
                            bias=tuple(zip(kinds, r[8:], strict=True)),
                            guards=tuple(zip(GUARDED, guards, strict=True)), words_scale=w0.words_scale,
                            sim_low=w0.sim_low, sim_high=w0.sim_high, nearest=w0.nearest)
    print(f"fitted on all dev sets + examples: {weights}")
    return weights


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        dest = prepare_bundle_dir(load_records_dir(RECORDS), Path(tmp) / "b",
                                  out_of_scope=load_out_of_scope_dir(RECORDS), vectors=sample_vectors())
        kn = Knowledge.open(dest, Settings(data_dir=Path(tmp) / "data"))
        if "--calibrate" not in sys.argv:
            kn.retriever.weights = fit_weights(kn)
        for lg in ("vi", "en"):
            rows = [r for _, (vi, en) in DEV_SETS.items() for r in load_rows(vi if lg == "vi" else en, "all")]
            th = kn.english().thresholds if lg == "en" else kn.thresholds
            # follow-ups are asked in their conversation, as the kiosk does; the calibration is fitted
            # on the questions that stand alone (a follow-up's ranking is of its few words, and the
            # conversation, not the ranking, answers it)
            before = evaluate(lambda q, lg=lg: kn.decide(q, lg), rows, in_conversation(kn.decide, lg))
            cal = fit_calibration(calibration_points(o for o in before.outcomes if not o.row.context))
            print(f"{lg}: with the calibration in the code: in scope {before.top1_accuracy:.3f}, "
                  f"out of scope refused {before.refusal_rate:.3f}")
            new = Thresholds(min_confidence=th.min_confidence, calibration=cal)
            if lg == "en":
                kn.english().thresholds = new
            else:
                kn.thresholds = new
            rep = evaluate(lambda q, lg=lg: kn.decide(q, lg), rows, in_conversation(kn.decide, lg))
            print(f"{lg}: calibration {cal}; dev (fitted on it) in scope {rep.top1_accuracy:.3f} "
                  f"({len(rep.in_scope)}), out of scope refused {rep.refusal_rate:.3f} "
                  f"({len(rep.out_of_scope)})")
        kn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
