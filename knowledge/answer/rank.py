"""Which units answer the question: a learned fusion of similarity, wording and the ask. Pure.

Every unit of the chosen record gets a feature vector (``unit_features``):

* ``sem_z`` / ``sem_top``: the E5 cosine of question and unit, standardised over the record's units
  and as the gap to the record's best (times 10) (absent without embeddings: the ``lexical`` weights apply);
* ``lex`` / ``lex_fold``: the share of the question's content syllables (and syllable pairs) found in
  the unit, with and without diacritics (questions typed without them), the procedure's own name
  words left out; for English questions, word stems against the unit's English text;
* ``prior`` / ``cue`` / ``own``: what ``select.asks`` reads from the question (the field the ask is
  usually answered in, the ask's cue in the unit, the ask's own field);
* ``aspect``: the unit's field is the one the retrieval's aspect reads;
* ``qnum``: the question asks for a quantity (how many days, how much, which form number) and the
  unit states a number; ``measure``: the question counts in a unit ("17 tuổi", "mấy ngày", "how many
  days") that the unit states a number of; ``say``: a curated say form or a one-sentence fact;
  ``dpen``: a processing time offered to a deadline question;
* ``ask_field`` / ``ask_kinds`` (method 6): what the question's E5 vector says it asks for, the
  unit's field and the kinds of value it states (``knowledge.answer.asked``; 0 without embeddings).
* ``ask_match`` (method 7): a learned match of the question's and the unit's E5 vectors,
  standardised over the record's units (``knowledge.answer.match``; 0 without embeddings).
* for an English question the asks come from English wording (``asks_en``, ``CUE_EN``) and the
  units from the facts' English text; the weights are the same.

Method 2 (``learned``, the default when ``fact_model.json`` ships): the dense weights come from that
file, and the score adds learned weights for pairs of a question term and a unit descriptor
(``kinds``: the kinds of value the unit states), fitted by ``bench/fit_fact_model.py``
leave-one-set-out; the regex asks are one more question term there. Method 4 adds question terms
shared across languages and English dense weights of their own (``FactModel.dense_en``, added to
the dense weights for an English question; see ``learned``). Method 1 (below) is the fallback.

The score is the weighted sum; the weights (``WEIGHTS``, ``WEIGHTS_LEXICAL``) are fitted by
``bench/fit_fact_ranker.py`` (softmax over a record's units; the label is "the unit says one of the
question's expected strings"), with k-fold cross-validation across questions. ``choose`` keeps the
best unit plus the runner-ups from other facts whose softmax share is at least ``KEEP`` of the
best's, up to ``MAX_FACTS``.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from knowledge.answer.asked import Asked
from knowledge.answer.confirm import yes_no_frame
from knowledge.answer.facts import FactUnit
from knowledge.answer.learned import FactModel, load_models, pair_scores, question_terms, unit_descriptors
from knowledge.answer.select import CUE, FIELD_PRIOR, OWN_DEADLINE, SPECIFIC, Ask, lexical_overlap
from knowledge.bundle.schema import Status, numbers_in
from knowledge.types import Aspect
from knowledge.understand.normalize import fold_diacritics, normalize_vi

FEATURES = ("sem_z", "sem_top", "lex", "lex_fold", "prior", "cue", "own", "aspect", "qnum", "measure", "say",
            "dpen", "ask_field", "ask_kinds", "ask_match")

# Fitted by bench/fit_fact_ranker.py (see its report for the cross-validated figures).
WEIGHTS: dict[str, float] = {
    "sem_z": 1.243, "sem_top": 0.699, "lex": 1.714, "lex_fold": 3.071, "prior": 1.926, "cue": 1.779,
    "own": 0.367, "aspect": 2.321, "qnum": 1.942, "measure": 1.605, "say": 0.0, "dpen": -0.787,
}
WEIGHTS_LEXICAL: dict[str, float] = {  # no embeddings (E5 absent or still warming up)
    "sem_z": 0.0, "sem_top": 0.0, "lex": 4.346, "lex_fold": 5.155, "prior": 1.894, "cue": 1.672,
    "own": 0.778, "aspect": 2.077, "qnum": 2.474, "measure": 2.23, "say": 0.0, "dpen": -1.319,
}
# Method 2 (``learned``): fitted dense weights plus question-term × unit-kind pairs, when the fitted
# file is there; ``bench/fit_fact_model.py`` swaps these per cross-validation fold.
MODELS: dict[str, FactModel] = dict(load_models())
KEEP = 0.3  # a runner-up from another fact is spoken when its share is at least this of the best's
MAX_FACTS = 3

ASPECT_FIELDS: dict[Aspect, frozenset[str]] = {
    Aspect.FEE: frozenset({"fee", "fee/details", "fee/exemptions"}),
    Aspect.TIME: frozenset({"processing_time"}), Aspect.WHERE: frozenset({"where"}),
    Aspect.WHO: frozenset({"who"}), Aspect.ONLINE: frozenset({"online"}),
    Aspect.DOCUMENTS: frozenset({"documents"}), Aspect.STEPS: frozenset({"steps"}),
}

# A question for a quantity: Vietnamese (with diacritics, and folded when typed without), English.
_QTY_VI = re.compile(r"\b(?:mấy|bao nhiêu|bao lâu|bao giờ|mức|phần trăm|tối đa|tối thiểu|ít nhất|số mấy)\b")
_QTY_FOLDED = re.compile(r"\b(?:may|bao nhieu|bao lau|bao gio|muc|phan tram|toi da|toi thieu)\b")
_QTY_EN = re.compile(r"\b(?:how (?:many|much|long|old|soon)|what age|when|deadline|percent|minimum|"
                     r"maximum|number|cost|fee|price|days?|months?|years?)\b")
_DIGIT = re.compile(r"\d")
_EN_STOP_WORDS = """a an the of to for in on at by with from and or is are was be been do does did i my me
we our you your he his she her it its they their this that these there what which who whom how can
could should must may might will would have has had need needs get got go going if than then so about
into after before as not no yes please want like am"""
_EN_STOP = frozenset(_EN_STOP_WORDS.split())


def _en_stems(text: str) -> list[str]:
    words = re.findall(r"[a-z0-9]+", fold_diacritics(text).lower())
    return [w[:5] for w in words if w not in _EN_STOP]


# Does the question ask for one value (a number, a place, a yes or no) rather than a list or a how-to?
_ONE_VALUE_VI = re.compile(r"\b(?:mấy|bao nhiêu|bao lâu|bao giờ|khi nào|ai|đâu|nào|gì|số mấy)\b")
_LIST_VI = re.compile(r"\b(?:những gì|những giấy|gồm|các bước|thế nào|làm sao|ra sao|thủ tục gì)\b")
_COUNT_VI = re.compile(r"\b(?:mấy|bao nhiêu|nào|số mấy)\b")
_ONE_VALUE_FOLDED = re.compile(r"\b(?:may|bao nhieu|bao lau|bao gio|khi nao|ai|o dau|nao)\b|"
                               r"\b(?:khong|ko|k)$")
_LIST_FOLDED = re.compile(r"\b(?:nhung gi|gom|cac buoc|the nao|lam sao|ra sao)\b")
_LIST_EN = re.compile(r"\b(?:what|which) (?:documents|papers)\b|\bhow (?:do|can|should|to)\b|\bsteps?\b|"
                      r"\bprocedure\b|\bprocess\b")


def wants_one_value(question: str, language: str = "vi", *, lists: bool = False) -> bool:
    """The question asks for one value (how many days, which office, who signs, yes or no), not
    for the procedure or a list. ``lists``: the question is about documents or steps, where only a
    count ("mấy bộ") or a choice ("số nào") asks for one value."""
    if language == "en":
        return not _LIST_EN.search(question.lower())
    q = normalize_vi(question)
    folded = fold_diacritics(q)
    if folded == q:  # typed without diacritics
        return not _LIST_FOLDED.search(q) and bool(_ONE_VALUE_FOLDED.search(q))
    if _LIST_VI.search(q):
        return False
    if lists:
        return bool(_COUNT_VI.search(q)) or yes_no_frame(question) is not None
    return bool(_ONE_VALUE_VI.search(q)) or yes_no_frame(question) is not None


# Measure words: a number of days, months, years of age, đồng, copies, sets, times, people, pages, hours.
_MEASURE_WORDS = """ngay thang nam tuoi dong d ban bo lan nguoi trang gio phan
day month year old vnd dong copy set time person people page hour percent"""
_MEASURES = frozenset(_MEASURE_WORDS.split())
_Q_MEASURE = re.compile(r"(?:\d+|may|bao nhieu|how many|how much)\s+(\w+)")
_U_MEASURE = re.compile(r"\d+(?:[.,]\d+)*\s*(%|\w+)")


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def measures(text: str, *, question: bool) -> frozenset[str]:
    """The measure words counted in ``text`` (folded, singular): after a number, or, in a question,
    after "mấy" / "bao nhiêu" / "how many"; "how old" and "tuổi" count years of age."""
    t = fold_diacritics(text.lower())
    rx = _Q_MEASURE if question else _U_MEASURE
    found = {_singular(m) for m in rx.findall(t)}
    found = {"phan" if m == "%" else m for m in found}
    if question and re.search(r"\bhow old\b|\bwhat age\b|\bage\b", t):
        found |= {"year", "old"}
    return frozenset(found & _MEASURES)


# English questions: the same asks, read from English wording (the field priors are shared).
_LEGAL_DOC_EN = (r"(?:(?<!-)laws?|decrees?|circulars?|articles?|regulations?|decisions?|resolutions?|"
                 r"legislation|legal documents?|statutes?)")
_ASKS_EN: tuple[tuple[Ask, re.Pattern[str]], ...] = (
    # which document the procedure rests on ("which decree governs …", "the legal basis")
    (Ask.LEGAL, re.compile(rf"\b(?:which|what) (?:[\w'-]+ ){{0,3}}?{_LEGAL_DOC_EN}\b"
                           r"(?! (?:do|will|can) (?:i|we)\b)|"
                           r"\blegal (?:basis|grounds?)\b|"
                           rf"\b{_LEGAL_DOC_EN} (?:number|no\.?) ")),
    # who pays nothing: an exemption, or a waiver for a group ("are poor households exempt")
    (Ask.EXEMPT, re.compile(r"\bexempt|\bwaive|\bfree of charge\b|\b(?:do(?:es)?n't|do(?:es)? not|never) "
                            r"(?:have to |need to )?pay\b|\bpay nothing\b|\bfee (?:exemption|waiver)")),
    (Ask.VALIDITY, re.compile(r"\bvalid|\bexpir|\bvalidity\b")),
    (Ask.AMOUNT, re.compile(r"\bhow much\b|\bfee\b|\bcost\b|\bpay\b|\bprice\b|\bfree\b")),
    (Ask.DEADLINE, re.compile(r"\b(?:have to|must|deadline|within|too late|late|overdue|fine)\b")),
    (Ask.PROCESSING, re.compile(r"\bhow long\b|\bhow many (?:working )?days\b|\bsame day\b|\btoday\b|"
                                r"\bwhen\b.*\b(?:get|receive|ready)\b")),
    (Ask.AGE, re.compile(r"\bhow old\b|\bage\b|\byears old\b")),
    (Ask.PROXY, re.compile(r"\bon (?:my|his|her) behalf\b|\binstead\b|\bsomeone else\b|\bauthori[sz]")),
    (Ask.ONLINE, re.compile(r"\bonline\b|\bwebsite\b|\bapp\b|\bphone\b|\bportal\b|\bvneid\b")),
    (Ask.WHERE, re.compile(r"\bwhere\b|\bwhich office\b|\bwhich ward\b")),
    (Ask.COPIES, re.compile(r"\bcop(?:y|ies)\b|\boriginal\b")),
)
CUE_EN: dict[Ask, re.Pattern[str]] = {
    Ask.DEADLINE: re.compile(r"\bwithin \d+ days\b(?! working)|\bof the (?:death|birth)\b|\bno later than\b|"
                             r"\bmust register\b|\bdeadline\b|\blate\b"),
    Ask.PROCESSING: re.compile(r"\bworking days?\b|\bsame day\b|\bimmediately\b|\bnext working day\b"),
    Ask.VALIDITY: re.compile(r"\bvalid\b|\bexpir"),
    Ask.AGE: re.compile(r"\b\d+ years? old\b|\baged? \d+|\bunder \d+|\bfrom \d+\b"),
    Ask.AMOUNT: re.compile(r"\bvnd\b|\bfee\b|\bfree\b|\bexempt"),
    Ask.EXEMPT: re.compile(r"\bexempt|\bfree\b|\bno fee\b|\bwaive|\bnot charged\b"),
    Ask.PROXY: re.compile(r"\bauthori[sz]|\bon behalf\b|\brelative\b|\bgrandparent"),
    Ask.ONLINE: re.compile(r"\bonline\b|\bportal\b|\bvneid\b|\bdichvucong\b"),
    Ask.WHERE: re.compile(r"\bpeople's committee\b|\bpolice\b|\bcentre\b|\boffice\b"),
    Ask.COPIES: re.compile(r"\bcop(?:y|ies)\b|\boriginal\b"),
}


# The groups fee rules exempt (poor households, people with disabilities, people with meritorious
# service, ethnic minorities, students, the elderly): a fee question naming one asks about its exemption.
_EXEMPT_GROUP_EN = re.compile(
    r"\b(?:poor|near-poor|low-income) (?:households?|famil\w*|people|persons?)\b|\bdisab\w*|\bhandicap\w*|"
    r"\bveterans?\b|\bwar (?:invalids?|martyrs?)\b|\bmeritorious\b|\bethnic minorit\w*|\bstudents?\b|"
    r"\b(?:elderly|old|senior) (?:people|persons?|citizens?)\b")

_FEE_WORD_EN = re.compile(r"\bfees?\b|\bcharge|\bpay\b|\bfree\b|\bcost")


def asks_en(question: str, title: str = "") -> tuple[Ask, ...]:
    """What an English question asks, most specific first; ``(GENERAL,)`` when nothing specific.
    An amount comes before a deadline: "how much is the fee for a late registration". A fee question
    that names a group fee rules exempt asks about the exemption, unless the group names the
    procedure (``title``: "poor household recognition")."""
    q = question.lower()
    found = [ask for ask, rx in _ASKS_EN if rx.search(q)]
    group = _EXEMPT_GROUP_EN.search(q)
    if (Ask.AMOUNT in found and Ask.EXEMPT not in found and group and group.group(0) not in title.lower()
            and _FEE_WORD_EN.search(q)):  # a fee, not an allowance ("how much is the pension for old people")
        found.insert(0, Ask.EXEMPT)
    if Ask.DEADLINE in found and Ask.PROCESSING in found:
        found.remove(Ask.PROCESSING)
    if Ask.VALIDITY in found:
        found = [a for a in found if a not in (Ask.PROCESSING, Ask.DEADLINE)]
    if Ask.EXEMPT in found and Ask.AMOUNT in found:
        found.remove(Ask.AMOUNT)
    return tuple(found) or (Ask.GENERAL,)


def english_overlap(question: str, text: str, exclude: frozenset[str] = frozenset()) -> float:
    """Share of the question's content word stems (first five letters) found in ``text``; two words
    of the text written as one count too ("Hà Nội" / "Hanoi", "e-mail" / "email"). ``exclude``: the
    stems of the procedure's own name (``name_stems_en``): they name the record, not one of its facts
    (left out for the fee lines only: other facts use the name as their subject)."""
    q = set(_en_stems(question)) - exclude
    if not q:
        return 0.0
    words = re.findall(r"[a-z0-9]+", fold_diacritics(text).lower())
    t = {w[:5] for w in words if w not in _EN_STOP} | {(a + b)[:5] for a, b in itertools.pairwise(words)}
    return len(q & t) / len(q)


NAME_STEM_SHARE = 0.2  # as ``select.NAME_WORD_SHARE``


def name_stems_en(title: str, units: Sequence[FactUnit]) -> frozenset[str]:
    """As ``_name_stems_en``, cached per record (its title and units)."""
    return _name_stems_en(title, tuple(units))


@functools.lru_cache(maxsize=256)
def _name_stems_en(title: str, units: tuple[FactUnit, ...]) -> frozenset[str]:
    """The word stems of the procedure's English title found in at least ``NAME_STEM_SHARE`` of its
    English units ("certi", "contr" for "Certification of contracts"): they do not tell its facts
    apart ("fee to fix an error in a certified contract" is about the error, not the contract)."""
    stems = set(_en_stems(title))
    if not stems or not units:
        return frozenset()
    texts = [{w[:5] for w in re.findall(r"[a-z0-9]+", fold_diacritics(u.match).lower())} for u in units]
    return frozenset(s for s in stems if sum(s in t for t in texts) >= NAME_STEM_SHARE * len(texts))


def asks_quantity(question: str, language: str = "vi") -> bool:
    if language == "en":
        return bool(_QTY_EN.search(question.lower()))
    q = normalize_vi(question)
    if _QTY_VI.search(q):
        return True
    folded = fold_diacritics(q)
    return folded == q and bool(_QTY_FOLDED.search(folded))  # typed without diacritics


@dataclass(frozen=True, slots=True)
class Ranked:
    unit: FactUnit
    score: float
    share: float  # softmax share among the record's units


def unit_features(question: str, units: Sequence[FactUnit], ask_list: Sequence[Ask], *,
                  aspect: Aspect = Aspect.GENERAL, cosines: Mapping[str, float] | None = None,
                  exclude: frozenset[str] = frozenset(), language: str = "vi",
                  asked: Asked | None = None,
                  matches: Sequence[float] | None = None) -> list[dict[str, float]]:
    """One feature dict per unit (``FEATURES``), in the units' order; ``matches``: ``ask_match``."""
    en = language == "en"
    cos = [cosines.get(u.id) for u in units] if cosines else [None] * len(units)
    known = [c for c in cos if c is not None]
    mean = sum(known) / len(known) if known else 0.0
    sd = math.sqrt(sum((c - mean) ** 2 for c in known) / len(known)) if len(known) > 1 else 0.0
    top = max(known) if known else 0.0
    qty = asks_quantity(question, language)
    q_measures = measures(question, question=True)
    primary = ask_list[0] if ask_list else Ask.GENERAL
    specific = [a for a in ask_list if a in SPECIFIC]
    qfold = " ".join(fold_diacritics(w) for w in normalize_vi(question).split())
    excl_fold = frozenset(fold_diacritics(w) for w in exclude)
    aspect_fields = ASPECT_FIELDS.get(aspect, frozenset())
    read = asked.unit_values(units) if asked is not None else [(0.0, 0.0)] * len(units)
    matched = list(matches) if matches is not None else [0.0] * len(units)
    out: list[dict[str, float]] = []
    for u, c, (ask_field, ask_kinds), ask_match in zip(units, cos, read, matched, strict=True):
        match = normalize_vi(u.match)
        prior = 0.0
        cue = own = False
        cues = CUE_EN if en else CUE
        text = u.match.lower() if en else match
        for rank, ask in enumerate(specific):
            weight = 1.0 if rank == 0 else 0.5
            fp = FIELD_PRIOR.get(ask, {}).get(u.field, 0.0)
            prior = max(prior, weight * fp)
            if fp >= 1.0 and rank == 0:
                own = True
            rx = cues.get(ask)
            if rx is not None and rx.search(text):
                cue = cue or rank == 0 or ask is primary
                prior = max(prior, weight * 0.3)
        if en:
            # among the fee lines the procedure's own name prices every line: the case asked decides
            lex = english_overlap(question, u.match, exclude if u.field.startswith("fee") else frozenset())
            lex_fold = lex
        else:
            lex = lexical_overlap(question, u.match, exclude)
            lex_fold = lexical_overlap(qfold, fold_diacritics(match), excl_fold)
        out.append({
            "sem_z": ((c - mean) / sd) if c is not None and sd > 0 else 0.0,
            "sem_top": 10 * (c - top) if c is not None else 0.0,  # cosines differ by hundredths
            "lex": lex, "lex_fold": lex_fold, "prior": prior, "cue": float(cue), "own": float(own),
            "aspect": float(u.field in aspect_fields),
            "qnum": float(qty and bool(_DIGIT.search(u.spoken))),
            "measure": float(bool(q_measures & measures(u.spoken, question=False))),
            "say": float("#" not in u.id and not re.search(r"@en\d", u.id)),
            "dpen": float(primary is Ask.DEADLINE and not en and "ngày làm việc" in match
                          and not OWN_DEADLINE.search(match))
            + float(primary is Ask.DEADLINE and en and "working day" in text and "within" not in text),
            "ask_field": ask_field, "ask_kinds": ask_kinds, "ask_match": ask_match,
        })
    return out


def rank_units(question: str, units: Sequence[FactUnit], ask_list: Sequence[Ask], *,
               aspect: Aspect = Aspect.GENERAL, cosines: Mapping[str, float] | None = None,
               exclude: frozenset[str] = frozenset(), language: str = "vi",
               weights: Mapping[str, float] | None = None, asked: Asked | None = None,
               matches: Sequence[float] | None = None) -> list[Ranked]:
    """Every unit with its score and softmax share, best first (ties keep record order).
    ``weights``: method 1's dense weights only (else the fitted method 2 model when present)."""
    if not units:
        return []
    model = None if weights else MODELS.get("semantic" if cosines else "lexical")
    w = weights or (model.dense if model else (WEIGHTS if cosines else WEIGHTS_LEXICAL))
    feats = unit_features(question, units, ask_list, aspect=aspect, cosines=cosines, exclude=exclude,
                          language=language, asked=asked, matches=matches)
    if model is not None and model.dense_en and language == "en":
        w = {k: w.get(k, 0.0) + model.dense_en.get(k, 0.0) for k in FEATURES}
    scores = [sum(w.get(k, 0.0) * v for k, v in f.items()) for f in feats]
    if model is not None and model.pairs:
        terms = question_terms(question, language=language, exclude=exclude,
                               asks=[a.value for a in ask_list if a is not Ask.GENERAL], aspect=aspect.value)
        scores = [s + p for s, p in zip(scores, pair_scores(terms, unit_descriptors(units), model.pairs),
                                        strict=True)]
    top = max(scores)
    exps = [math.exp(s - top) for s in scores]
    total = sum(exps)
    ranked = [Ranked(u, round(s, 6), e / total) for u, s, e in zip(units, scores, exps, strict=True)]
    order = sorted(range(len(ranked)), key=lambda i: (-ranked[i].score, i))
    return [ranked[i] for i in order]


def choose(ranked: Sequence[Ranked], *, keep: float = KEEP, max_facts: int = MAX_FACTS) -> list[Ranked]:
    """The best sourced unit, then runner-ups from other facts within ``keep`` of its share.

    A fact is spoken once; an unsourced unit never; a unit that only repeats numbers already said
    ("15 ngày" in the summary and in who) is skipped."""
    chosen: list[Ranked] = []
    facts: set[str] = set()
    said: set[str] = set()
    for r in ranked:
        if r.unit.status is Status.UNSOURCED or not r.unit.spoken or r.unit.fact_id in facts:
            continue
        if chosen and (r.share < keep * chosen[0].share or len(chosen) >= max_facts):
            break
        nums = numbers_in(r.unit.spoken)
        if chosen and nums and nums <= said:
            continue
        said |= nums
        chosen.append(r)
        facts.add(r.unit.fact_id)
    return chosen
