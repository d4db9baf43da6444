"""Training the turn classifier of ``speech.vad.turn_model`` (offline, numpy): writes ``turn_weights``.

The example questions of the sample bundle (``knowledge/sample/records/*.yaml``: ``examples`` for
Vietnamese, ``examples_en`` for English) are the complete turns; their truncations at every word
boundary, at every comma, and truncations followed by a filler or connective are the pauses inside
a turn. Nothing is learnt from recordings. Training is deterministic (full-batch Adam, no shuffling).
``python -m speech.vad.turn_training [--write]``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from speech.vad.turn_model import features, score

# ---- training (offline; numpy) --------------------------------------------------------------------
Point = tuple[tuple[str, ...], int, float]  # words, 1 = complete / 0 = a pause inside, sample weight


def points(examples: Iterable[str], language: str) -> list[Point]:
    """Complete turns and pauses inside them, from example questions (see the module notes)."""
    from speech.vad.turn import words_of
    from speech.vad.turn_words import TURN_WORDS

    fillers = [words_of(w) for w in TURN_WORDS.get(language, TURN_WORDS["vi"])["hanging"][:12]]
    out: list[Point] = []
    for k, text in enumerate(examples):
        words = words_of(text)
        if len(words) < 2:
            continue
        n = len(words)
        out.append((words, 1, 1.0))
        for i in range(1, n):  # every word boundary: together as much as the complete turn
            out.append((words[:i], 0, 1.0 / (n - 1)))
        seen = 0
        for chunk in re.split(r"[,;:]", text)[:-1]:  # a pause at a comma: the realistic hard case
            seen += len(words_of(chunk))
            if 0 < seen < n:
                out.append((words[:seen], 0, 1.0))
        cut = 1 + k % (n - 1)  # one truncation followed by a filler or connective
        out.append((words[:cut] + fillers[k % len(fillers)], 0, 0.5))
    return out


def train(pts: Sequence[Point], language: str, *, epochs: int = 300, lr: float = 0.05,
          l2: float = 1e-4, min_weight: float = 0.1) -> dict[str, float]:
    """Logistic regression, full-batch Adam (deterministic: no shuffling); tiny weights pruned."""
    import numpy as np

    from speech.vad.turn import ending

    rows = [features(w, str(ending(" ".join(w), language))) for w, _, _ in pts]
    index: dict[str, int] = {}
    for r in rows:
        for f in r:
            index.setdefault(f, len(index))
    ri = np.array([i for i, r in enumerate(rows) for _ in r])
    ci = np.array([index[f] for r in rows for f in r])
    y = np.array([p[1] for p in pts], dtype=np.float64)
    sw = np.array([p[2] for p in pts], dtype=np.float64)
    sw = sw / sw.sum()
    w, m, v = (np.zeros(len(index)) for _ in range(3))
    for step in range(1, epochs + 1):
        z = np.bincount(ri, weights=w[ci], minlength=len(rows))
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
        g = np.bincount(ci, weights=((p - y) * sw)[ri], minlength=len(index)) + l2 * w
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        w -= lr * (m / (1 - 0.9 ** step)) / (np.sqrt(v / (1 - 0.999 ** step)) + 1e-8)
    return {f: round(float(w[i]), 3) for f, i in sorted(index.items())
            if abs(w[i]) >= min_weight or f == "bias"}


def examples(records: Path, key: str) -> list[tuple[str, str]]:
    """(record file stem, example) for every example under ``key`` in the records folder."""
    import yaml

    out = []
    for f in sorted(records.glob("*.yaml")):
        data: Any = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
        for text in data.get(key) or ():
            out.append((f.stem, str(text)))
    return out


def evaluate(weights: dict[str, float], pts: Sequence[Point], language: str,
             threshold: float) -> dict[str, float]:
    """Among the turns the word rules leave open: complete turns scored complete (the short
    ``complete`` wait), pauses at a comma and at any word scored complete (a cut risk)."""
    from speech.vad.turn import Ending, ending

    def rule(w: tuple[str, ...]) -> str:
        return str(ending(" ".join(w), language))

    open_ = [(w, y, sw) for w, y, sw in pts if rule(w) == Ending.OPEN]
    groups = {"ends": [w for w, y, _ in open_ if y],
              "comma_pauses": [w for w, y, sw in open_ if not y and sw >= 1.0],
              "word_pauses": [w for w, y, sw in open_ if not y and sw < 1.0]}
    out: dict[str, float] = {}
    for name, ws in groups.items():
        out[name] = len(ws)
        out[f"{name}_complete"] = round(sum(score(weights, w, rule(w)) >= threshold for w in ws)
                                        / max(1, len(ws)), 3)
    return out


GRID = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
MAX_COMMA, MAX_WORD = 0.05, 0.10  # held-out pauses scored complete, at most


def build(records: Path) -> tuple[dict[str, dict[str, float]], dict[str, float], dict[str, Any]]:
    """(weights, threshold, report) per language. The threshold is the lowest of ``GRID`` at which at
    most 5% of the held-out pauses at a comma and 10% at any word score complete (held out: every
    fourth record file, trained on the rest); the weights shipped are then trained on all records."""
    weights, thresholds, report = {}, {}, {}
    for language, key in (("vi", "examples"), ("en", "examples_en")):
        ex = examples(records, key)
        held = set(sorted({s for s, _ in ex})[3::4])
        w = train(points((t for s, t in ex if s not in held), language), language)
        test = points((t for s, t in ex if s in held), language)
        rows = {th: evaluate(w, test, language, th) for th in GRID}
        ok = [th for th, r in rows.items()
              if r["comma_pauses_complete"] <= MAX_COMMA and r["word_pauses_complete"] <= MAX_WORD]
        thresholds[language] = min(ok, default=1.0)
        report[language] = {"threshold": thresholds[language], "held_out": rows[thresholds[language]]
                            if ok else None}
        weights[language] = train(points((t for _, t in ex), language), language)
    return weights, thresholds, report


def _write(weights: dict[str, dict[str, float]], thresholds: dict[str, float], path: Path) -> None:
    lines = ['"""Weights and thresholds of ``speech.vad.turn_model`` per language: DATA, written by',
             "``python -m speech.vad.turn_training --write`` from the knowledge/sample/records/*.yaml",
             'examples. Do not edit by hand."""', "", "from __future__ import annotations", "",
             f"TURN_THRESHOLDS: dict[str, float] = {thresholds!r}", "",
             "TURN_WEIGHTS: dict[str, dict[str, float]] = {"]
    for language, w in weights.items():
        lines.append(f"    {language!r}: {{")
        items = [f"{f!r}: {v!r}," for f, v in w.items()]
        row = "       "
        for it in items:
            if len(row) + len(it) + 1 > 110:
                lines.append(row)
                row = "       "
            row += " " + it
        lines += [row, "    },"]
    lines.append("}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    import argparse
    import json
    import sys

    ap = argparse.ArgumentParser(description="train the turn classifier from the sample examples")
    ap.add_argument("--records", type=Path,
                    default=Path(__file__).resolve().parents[2] / "knowledge" / "sample" / "records")
    ap.add_argument("--write", action="store_true", help="write speech/vad/turn_weights.py")
    args = ap.parse_args(argv)
    weights, thresholds, report = build(args.records)
    sys.stdout.write(json.dumps(report, indent=1) + "\n")
    if args.write:
        _write(weights, thresholds, Path(__file__).with_name("turn_weights.py"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
