"""Method 8's learned refusal head (``knowledge.understand.refusal_head``): loading its fitted file,
scoring a question vector, and the kiosk deciding exactly as method 7 when no file ships.

Vectors, weights and questions written for this test.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from knowledge.service import Knowledge
from knowledge.types import Verdict
from knowledge.understand.refusal_head import RefusalHead, load_head

CLASSES = ("in", "personal_data", "harmful", "other_authority", "chitchat_advice")


def head(gates: dict[str, float], bias: tuple[float, ...] = (0.0,) * 5, dim: int = 3) -> RefusalHead:
    """A head whose class j is pushed up by vector component j (dim 3: in, personal data, harmful)."""
    w = np.zeros((dim + 1, len(CLASSES)), np.float32)
    for j in range(dim):
        w[j, j] = 4.0
    w[-1] = bias
    return RefusalHead(CLASSES, np.zeros(dim, np.float32), np.ones(dim, np.float32), w,
                       tuple(gates.items()))


def write(path: Path, h: RefusalHead, embedding: str = "e5-test") -> Path:
    path.write_text(json.dumps({"embedding": embedding, "classes": list(h.classes), "mean": h.mean.tolist(),
                                "scale": h.scale.tolist(), "weights": h.weights.tolist(),
                                "gates": dict(h.gates)}), encoding="utf-8")
    return path


GATES = {"personal_data": 0.5, "harmful": 0.6}


@pytest.mark.parametrize(("vector", "expected"), [
    ((1.0, 0.0, 0.0), None),  # in scope
    ((0.0, 1.0, 0.0), "personal_data"),
    ((0.0, 0.0, 1.0), "harmful"),
    ((0.0, 0.0, 0.3), None),  # harmful most probable (0.45) but below its gate
    ((0.0, 1.0, 1.0), None),  # personal data and harmful split the mass (0.49 each): neither gate
    ((0.0, 2.0, 1.5), "personal_data"),
    ((0.0, 0.0, 1.0, 0.0), None),  # a vector of another size: never refuses
])
def test_the_head_refuses_a_kind_only_when_its_gate_is_reached(vector: tuple[float, ...],
                                                             expected: str | None) -> None:
    h = head(GATES)
    v = np.asarray(vector, np.float32)
    if len(v) == h.dim:
        p = h.probs(v)
        assert set(p) == set(CLASSES) and abs(sum(p.values()) - 1.0) < 1e-5
        reached = [k for k, g in GATES.items() if p[k] >= g]
        assert (reached[0] if reached else None) == h.refusal(v)
    assert h.refusal(v) == expected


def test_loads_what_the_fit_writes_and_scores_the_same(tmp_path: Path) -> None:
    h = head(GATES, bias=(0.5, 0.0, -0.5, 0.0, 0.0))
    loaded = load_head(write(tmp_path / "head.json", h), embedding="e5-test")
    assert loaded is not None
    assert loaded.classes == CLASSES and loaded.gates == tuple(GATES.items())
    for v in np.eye(3, dtype=np.float32):
        assert loaded.probs(v) == pytest.approx(h.probs(v))


@pytest.mark.parametrize(("content", "embedding"), [
    (None, "e5-test"),  # no file: method 7
    ("{not json", "e5-test"),
    ('{"classes": ["in"]}', None),  # fields missing
    ("OK", "another-model"),  # fitted on another embedding model's vectors
    ("BAD_SHAPE", "e5-test"),
    ("BAD_GATE", "e5-test"),
])
def test_a_missing_damaged_or_foreign_head_is_not_used(tmp_path: Path, content: str | None,
                                                      embedding: str | None) -> None:
    path = tmp_path / "head.json"
    if content in ("OK", "BAD_SHAPE", "BAD_GATE"):
        write(path, head(GATES))
        raw = json.loads(path.read_text(encoding="utf-8"))
        if content == "BAD_SHAPE":
            raw["scale"] = [1.0, 1.0]
        if content == "BAD_GATE":
            raw["gates"] = {"in": 0.5}
        path.write_text(json.dumps(raw), encoding="utf-8")
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    assert load_head(path, embedding=embedding) is None


def test_the_kiosk_ships_no_head_and_decides_as_method_7(knowledge: Knowledge) -> None:
    assert knowledge.retriever.refusal_head is None


@pytest.mark.parametrize(("question", "language"), [
    ("bác muốn đăng ký tạm trú cho cháu lên học thì cần giấy gì", "vi"),
    ("how do I register my son's birth?", "en"),
])
def test_a_fitted_head_gates_the_kiosks_decision(knowledge: Knowledge, monkeypatch: pytest.MonkeyPatch,
                                                 question: str, language: str) -> None:
    before, _, _ = knowledge.decide(question, language)
    assert before.verdict is Verdict.ANSWER, before.reason
    dim = knowledge.retriever._last[1].vector.shape[0]  # type: ignore[union-attr]
    w = np.zeros((dim + 1, len(CLASSES)), np.float32)
    w[-1] = (0.0, 0.0, 9.0, 0.0, 0.0)  # harmful whatever the question
    always = RefusalHead(CLASSES, np.zeros(dim, np.float32), np.ones(dim, np.float32), w, (("harmful", 0.6),))
    never = RefusalHead(CLASSES, always.mean, always.scale, w, (("harmful", 1.01),))
    monkeypatch.setattr(knowledge.retriever, "refusal_head", never)
    same, _, _ = knowledge.decide(question, language)
    assert (same.verdict, same.procedure_id) == (before.verdict, before.procedure_id)
    monkeypatch.setattr(knowledge.retriever, "refusal_head", always)
    refused, _, _ = knowledge.decide(question, language)
    assert refused.verdict is Verdict.REFER and "harmful" in refused.reason
