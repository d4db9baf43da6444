"""What a question is closest to, learned from example questions: per target, three views.

Every target — a procedure id, or an out-of-scope kind (``oos:harmful``) — is known by documents in
the bundle's index: a record's title, aliases and ``examples`` (Vietnamese and English), the
bundle's ``out_of_scope.yaml`` examples. E5 is multilingual, so an English question also finds the
Vietnamese examples of the same procedure. Per target:

* ``nearness``: the mean cosine similarity of the question to the target's ``k`` nearest documents
  (one close paraphrase is not enough to win against a target that many examples support);
* ``head``: a linear head over E5 vectors (ridge regression on one-hot targets), which learns the
  directions that tell targets apart where nearness only sees overall closeness;
* ``words``: which words and word pairs of the question are typical of the target's documents
  (naive-Bayes log-count ratios, one target against the rest, over syllables with and without
  diacritics): the intent to cheat ("làm giả", "lót tay") or to look up a person's file is carried
  by a few words that a sentence vector of a question about that very procedure drowns out.

Pure numpy over vectors loaded once from the index: 27 procedures (~1,500 documents) in well under
a millisecond, 1,000 procedures (~40,000 documents) in a few milliseconds.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from knowledge.understand.normalize import fold, normalize_vi

OOS_PREFIX = "oos:"  # target of an out-of-scope example: "oos:harmful"


def is_out_of_scope(target: str) -> bool:
    return target.startswith(OOS_PREFIX)


class ExampleIndex:
    """The unit vectors of every document, grouped by target."""

    def __init__(self, targets: Sequence[str], matrix: NDArray[np.float32], k: int = 3,
                 ridge: float = 0.1, texts: Sequence[str] = ()) -> None:
        if len(targets) != len(matrix):
            raise ValueError(f"{len(targets)} targets for {len(matrix)} vectors")
        self.k = k
        self.matrix = np.ascontiguousarray(matrix, dtype=np.float32)
        groups: dict[str, list[int]] = defaultdict(list)
        for i, t in enumerate(targets):
            groups[t].append(i)
        self.targets = list(groups)
        # Rows reordered so each target's documents are one contiguous slice.
        order = np.fromiter((i for t in self.targets for i in groups[t]), dtype=np.int64,
                            count=len(targets))
        self.matrix = self.matrix[order]
        bounds = np.cumsum([0, *(len(groups[t]) for t in self.targets)])
        self._slices = [(int(a), int(b)) for a, b in itertools.pairwise(bounds)]
        self._mean = self.matrix.mean(axis=0) if len(self.matrix) else None
        self._head = self._fit_head(ridge) if len(self.matrix) else None
        self._words = _word_ratios(targets, texts) if texts else {}

    def __len__(self) -> int:
        return len(self.matrix)

    def nearness(self, query: NDArray[np.float32]) -> dict[str, float]:
        """target -> mean cosine similarity of its ``k`` nearest documents to ``query`` (a unit vector)."""
        if not len(self.matrix):
            return {}
        sims = self.matrix @ np.asarray(query, dtype=np.float32)
        out: dict[str, float] = {}
        for target, (a, b) in zip(self.targets, self._slices, strict=True):
            s = sims[a:b]
            kk = min(self.k, b - a)
            top = np.partition(s, b - a - kk)[b - a - kk:] if kk < b - a else s
            out[target] = float(top.mean())
        return out

    def _fit_head(self, ridge: float) -> NDArray[np.float32]:
        """Ridge regression of one-hot targets on centred vectors plus a bias, each target's
        documents weighted equally (E5 vectors all point roughly one way: centring lets the
        directions that separate targets count)."""
        assert self._mean is not None
        ones = np.ones((len(self.matrix), 1), np.float32)
        x = np.hstack([self.matrix - self._mean, ones]).astype(np.float64)
        y = np.zeros((len(x), len(self.targets)))
        w = np.empty(len(x))
        for j, (a, b) in enumerate(self._slices):
            y[a:b, j] = 1.0
            w[a:b] = 1.0 / (b - a)
        w *= len(x) / w.sum()
        xw = x * w[:, None]
        return np.linalg.solve(x.T @ xw + ridge * np.eye(x.shape[1]), xw.T @ y).astype(np.float32)

    def head(self, query: NDArray[np.float32]) -> dict[str, float]:
        """target -> the linear head's score for ``query`` (about 1 for its own target, 0 for others)."""
        if self._head is None:
            return {}
        assert self._mean is not None
        x = np.append(np.asarray(query, dtype=np.float32) - self._mean, np.float32(1.0))
        return {t: float(v) for t, v in zip(self.targets, x @ self._head, strict=True)}

    def words(self, text: str) -> dict[str, float]:
        """target -> summed log-count ratios of the question's words typical of it, per √(#words)."""
        feats = word_features(text)
        out: dict[str, float] = defaultdict(float)
        for f in feats:
            for t, r in self._words.get(f, ()):
                out[t] += r
        scale = math.sqrt(max(1, len(feats)))
        return {t: v / scale for t, v in out.items()}


def word_features(text: str) -> set[str]:
    """Syllables and syllable pairs, once with diacritics ("giả") and once folded ("gia")."""
    out: set[str] = set()
    for tag, s in (("d", normalize_vi(text)), ("f", fold(text))):
        syl = s.split()[:200]
        out.update(f"{tag}:{a}" for a in syl)
        out.update(f"{tag}:{a}_{b}" for a, b in itertools.pairwise(syl))
    return out


def _word_ratios(targets: Sequence[str], texts: Sequence[str],
                 alpha: float = 0.5) -> dict[str, list[tuple[str, float]]]:
    """feature -> [(target, log-count ratio)] for the targets whose documents have it (sparse: a
    1,000-procedure bundle keeps only what its documents contain)."""
    count: dict[str, Counter[str]] = defaultdict(Counter)
    docs: Counter[str] = Counter()
    for t, text in zip(targets, texts, strict=True):
        count[t].update(word_features(text))
        docs[t] += 1
    total: Counter[str] = Counter()
    for c in count.values():
        total.update(c)
    n = sum(docs.values())
    spread: Counter[str] = Counter()  # in how many targets' documents each feature occurs
    for c in count.values():
        spread.update(c.keys())
    n_targets = max(2, len(count))
    ratios: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for t, c in count.items():
        for f, k in c.items():
            inside = (k + alpha) / (docs[t] + 2 * alpha)
            outside = (total[f] - k + alpha) / (n - docs[t] + 2 * alpha)
            # Words many targets use ("ở đâu", "làm", "thay") say how, not what: weighed down by
            # their spread, so a large class (the refusal kinds) cannot own them.
            specific = math.log(n_targets / spread[f]) / math.log(n_targets)
            ratios[f].append((t, math.log(inside / outside) * specific))
    return dict(ratios)
