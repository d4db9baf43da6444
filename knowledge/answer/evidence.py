"""``EvidenceAnswerer``: answer the exact question with the record's own sourced sentences.

The default answerer. For a specific ask (deadline, processing time, validity, age, amount,
exemption, copies, who may go instead, online, where, conditions, result), and for any question
that asks for one value (``rank.wants_one_value``: how many, which, who, yes or no), it ranks the
record's units (``rank``: E5 similarity, wording, the ask and the aspect fused with fitted weights)
and speaks the best one, plus the runner-ups from other facts when the margin is small (up to 3),
in their own words (``say`` form or the sourced sentence), an uncertain one hedged, an unsourced one
never; a yes/no question gets a "Được." / "Không." only when ``confirm`` proves it from the chosen
fact. An English question is answered the same way from the facts' English text (no yes/no word).
Lists (documents, steps) and general questions are read by the ``TemplateAnswerer``. Every
answer carries the ids of the facts it spoke (``Answer.facts``) and its timings.

``speak_units`` is shared with the LLM path: the model chooses ids, this composes the same way.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from knowledge.answer.asked import Asked, AskedModel, load_asked
from knowledge.answer.confirm import spoken_word
from knowledge.answer.facts import (
    FactUnit,
    citation_unit,
    english_units,
    fact_units,
    legal_units,
    sentences_of,
)
from knowledge.answer.legal import asks_article, choose_legal, cites_what_is_named
from knowledge.answer.match import MatchModel, load_match
from knowledge.answer.rank import (
    CUE_EN,
    KEEP,
    Ranked,
    asks_en,
    choose,
    name_stems_en,
    rank_units,
    wants_one_value,
)
from knowledge.answer.select import CUE, FIELD_PRIOR, SPECIFIC, Ask, asks, name_words
from knowledge.answer.template import (
    HEDGE_END_EN,
    HEDGE_END_VI,
    HEDGE_PREFIX_EN,
    HEDGE_PREFIX_VI,
    MAX_SENTENCES,
    MAX_TITLE_PREFIX,
    TemplateAnswerer,
    _end,
    _lower_first,
)
from knowledge.bundle.schema import Record, Status
from knowledge.types import Answer, Aspect, Verdict
from knowledge.understand.normalize import fold, normalize_vi

log = logging.getLogger(__name__)

CARD_SHOWN_EN = "The Vietnamese card is shown on the screen."

# The lexical ranking's best share from which E5 is not asked (5-fold CV on the dev fact sets: 82 % of
# questions skip it at the same top-1 accuracy, 0.876, as asking it always; 0.4 skips 71 %, also 0.876).
SURE_SHARE = 0.3
FLOOR_SHARE = 0.1  # a question not read as a specific ask gets facts only when the best has this share

ASK_TOPIC_VI: dict[Ask, str] = {
    Ask.DEADLINE: "thời hạn phải làm", Ask.PROCESSING: "thời gian giải quyết",
    Ask.VALIDITY: "thời hạn giá trị của giấy tờ", Ask.AGE: "độ tuổi", Ask.AMOUNT: "lệ phí",
    Ask.BENEFIT: "mức được hưởng",
    Ask.EXEMPT: "việc miễn lệ phí", Ask.COPIES: "số bản giấy tờ", Ask.PROXY: "việc làm thay",
    Ask.ONLINE: "việc nộp trực tuyến", Ask.WHERE: "nơi làm", Ask.CONDITION: "điều kiện",
    Ask.RESULT: "kết quả nhận được", Ask.DOCUMENTS: "giấy tờ", Ask.STEPS: "các bước",
    Ask.LEGAL: "căn cứ pháp lý", Ask.GENERAL: "việc này",
}
REFER_END_VI = "Xin mời hỏi cán bộ tại quầy."
REFER_END_EN = "Please ask the staff at the counter."
# An unsourced fact that says what is missing ("Chưa tìm được nguồn cho …"): the kiosk may say so.
_ABSENCE = re.compile(r"^(?:hiện )?chưa (?:tìm được|tìm thấy|có) (?:nguồn|thông tin|văn bản)|"
                      r"^no (?:official )?source|^not found", re.IGNORECASE)


class SemanticScorer(Protocol):
    """E5 similarity of a question with fact units (``knowledge.answer.semantic``; none in tests)."""

    def cosines(self, question: str, units: Sequence[FactUnit]) -> Mapping[str, float]: ...
    def question_vector(self, question: str) -> Sequence[float] | None: ...
    def unit_vectors(self, units: Sequence[FactUnit]) -> Mapping[str, Sequence[float]]: ...
    def ready_for(self, units: Sequence[FactUnit]) -> bool: ...
    def warm(self, records: Iterable[Record]) -> None: ...


def no_info_sentence(record: Record, ask: Ask) -> str:
    which = (f"thủ tục {_lower_first(record.title)}" if len(record.title) <= MAX_TITLE_PREFIX
             else "thủ tục này")
    return (f"Máy chưa có thông tin chính thức về {ASK_TOPIC_VI[ask]} của {which}, "
            "xin mời hỏi cán bộ tại quầy.")


def no_info_sentence_en(record: Record, ask: Ask) -> str:
    title = record.title_en or record.title
    which = title if len(title) <= MAX_TITLE_PREFIX else "this procedure"
    topic = "the legal basis" if ask is Ask.LEGAL else "this"
    return (f"The kiosk has no official information about {topic} for {which}; "
            "please ask the staff at the counter.")


def speak_units(question: str, record: Record, units: Sequence[FactUnit], *,
                proposed: str | None = None, language: str = "vi",
                lead: bool = True) -> tuple[list[str], list[str], list[str], bool, str]:
    """Compose the spoken sentences from chosen units (best first).

    Returns (sentences, fact ids, sources, hedged, yes/no word). Fixed connectives only: the
    title before the first fact, "Theo thông tin tham khảo," before an uncertain one, the closing
    "Xin hỏi lại cán bộ…" after it, and the yes/no word the check confirmed (Vietnamese only; an
    English answer of English units gets the English hedges and no yes/no word). ``lead``: the
    units open the answer (False: something is said before them, so no title and no yes/no word)."""
    en = language == "en"
    title = (record.title_en or record.title) if en else record.title
    prefix, closing = (HEDGE_PREFIX_EN, HEDGE_END_EN) if en else (HEDGE_PREFIX_VI, HEDGE_END_VI)
    sentences: list[str] = []
    ids: list[str] = []
    sources: list[str] = []
    hedged = False
    usable = [u for u in units if u.status is not Status.UNSOURCED and u.spoken]
    word = ""
    if usable and not en and lead:
        first = usable[0]
        word = spoken_word(question, first.spoken, proposed)
        if not word and "#" not in first.id:
            word = spoken_word(question, first.text, proposed)
    for u in usable:
        hedge = u.status is Status.UNCERTAIN
        room = MAX_SENTENCES - len(sentences) - (1 if hedged or hedge else 0)
        if room < 1:
            break
        text = u.spoken
        if hedge:
            text = prefix + _lower_first(text)
            hedged = True
        if not sentences:
            if word:
                text = f"{word[:-1]}, {_lower_first(text)}"
            elif lead and len(title) <= MAX_TITLE_PREFIX and fold(title) not in fold(text) and not hedge:
                text = f"{title}: {_lower_first(text)}"
        sentences.append(_end(text))
        ids.append(u.id)
        sources.extend(s for s in u.sources if s not in sources)
    if hedged:
        sentences.append(closing)
    return sentences, ids, sources, hedged, word


def _unsourced_own_field(ask: Ask, ranked: Sequence[Ranked], best: FactUnit, en: bool) -> FactUnit | None:
    """The unsourced unit of the ask's own field (the processing time for "how long does it take"),
    when every unit of that field is unsourced and the best sourced unit does not state what is
    asked (no cue of the ask in it): the record says it does not know, so the kiosk says that."""
    fields = {f for f, w in FIELD_PRIOR.get(ask, {}).items() if w >= 1.0}
    own = [r for r in ranked if r.unit.field in fields]
    if not own or any(r.unit.status is not Status.UNSOURCED for r in own):
        return None
    top = next((r for r in ranked if r.unit is best), None)
    if top is None or own[0].share < KEEP * top.share:  # the ask may be misread: the ranking disagrees
        return None
    cue = (CUE_EN if en else CUE).get(ask)
    if cue is None or cue.search(best.match.lower() if en else normalize_vi(best.match)):
        return None
    return own[0].unit


def absence_text(unit: FactUnit, en: bool = False) -> str:
    """The sentence of an unsourced unit that says what has no source ("Chưa tìm được nguồn cho …"),
    or "" when its text says something else (then it is never spoken)."""
    text = unit.spoken_en if en else (sentences_of(unit.text) or [unit.text])[0]
    # only what has no source: a remark in brackets or a further clause is no statement to speak
    text = re.split(r"\s*[(;]", text, maxsplit=1)[0].strip()
    return text if unit.status is Status.UNSOURCED and _ABSENCE.search(text) else ""


def _absence_sentence(record: Record, unit: FactUnit, en: bool) -> str:
    """What the record has no source for, in its own words, after the procedure's name."""
    text = absence_text(unit, en)
    title = (record.title_en or record.title) if en else record.title
    if len(title) <= MAX_TITLE_PREFIX and fold(title) not in fold(text):
        return f"{title}: {_lower_first(text)}"
    return text


class EvidenceAnswerer:
    """Pick the record's facts that answer the question; speak them as the record words them."""

    name = "evidence"

    def __init__(self, template: TemplateAnswerer | None = None, semantic: SemanticScorer | None = None,
                 clock: Callable[[], float] = time.perf_counter, asked: AskedModel | None = None,
                 match: MatchModel | None = None) -> None:
        self.template = template or TemplateAnswerer()
        self.semantic = semantic
        self.clock = clock
        self.asked = asked if asked is not None else load_asked()
        self.match = match if match is not None else load_match()

    def _asked(self, question: str) -> Asked | None:
        """What the question's E5 vector says it asks for (the vector ``cosines`` just computed)."""
        if self.asked is None or self.semantic is None:
            return None
        vector = self.semantic.question_vector(question)
        return self.asked.read(vector) if vector is not None else None

    def _matches(self, question: str, units: Sequence[FactUnit]) -> list[float] | None:
        """Method 7's learned match of the question with each unit (None without the model or vectors)."""
        if self.match is None or self.semantic is None:
            return None
        vector = self.semantic.question_vector(question)
        vectors = self.semantic.unit_vectors(units)
        if vector is None or any(u.id not in vectors for u in units):
            return None
        return self.match.values(vector, [vectors[u.id] for u in units])

    def bind(self, bundle_dir: Path, records: Iterable[Record]) -> None:
        """The bundle's records: their fact embeddings are computed in the background."""
        if self.semantic is not None:
            self.semantic.warm(records)

    def _rank(self, question: str, units: Sequence[FactUnit], ask_list: tuple[Ask, ...], aspect: Aspect,
              exclude: frozenset[str], language: str) -> tuple[list[Ranked], float]:
        """The record's units ranked (``rank``), and the time E5 took (0 when the wording was sure)."""
        ranked = rank_units(question, units, ask_list, aspect=aspect, exclude=exclude, language=language)
        if (self.semantic is None or not ranked or ranked[0].share >= SURE_SHARE
                or not self.semantic.ready_for(units)):  # never wait for the warm-up: wording answers
            return ranked, 0.0
        t0 = self.clock()  # the wording alone is unsure: E5 similarity joins the fusion
        cosines = self.semantic.cosines(question, units)
        e5_ms = (self.clock() - t0) * 1000
        if cosines:
            ranked = rank_units(question, units, ask_list, aspect=aspect, cosines=cosines, exclude=exclude,
                                language=language, asked=self._asked(question),
                                matches=self._matches(question, units))
        return ranked, e5_ms

    def choose(self, question: str, record: Record, *, aspect: Aspect = Aspect.GENERAL,
               language: str = "vi") -> tuple[tuple[Ask, ...], list[Ranked], FactUnit | None,
                                              dict[str, float]]:
        """(asks, chosen units best first with their shares, an unsourced unit that ranks first,
        timings). The ranking fuses E5 similarity (when embeddings are ready), wording and the ask
        (``rank``)."""
        t0 = self.clock()
        en = language == "en"
        ask_list = asks_en(question, record.title_en or "") if en else asks(question, record.title)
        units = english_units(record) if en else fact_units(record)
        exclude = name_stems_en(record.title_en or "", units) if en else name_words(record, units)
        t1 = self.clock()
        if ask_list[0] is Ask.LEGAL:  # "which decree": the record's legal basis, in its own words
            legal: list[Ranked] = []
            e5_ms = 0.0
            if asks_article(question, en):  # "which article sets this": the asked fact and its citation
                rest = tuple(a for a in ask_list if a is not Ask.LEGAL) or (Ask.GENERAL,)
                ranked, e5_ms = self._rank(question, units, rest, aspect, exclude, language)
                best = next((r for r in ranked if r.unit.status is not Status.UNSOURCED), None)
                cited = citation_unit(best.unit, english=en) if best is not None else None
                if (best is not None and cited is not None  # unless the question names another document
                        and cites_what_is_named(question, record, cited.sources, english=en)):
                    legal = [best, Ranked(cited, best.score, best.share)]
            if not legal:
                legal = [Ranked(u, 1.0, 1.0) for u in
                         choose_legal(question, record, legal_units(record, english=en), english=en)]
            ms = (self.clock() - t0) * 1000
            return ask_list, legal, None, {"e5_ms": e5_ms, "select_ms": ms, "choose_ms": ms}
        ranked, e5_ms = self._rank(question, units, ask_list, aspect, exclude, language)
        chosen = choose(ranked)
        unsourced = ranked[0].unit if ranked and ranked[0].unit.status is Status.UNSOURCED else None
        if unsourced is not None:  # what is asked is unsourced: a sourced fact only if nearly as likely
            chosen = [r for r in chosen if r.share >= KEEP * ranked[0].share][:1]
        elif chosen and (own := _unsourced_own_field(ask_list[0], ranked, chosen[0].unit, en)) is not None:
            unsourced, chosen = own, []  # the asked field is marked unsourced and no fact states the ask
        timings = {"e5_ms": e5_ms, "select_ms": (self.clock() - t1) * 1000,
                   "choose_ms": (self.clock() - t0) * 1000}
        return ask_list, chosen, unsourced, timings

    def answer(self, question: str, record: Record, aspect: Aspect, *, confidence: float = 1.0,
               alternatives: Sequence[str] = (), language: str = "vi") -> Answer:
        t0 = self.clock()
        en = language == "en"
        ask_list = (Ask.GENERAL,) if en else asks(question, record.title)
        specific = not en and ask_list[0] in SPECIFIC
        if en and asks_en(question)[0] is Ask.LEGAL:  # "which decree …" is no list, however worded
            ask_list, specific = (Ask.LEGAL,), True
        lists = ask_list[0] in (Ask.DOCUMENTS, Ask.STEPS)
        if specific or wants_one_value(question, language, lists=lists):
            ask_list, chosen, unsourced, timings = self.choose(question, record, aspect=aspect,
                                                               language=language)
            if unsourced is not None and absence_text(unsourced, en):
                # the record says it has no source for what is asked: say that (hedged), then the
                # sourced fact that ranks nearly as well, if any
                return self.compose(question, record, aspect, [r.unit for r in chosen], ask=ask_list[0],
                                    unsourced=unsourced, speak_unsourced=True, confidence=confidence,
                                    alternatives=alternatives, language=language,
                                    timings={**timings, "answer_ms": (self.clock() - t0) * 1000})
            if chosen and (specific or chosen[0].share >= FLOOR_SHARE):
                # certain facts first (the title leads them), hedged ones after
                units = sorted((r.unit for r in chosen), key=lambda u: u.status is Status.UNCERTAIN)
                return self.compose(question, record, aspect, units, ask=ask_list[0],
                                    unsourced=unsourced, confidence=confidence, alternatives=alternatives,
                                    language=language,
                                    timings={**timings, "answer_ms": (self.clock() - t0) * 1000})
            if specific:  # nothing sourced answers the ask: say so, never guess
                return self.compose(question, record, aspect, [], ask=ask_list[0], unsourced=unsourced,
                                    confidence=confidence, alternatives=alternatives, language=language,
                                    timings={**timings, "answer_ms": (self.clock() - t0) * 1000})
        base = self.template.answer(question, record, aspect, confidence=confidence,
                                    alternatives=alternatives, language=language)
        return replace(base, answerer=self.name, ask=ask_list[0].value,
                       timings_ms={"answer_ms": (self.clock() - t0) * 1000})

    def compose(self, question: str, record: Record, aspect: Aspect, units: Sequence[FactUnit], *,
                ask: Ask, unsourced: FactUnit | None = None, proposed: str | None = None,
                confidence: float = 1.0, alternatives: Sequence[str] = (), reason: str = "",
                answerer: str | None = None, timings: Mapping[str, float] | None = None,
                language: str = "vi", speak_unsourced: bool = False) -> Answer:
        """The answer that speaks ``units`` (or says the record has no information on ``ask``).
        ``speak_unsourced``: ``unsourced`` says what the record has no source for; it is said first
        (its own words, "Chưa tìm được nguồn cho …"), ``units`` follow, and the counter is named."""
        en = language == "en"
        said = unsourced if speak_unsourced else None
        sentences, ids, sources, hedged, word = speak_units(question, record, units[:1] if said else units,
                                                            proposed=proposed, language=language,
                                                            lead=said is None)
        if said is not None:
            sentences.insert(0, _end(_absence_sentence(record, said, en)))
            ids.insert(0, said.id)
            if not hedged:
                sentences.append(REFER_END_EN if en else REFER_END_VI)
            hedged = True
        if en and sentences and len(sentences) < MAX_SENTENCES:
            sentences.append(CARD_SHOWN_EN)
        if not sentences:
            sentences = [no_info_sentence_en(record, ask) if en else no_info_sentence(record, ask)]
            ids = [unsourced.id] if unsourced is not None else []
            hedged = True
        return Answer(verdict=Verdict.ANSWER, spoken=" ".join(sentences), confidence=round(confidence, 4),
                      procedure_id=record.id, title=(record.title_en or record.title) if en else record.title,
                      aspect=aspect, hedged=hedged,
                      sources=tuple(sources), alternatives=tuple(alternatives), language=language,
                      answerer=answerer or self.name, reason=reason, sentences=tuple(sentences),
                      facts=tuple(ids), verdict_word=word, ask=ask.value,
                      timings_ms={k: round(v, 2) for k, v in (timings or {}).items()})
