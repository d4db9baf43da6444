"""A learned refusal head over the E5 question vector (understanding method 8). Pure numpy apart
from reading the fitted weights once (``knowledge/understand/refusal_head.json``).

The fused model (``knowledge.understand.retrieval``) sees a question only through its similarities
to example questions and its words; a request that names a real procedure and adds a deceit clause
is close to that procedure's examples. The head is a multinomial logistic regression of the whole
E5 vector (standardised per dimension, plus a bias) on five classes: in scope and the four refusal
kinds. It is fitted by ``bench/tune_understand8.py`` (on the sample bundle's examples and the dev
sets; the gates chosen by leave-one-set-out cross-validation) and stored as JSON:
``{"embedding": fingerprint, "classes": [...], "mean": [...], "scale": [...], "weights": [[...]],
"gates": {kind: probability}}``. The question refuses as a kind when the head's probability of that
kind reaches its gate. Without the file, or with weights made for another embedding model, the
kiosk decides as before (method 7).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

log = logging.getLogger(__name__)
HEAD_PATH = Path(__file__).with_name("refusal_head.json")
IN_SCOPE = "in"


@dataclass(frozen=True, slots=True)
class RefusalHead:
    classes: tuple[str, ...]
    mean: NDArray[np.float32]  # (dim,)
    scale: NDArray[np.float32]  # (dim,)
    weights: NDArray[np.float32]  # (dim + 1, classes): the last row is the bias
    gates: tuple[tuple[str, float], ...]  # (refusal kind, probability that refuses), in order

    def __post_init__(self) -> None:
        dim = len(self.mean)
        if self.scale.shape != (dim,) or self.weights.shape != (dim + 1, len(self.classes)):
            raise ValueError(f"refusal head shapes disagree: mean {self.mean.shape}, scale "
                             f"{self.scale.shape}, weights {self.weights.shape}, {len(self.classes)} classes")
        if any(kind not in self.classes or kind == IN_SCOPE for kind, _ in self.gates):
            raise ValueError(f"refusal head gates {self.gates} name a class not in {self.classes}")

    @property
    def dim(self) -> int:
        return len(self.mean)

    def probs(self, vector: NDArray[np.float32]) -> dict[str, float]:
        """class -> probability for one question vector."""
        z = (np.asarray(vector, dtype=np.float32) - self.mean) / self.scale
        logits = z @ self.weights[:-1] + self.weights[-1]
        p = np.exp(logits - logits.max())
        p /= p.sum()
        return {c: float(v) for c, v in zip(self.classes, p, strict=True)}

    def refusal(self, vector: NDArray[np.float32]) -> str | None:
        """The first refusal kind whose probability reaches its gate, if any."""
        if len(vector) != self.dim:
            return None
        p = self.probs(vector)
        return next((kind for kind, gate in self.gates if p[kind] >= gate), None)


def load_head(path: Path = HEAD_PATH, *, embedding: str | None = None) -> RefusalHead | None:
    """The fitted head, or None (decide as method 7) when the file is missing, damaged or was
    fitted on another embedding model's vectors (``embedding``: the kiosk's model fingerprint)."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        if embedding is not None and raw.get("embedding") != embedding:
            log.warning("refusal head %s was fitted for embedding %r, not %r; not used",
                        path, raw.get("embedding"), embedding)
            return None
        return RefusalHead(tuple(str(c) for c in raw["classes"]),
                           np.asarray(raw["mean"], dtype=np.float32),
                           np.asarray(raw["scale"], dtype=np.float32),
                           np.asarray(raw["weights"], dtype=np.float32),
                           tuple((str(k), float(v)) for k, v in raw["gates"].items()))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        log.warning("refusal head %s unreadable (%s); deciding without it", path, err)
        return None
