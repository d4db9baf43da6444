"""English questions: the English lexical index and aspect words (the rest of the stack is shared).

Foreign residents ask in learner English with typos ("how much cost for mariage registration"), so
the Vietnamese syllable index is the wrong tool. ``EnglishIndex`` scores records by their English
fields (``title_en``, ``aliases_en``, ``text_en``/``say_en``) plus the folded Vietnamese names
(expats say "tam tru", "VNeID", "so do"):

* words are lower-cased, function words dropped, typos corrected against the bundle's English
  vocabulary (edit distance 1, or 2 for long words), then reduced to a *truncation stem* (light
  suffix stripping, then the first 5 letters: "registration"/"registered" → "regis",
  "marriage"/"married"/"marry" → "marri"); bigrams of consecutive content stems weigh more;
* a record scores by the IDF-weighted share of the question it explains plus the share of its best
  name (English title/alias or Vietnamese name) the question contains (0..1).

The ranking (lexical + nearest examples + E5 head, out-of-scope kinds) is ``retrieval``'s,
the same for both languages; ``CALIBRATION_EN`` is fitted on the dev sets (bench/tune_understand.py).
Pure: no I/O.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from knowledge.bundle.schema import Record
from knowledge.types import Aspect
from knowledge.understand.decide import Calibration, Thresholds
from knowledge.understand.lexical import CoverageIndex
from knowledge.understand.normalize import fold

_STOPWORDS = """
a an the and or but if so of to in on at by for from with without about into over under as than
is are was were be been being am do does did done doing have has had having get gets got getting
i me my mine myself we us our you your he him his she her it its they them their this that these
those there here what which who whom whose when where why how much many any some all each every
can could should would will shall may might must need needs needed want wants wanted like would
please tell know let help thanks thank hello hi sir madam ok okay yes no not also just only still
then now today very really more most one two go going make made take takes took give gives
ward office commune people committee hanoi vietnam vietnamese here there please kiosk
"""

STOP: frozenset[str] = frozenset(_STOPWORDS.split())

_CONTRACTIONS = (("what's", "what is"), ("i'm", "i am"), ("can't", "can not"), ("don't", "do not"),
                 ("doesn't", "does not"), ("i've", "i have"), ("it's", "it is"), ("where's", "where is"),
                 ("how's", "how is"), ("i'd", "i would"), ("won't", "will not"))
_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    """Lower-case ASCII words; Vietnamese diacritics folded ("Tạm trú" -> "tam", "tru")."""
    s = fold(text).replace("’", "'")
    for a, b in _CONTRACTIONS:
        s = s.replace(a, b)
    s = re.sub(r"'s\b", "", s)
    return _WORD.findall(s)


def stem(word: str) -> str:
    """Truncation stem: plural/past/-ing stripped, final y→i, first 5 letters."""
    w = word
    if len(w) > 4:
        for suf, rep in (("ies", "i"), ("ied", "i"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
            if w.endswith(suf) and not (suf == "s" and w.endswith("ss")) and len(w) - len(suf) >= 3:
                w = w[: len(w) - len(suf)] + rep
                break
    if w.endswith("y") and len(w) > 3:
        w = w[:-1] + "i"
    return w[:5]


def edit_distance(a: str, b: str, limit: int = 2) -> int:
    """Damerau-Levenshtein (adjacent swaps count 1), stopping early above ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def correct(word: str, vocab: dict[str, int]) -> str:
    """The vocabulary word a typo was meant to be ("mariage" -> "marriage"), or the word itself."""
    if word in vocab or len(word) < 4 or word.isdigit():
        return word
    limit = 1 if len(word) < 7 else 2
    best, best_key = word, (limit + 1, 0)
    for cand, count in vocab.items():
        if abs(len(cand) - len(word)) > limit or cand[0] != word[0]:
            continue
        d = edit_distance(word, cand, limit)
        key = (d, -count)
        if d <= limit and key < best_key:
            best, best_key = cand, key
    return best


# ---- aspect and out-of-scope phrase tables (English) ---------------------------------------------
ASPECTS_EN: tuple[tuple[Aspect, tuple[str, ...]], ...] = (
    (Aspect.TIME, ("how many days", "how many day", "how many weeks", "how long", "processing time",
                   "when can i get", "when will i get", "when do i get", "how fast", "how quickly",
                   "same day", "what time", "opening hours", "open on", "is open", "office open",
                   "opening time", "working hours", "close", "closed", "saturday", "sunday", "weekend",
                   "take time", "how soon")),
    (Aspect.FEE, ("how much", "cost", "costs", "fee", "fees", "price", "pay", "paid", "charge",
                  "is it free", "for free", "free of charge", "money", "expensive", "cheap", "dong", "vnd")),
    (Aspect.DOCUMENTS, ("documents", "document", "papers", "paper", "paperwork", "what do i need",
                        "what i need", "what should i bring", "what to bring", "bring", "required",
                        "requirements", "need to prepare", "prepare", "which documents", "what documents",
                        "form", "forms")),
    (Aspect.ONLINE, ("online", "internet", "website", "web site", "on my phone", "by phone", "app",
                     "electronically", "from home", "portal", "on vneid")),
    (Aspect.WHERE, ("where", "which office", "which place", "what office", "address", "location",
                    "go to", "where to", "which ward")),
    (Aspect.WHO, ("who can", "who should", "who must", "who is", "on behalf", "instead of",
                  "someone else", "can my", "eligible", "qualify", "am i allowed", "can a foreigner",
                  "can foreigners", "if parents", "if my")),
    (Aspect.STEPS, ("steps", "step by step", "process", "procedure", "how do i", "how can i", "how to",
                    "how do we", "how can we", "how does", "what should i do", "how register",
                    "how submit", "how get")),
)


def _phrase_re(phrases: Iterable[str]) -> re.Pattern[str]:
    alts = sorted({" ".join(words(p)) for p in phrases}, key=len, reverse=True)
    return re.compile(r"(?<!\S)(?:" + "|".join(re.escape(a) for a in alts) + r")(?!\S)")


_ASPECT_RES = tuple((a, _phrase_re(p)) for a, p in ASPECTS_EN)
# "how long does it cost" is rare; "how many days" must win over "how much"; "who" phrases are only
# consulted after fee/documents/time ("can my wife pay the fee" asks about the fee).
_ASPECT_ORDER = (Aspect.TIME, Aspect.FEE, Aspect.DOCUMENTS, Aspect.ONLINE, Aspect.WHO, Aspect.WHERE,
                 Aspect.STEPS)


_LEADING: tuple[tuple[str, Aspect], ...] = (
    ("how much", Aspect.FEE), ("how long", Aspect.TIME), ("how many day", Aspect.TIME),
    ("where", Aspect.WHERE), ("who", Aspect.WHO), ("what documents", Aspect.DOCUMENTS),
    ("which documents", Aspect.DOCUMENTS),
)


def detect_aspect_en(question: str) -> Aspect:
    """"how much is a birth certificate" -> FEE; default GENERAL.

    A leading question word decides ("where can I complain about slow paperwork" asks where); else
    the phrase tables in ``_ASPECT_ORDER``; a question ending in "free" asks about the fee.
    """
    text = " ".join(words(question))
    for prefix, aspect in _LEADING:
        if text == prefix or text.startswith(prefix + " "):
            return aspect
    found = {a for a, rx in _ASPECT_RES if rx.search(text)}
    if text.endswith(" free"):
        found.add(Aspect.FEE)
    for a in _ASPECT_ORDER:
        if a in found:
            if a is Aspect.STEPS and re.search(r"\b(how (do|can) (i|we) get|how get)\b", text):
                return Aspect.GENERAL  # "how do I get a red book": the whole procedure
            return a
    return Aspect.GENERAL


# ---- the English lexical index -------------------------------------------------------------------
FIELD_WEIGHTS_EN: dict[str, float] = {"name": 1.0, "name_vi": 0.8, "summary": 0.6, "body": 0.3}
_NAME_KINDS_EN = frozenset({"name", "name_vi"})


def _record_fields_en(rec: Record) -> Iterable[tuple[str, str]]:
    if rec.title_en:
        yield "name", rec.title_en
    for a in rec.aliases_en:
        yield "name", a
    yield "name_vi", rec.title
    for a in rec.aliases:
        yield "name_vi", a
    for f in rec.facts():
        kind = "summary" if f is rec.summary else "body"
        for t in (f.text_en, f.say_en):
            if t:
                yield kind, t


@dataclass(frozen=True, slots=True)
class EnglishWeights:
    """Fitted on the English tune split (bench/bench_english.py --tune)."""

    bigram: float = 1.5
    oov: float = 0.3  # question words no record has (context: "my wife", "last week")
    query_coverage: float = 0.55
    name_coverage: float = 0.45


def content_stems(text: str, vocab: dict[str, int] | None = None) -> list[str]:
    out = []
    for w in words(text):
        if w in STOP or len(w) < 2:
            continue
        if vocab is not None:
            w = correct(w, vocab)
            if w in STOP:
                continue
        out.append(stem(w))
    return out


def _features(stems: list[str]) -> list[str]:
    feats = [f"u:{s}" for s in stems]
    feats += [f"b:{a}_{b}" for a, b in itertools.pairwise(stems)]
    return list(dict.fromkeys(feats))


class EnglishIndex(CoverageIndex):
    """English: stems and stem pairs of the records' English (and Vietnamese-name) fields, scored by
    the shared coverage (``knowledge.understand.lexical.CoverageIndex``)."""

    weights: EnglishWeights

    def __init__(self, records: Iterable[Record], weights: EnglishWeights | None = None) -> None:
        self._vocab: dict[str, int] = defaultdict(int)
        super().__init__(records, weights or EnglishWeights(), FIELD_WEIGHTS_EN, _NAME_KINDS_EN)
        self.vocab = dict(self._vocab)

    def _fields(self, rec: Record) -> Iterable[tuple[str, list[str]]]:
        for kind, text in _record_fields_en(rec):
            for w in words(text):
                if w not in STOP:
                    self._vocab[w] += 1
            yield kind, _features(content_stems(text))

    def _feature_weight(self, f: str) -> float:
        idf = self._idf.get(f)
        base = self._idf_oov * self.weights.oov if idf is None else idf
        return base * (self.weights.bigram if f.startswith("b:") else 1.0)

    def query_features(self, question: str) -> list[str]:
        return _features(content_stems(question, self.vocab))


# Fitted on the English dev questions (bench/tune_understand.py); see docs/benchmarks.md.
CALIBRATION_EN = Calibration(slope=1.806, center=-0.4179, margin_gain=1.976)


@dataclass
class EnglishLexicon:
    """What is English about one bundle: its English lexical index and calibration. Ranking, the
    out-of-scope kinds and the decision are the shared stack's (``retrieval``/``decide``)."""

    records: Iterable[Record]
    weights: EnglishWeights = field(default_factory=EnglishWeights)
    thresholds: Thresholds = field(default_factory=lambda: Thresholds(calibration=CALIBRATION_EN))

    def __post_init__(self) -> None:
        self.index = EnglishIndex(self.records, self.weights)


def english_openers(records: Iterable[Record]) -> list[str]:
    """The first sentence of every English answer the template answerer can give for these records,
    plus the English refusals (what ``speech.tts.phrase_cache`` synthesises ahead of time)."""
    from knowledge.answer import REFER_EN, TemplateAnswerer

    answerer = TemplateAnswerer()
    out: dict[str, None] = dict.fromkeys(REFER_EN.values())
    for rec in records:
        for aspect in Aspect:
            answer = answerer.answer("", rec, aspect, language="en")
            if answer.sentences:
                out[answer.sentences[0]] = None
    return list(out)
