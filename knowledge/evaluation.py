"""Evaluation of retrieval + decision on question sets (``bench/eval/*.jsonl``).

A row: ``{"id", "text", "expect": slug | null, "aspect", "split": "tune" | "heldout"}``;
``expect`` null means out of scope (must be referred to staff). In-scope questions count as
correct only when the kiosk *answers* with the expected procedure (a referral is a miss).
Optional fields (the blind sets): ``also`` (a second acceptable procedure of a two-procedure
question), ``oos`` (the out-of-scope kind), ``kind`` (the question's style), ``context`` (earlier
questions of the same conversation, asked first).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from knowledge.types import Aspect, Hit, ReferReason, Verdict
from knowledge.understand.decide import Calibration, Decision

SPLITS = ("heldout", "tune", "all")


@dataclass(frozen=True, slots=True)
class EvalRow:
    id: str
    text: str
    expect: str | None
    aspect: str | None = None
    split: str = "heldout"
    source: str = ""
    also: tuple[str, ...] = ()
    oos: str | None = None
    kind: str = ""
    context: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Outcome:
    row: EvalRow
    decision: Decision
    aspect: Aspect
    hits: tuple[Hit, ...]

    @property
    def answered(self) -> str | None:
        return self.decision.procedure_id if self.decision.verdict is Verdict.ANSWER else None

    @property
    def correct(self) -> bool:
        if self.row.expect is None:
            return self.decision.verdict is Verdict.REFER
        return self.answered in (self.row.expect, *self.row.also)

    @property
    def top1(self) -> str | None:
        return self.hits[0].procedure_id if self.hits else None


@dataclass
class EvalReport:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def in_scope(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.row.expect is not None]

    @property
    def out_of_scope(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.row.expect is None]

    @staticmethod
    def _rate(n: int, d: int) -> float:
        return n / d if d else float("nan")

    @property
    def top1_accuracy(self) -> float:
        """In scope: answered with the expected procedure."""
        return self._rate(sum(o.correct for o in self.in_scope), len(self.in_scope))

    @property
    def retrieval_top1(self) -> float:
        """In scope: expected procedure ranked first, whatever the decision."""
        return self._rate(sum(o.top1 == o.row.expect for o in self.in_scope), len(self.in_scope))

    @property
    def refusal_rate(self) -> float:
        """Out of scope: referred to staff."""
        return self._rate(sum(o.correct for o in self.out_of_scope), len(self.out_of_scope))

    @property
    def in_scope_referred(self) -> int:
        return sum(o.decision.verdict is Verdict.REFER for o in self.in_scope)

    @property
    def aspect_accuracy(self) -> float:
        rows = [o for o in self.in_scope if o.row.aspect]
        return self._rate(sum(o.aspect.value == o.row.aspect for o in rows), len(rows))

    def confusions(self) -> list[dict[str, Any]]:
        out = []
        for o in self.outcomes:
            if o.correct:
                continue
            out.append({"id": o.row.id, "text": o.row.text, "expect": o.row.expect, "got": o.answered,
                        "top1": o.top1, "confidence": o.decision.confidence,
                        "reason": o.decision.reason, "split": o.row.split})
        return out

    def confusion_pairs(self) -> Counter[tuple[str | None, str | None]]:
        return Counter((c["expect"], c["got"]) for c in self.confusions())

    def summary(self) -> dict[str, Any]:
        return {
            "questions": len(self.outcomes), "in_scope": len(self.in_scope),
            "out_of_scope": len(self.out_of_scope),
            "top1_accuracy": round(self.top1_accuracy, 4), "retrieval_top1": round(self.retrieval_top1, 4),
            "in_scope_referred": self.in_scope_referred,
            "out_of_scope_refused": round(self.refusal_rate, 4),
            "aspect_accuracy": round(self.aspect_accuracy, 4),
        }


def load_rows(paths: Iterable[Path], split: str = "all") -> list[EvalRow]:
    """Read JSONL question files; ``split`` filters (``all`` keeps every row)."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}")
    rows: list[EvalRow] = []

    def _strings(value: object) -> tuple[str, ...]:
        """A field given as one string or a list of strings (writers use both)."""
        if value is None or value == "":
            return ()
        if isinstance(value, str):
            return (value,)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        raise TypeError(f"expected a string or a list of strings, not {value!r}")

    for path in paths:
        for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
                row = EvalRow(id=str(d["id"]), text=str(d["text"]), expect=d.get("expect") or None,
                              aspect=d.get("aspect") or None, split=str(d.get("split", "heldout")),
                              source=Path(path).name, also=_strings(d.get("also")),
                              oos=d.get("oos") or None, kind=str(d.get("kind") or ""),
                              context=_strings(d.get("context")))
            except (json.JSONDecodeError, KeyError, TypeError) as err:
                raise ValueError(f"{path}:{n}: not an evaluation row ({err})") from err
            if split == "all" or row.split == split:
                rows.append(row)
    return rows


Decider = Callable[[str], tuple[Decision, Aspect, Sequence[Hit]]]
Converser = Callable[[str, Sequence[str]], tuple[Decision, Aspect, Sequence[Hit]]]


def evaluate(decider: Decider, rows: Iterable[EvalRow], converse: Converser | None = None) -> EvalReport:
    """Run ``decider`` (e.g. ``Knowledge.decide``) over the rows; rows with earlier questions go
    through ``converse(text, context)`` when given (see ``in_conversation``)."""
    report = EvalReport()
    for row in rows:
        if row.context and converse is not None:
            decision, aspect, hits = converse(row.text, row.context)
        else:
            decision, aspect, hits = decider(row.text)
        report.outcomes.append(Outcome(row, decision, aspect, tuple(hits)))
    return report


def in_conversation(decide: Callable[..., tuple[Decision, Aspect, Sequence[Hit]]],
                    language: str = "vi") -> Converser:
    """A ``Converser`` over ``Knowledge.decide``: the earlier questions are asked first, and the last
    answered procedure is the conversation the question continues (as the pipeline keeps it)."""
    from knowledge.types import Conversation

    def converse(text: str, context: Sequence[str]) -> tuple[Decision, Aspect, Sequence[Hit]]:
        conv: Conversation | None = None
        for earlier in context:
            d, _aspect, _hits = decide(earlier, language, conv)
            if d.verdict is Verdict.ANSWER and d.procedure_id:
                conv = Conversation(d.procedure_id, language)
        return decide(text, language, conv)

    return converse


def calibration_points(outcomes: Iterable[Outcome]) -> list[tuple[float, float, bool]]:
    """(top score, second score, top-1 is right) per question; out-of-scope rows count as wrong.

    Only questions that reach the confidence test are used: those already referred by the
    out-of-scope lexicon (or as empty/garbage) never see the calibration, so they must not shape it.
    """
    pts = []
    for o in outcomes:
        if not o.hits or ReferReason.of(o.decision.reason) is ReferReason.OUT_OF_SCOPE:
            continue
        second = o.hits[1].score if len(o.hits) > 1 else 0.0
        pts.append((o.hits[0].score, second, o.row.expect is not None and o.top1 == o.row.expect))
    return pts


def fit_calibration(points: Sequence[tuple[float, float, bool]], reg: float = 1e-3) -> Calibration:
    """Logistic regression of "top-1 is right" on (top, top - second); Newton steps, small L2."""
    import numpy as np

    if len(points) < 3 or len({p[2] for p in points}) < 2:
        raise ValueError("need right and wrong examples to fit a calibration")
    x = np.array([[t, t - s, 1.0] for t, s, _ in points])
    y = np.array([1.0 if ok else 0.0 for _, _, ok in points])
    w = np.zeros(3)
    penalty = np.diag([reg, reg, 0.0])
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        grad = x.T @ (p - y) / len(y) + penalty @ w
        hess = (x.T * (p * (1 - p))) @ x / len(y) + penalty + 1e-9 * np.eye(3)
        step = np.linalg.solve(hess, grad)
        w -= step
        if float(np.abs(step).max()) < 1e-9:
            break
    slope, gain, bias = (float(v) for v in w)
    return Calibration(slope=round(slope, 3), center=round(-bias / slope, 4), margin_gain=round(gain, 3))


def log_loss(points: Sequence[tuple[float, float, bool]], cal: Calibration) -> float:
    import math

    total = 0.0
    for t, s, ok in points:
        p = min(1 - 1e-6, max(1e-6, cal.confidence(t, s)))
        total -= math.log(p if ok else 1 - p)
    return total / max(1, len(points))
