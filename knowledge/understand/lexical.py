"""The lexical half of finding the procedure: diacritic-insensitive syllables scored against records.

``LexicalIndex``: syllable unigrams, bigrams and joined bigrams over the record's fields; IDF over
records; alias/title fields weigh more than body text. A record's score combines how much of the
question it explains (IDF-weighted, field-weighted coverage) with how much of its best name (title or
alias) the question contains, 0..1. Pure Python, built in memory when a bundle is opened; the fusion
with E5 is ``knowledge.understand.retrieval``'s.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from knowledge.bundle.schema import Record
from knowledge.understand.normalize import (
    contains_phrase,
    features,
    fold,
    normalize_query,
    split_merged,
    syllables,
)

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


class CoverageWeights(Protocol):
    @property
    def oov(self) -> float: ...

    @property
    def query_coverage(self) -> float: ...

    @property
    def name_coverage(self) -> float: ...


class CoverageIndex(ABC):
    """A language's lexical index: IDF-weighted coverage of the question by each record's fields plus
    how much of its best name the question contains, 0..1; pure Python, built in memory at open.

    One scorer for both languages: a language gives its record fields as features (``_fields``), the
    question's features (``query_features``) and a feature's weight (``_feature_weight``); the IDF,
    the postings, the coverage, the name coverage and the evidence are shared."""

    def __init__(self, records: Iterable[Record], weights: CoverageWeights,
                 field_weights: dict[str, float], name_kinds: frozenset[str]) -> None:
        self.weights = weights
        self.ids: list[str] = []
        df: dict[str, int] = defaultdict(int)
        # feature -> {record index: best field weight}; per record its name fields for name coverage
        self._post: dict[str, dict[int, float]] = defaultdict(dict)
        names: list[tuple[int, frozenset[str]]] = []
        for i, rec in enumerate(records):
            self.ids.append(rec.id)
            best: dict[str, float] = {}
            for kind, feats in self._fields(rec):
                w = field_weights[kind]
                for f in feats:
                    if best.get(f, 0.0) < w:
                        best[f] = w
                if kind in name_kinds and feats:
                    names.append((i, frozenset(feats)))
            for f, w in best.items():
                df[f] += 1
                self._post[f][i] = w
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

    # ---- what a language gives ----------------------------------------------------------------------
    @abstractmethod
    def _fields(self, rec: Record) -> Iterable[tuple[str, list[str]]]:
        """(field kind, its features) of one record."""

    @abstractmethod
    def query_features(self, text: str) -> list[str]:
        """The question's features, in the index's vocabulary."""

    @abstractmethod
    def _feature_weight(self, f: str) -> float:
        """A feature's weight (IDF times its kind's factor)."""

    def _postings(self, f: str) -> dict[int, float]:
        return self._post.get(f) or {}

    # ---- shared ------------------------------------------------------------------------------------
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


class LexicalIndex(CoverageIndex):
    """Vietnamese: diacritic-insensitive syllables, syllable pairs and joined pairs ("khaisinh")."""

    weights: LexicalWeights

    def __init__(self, records: Iterable[Record], weights: LexicalWeights | None = None) -> None:
        self._vocab: set[str] = set()
        super().__init__(records, weights or LexicalWeights(), FIELD_WEIGHTS, _NAME_KINDS)
        self.vocab = frozenset(self._vocab)

    def _fields(self, rec: Record) -> Iterable[tuple[str, list[str]]]:
        for kind, text in _record_fields(rec):
            sylls = syllables(fold(text))
            self._vocab.update(sylls)
            yield kind, features(sylls, STOP_SYLLABLES)

    def idf(self, feature: str) -> float:
        idf = self._idf.get(feature)
        if idf is None and feature[0] in "uj":
            idf = self._idf.get(("j:" if feature[0] == "u" else "u:") + feature[2:])
        return self._idf_oov * self.weights.oov if idf is None else idf

    def _feature_weight(self, f: str) -> float:
        w = self.weights
        kind = f[0]
        factor = w.bigram if kind == "b" else w.joined if kind == "j" else 1.0
        if kind == "b":
            left, _, right = f[2:].partition("_")
            if left in STOP_SYLLABLES or right in STOP_SYLLABLES:
                factor *= w.stop_pair
        return self.idf(f) * factor

    def _postings(self, f: str) -> dict[int, float]:
        post = self._post.get(f)
        if post is None and f[0] in "uj":  # "khaisinh" as a word matches "khai sinh" and back
            post = self._post.get(("j:" if f[0] == "u" else "u:") + f[2:])
        return post or {}

    def query_features(self, text: str) -> list[str]:
        return list(dict.fromkeys(features(query_syllables(text, self.vocab), STOP_SYLLABLES)))


class LexicalScorer(Protocol):
    """A language's lexical index: procedure id -> 0..1 for the procedures the text shares words with."""

    def score(self, text: str) -> dict[str, float]: ...

    def evidence(self, text: str) -> dict[str, float]: ...
