"""``EvidenceAnswerer``: answer the exact question with the record's own sourced sentences (issue 16).

The default answerer. For a specific ask (deadline, processing time, validity, age, amount,
exemption, copies, who may go instead, online, where, conditions, result) it picks the 1–3 fact
units that answer it (``select.select_facts``) and speaks them in their own words (``say`` form or
the sourced sentence), an uncertain one hedged, an unsourced one never; a yes/no question gets a
"Được." / "Không." only when ``confirm`` proves it from the chosen fact. Lists (documents, steps)
and general questions are read by the ``TemplateAnswerer``. Every answer carries the ids of the
facts it spoke (``Answer.facts``) and its timings.

``speak_units`` is shared with the LLM path: the model chooses ids, this composes the same way.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from knowledge.answer.confirm import spoken_word
from knowledge.answer.facts import FactUnit, fact_units
from knowledge.answer.select import SPECIFIC, Ask, asks, name_words, score_units, select_facts
from knowledge.answer.template import (
    HEDGE_END_VI,
    HEDGE_PREFIX_VI,
    MAX_SENTENCES,
    MAX_TITLE_PREFIX,
    TemplateAnswerer,
    _end,
    _lower_first,
)
from knowledge.bundle import Record, Status
from knowledge.normalize import fold
from knowledge.types import Answer, Aspect, Verdict

log = logging.getLogger(__name__)

MIN_SCORE = 0.25  # below this with no cue in the best unit, the record does not answer the ask
CLEAR_MARGIN = 0.12  # the best unit leads the next fact's best by this much: E5 is not needed

ASK_TOPIC_VI: dict[Ask, str] = {
    Ask.DEADLINE: "thời hạn phải làm", Ask.PROCESSING: "thời gian giải quyết",
    Ask.VALIDITY: "thời hạn giá trị của giấy tờ", Ask.AGE: "độ tuổi", Ask.AMOUNT: "lệ phí",
    Ask.BENEFIT: "mức được hưởng",
    Ask.EXEMPT: "việc miễn lệ phí", Ask.COPIES: "số bản giấy tờ", Ask.PROXY: "việc làm thay",
    Ask.ONLINE: "việc nộp trực tuyến", Ask.WHERE: "nơi làm", Ask.CONDITION: "điều kiện",
    Ask.RESULT: "kết quả nhận được", Ask.DOCUMENTS: "giấy tờ", Ask.STEPS: "các bước",
    Ask.GENERAL: "việc này",
}


class SemanticScorer(Protocol):
    """E5 similarity of a question with fact units (``knowledge.answer.semantic``; none in tests)."""

    def scores(self, question: str, units: Sequence[FactUnit]) -> Mapping[str, float]: ...
    def warm(self, records: Iterable[Record]) -> None: ...


def clear_winner(question: str, units: Sequence[FactUnit], ask_list: Sequence[Ask],
                  exclude: frozenset[str]) -> bool:
    """The field prior, cue and lexical scores alone pick one fact by a clear margin."""
    ranked = score_units(question, units, ask_list, exclude=exclude)
    if not ranked or not ranked[0].cue:
        return False
    top = ranked[0]
    runner = next((sc for sc in ranked[1:] if sc.unit.fact_id != top.unit.fact_id), None)
    return runner is None or top.score - runner.score >= CLEAR_MARGIN


def no_info_sentence(record: Record, ask: Ask) -> str:
    which = (f"thủ tục {_lower_first(record.title)}" if len(record.title) <= MAX_TITLE_PREFIX
             else "thủ tục này")
    return (f"Máy chưa có thông tin chính thức về {ASK_TOPIC_VI[ask]} của {which}, "
            "xin mời hỏi cán bộ tại quầy.")


def speak_units(question: str, record: Record, units: Sequence[FactUnit], *,
                proposed: str | None = None) -> tuple[list[str], list[str], list[str], bool, str]:
    """Compose the spoken sentences from chosen units (best first).

    Returns (sentences, fact ids, sources, hedged, yes/no word). Fixed connectives only: the
    title before the first fact, "Theo thông tin tham khảo," before an uncertain one, the closing
    "Xin hỏi lại cán bộ…" after it, and the yes/no word the check confirmed."""
    sentences: list[str] = []
    ids: list[str] = []
    sources: list[str] = []
    hedged = False
    usable = [u for u in units if u.status is not Status.UNSOURCED and u.spoken]
    word = ""
    if usable:
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
            text = HEDGE_PREFIX_VI + _lower_first(text)
            hedged = True
        if not sentences:
            if word:
                text = f"{word[:-1]}, {_lower_first(text)}"
            elif len(record.title) <= MAX_TITLE_PREFIX and fold(record.title) not in fold(text) and not hedge:
                text = f"{record.title}: {_lower_first(text)}"
        sentences.append(_end(text))
        ids.append(u.id)
        sources.extend(s for s in u.sources if s not in sources)
    if hedged:
        sentences.append(HEDGE_END_VI)
    return sentences, ids, sources, hedged, word


class EvidenceAnswerer:
    """Pick the record's facts that answer the question; speak them as the record words them."""

    name = "evidence"

    def __init__(self, template: TemplateAnswerer | None = None, semantic: SemanticScorer | None = None,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self.template = template or TemplateAnswerer()
        self.semantic = semantic
        self.clock = clock

    def bind(self, bundle_dir: Path, records: Iterable[Record]) -> None:
        """The bundle's records: their fact embeddings are computed in the background."""
        if self.semantic is not None:
            self.semantic.warm(records)

    def choose(self, question: str, record: Record) -> tuple[tuple[Ask, ...], list[FactUnit], FactUnit | None,
                                                             dict[str, float]]:
        """(asks, chosen units best first, an unsourced unit that answers better, timings)."""
        t0 = self.clock()
        ask_list = asks(question, record.title)
        units = fact_units(record)
        exclude = name_words(record, units)
        t1 = self.clock()
        chosen, unsourced = select_facts(question, units, ask_list, exclude=exclude)
        if self.semantic is not None and ask_list[0] in SPECIFIC and not clear_winner(question, units,
                                                                                        ask_list, exclude):
            sem = self.semantic.scores(question, units)  # E5 only when the cheap scores are unsure
            chosen, unsourced = select_facts(question, units, ask_list, sem, exclude=exclude)
        t2 = self.clock()
        picked = [sc.unit for sc in chosen]
        if chosen and not chosen[0].cue and chosen[0].score < MIN_SCORE:
            picked = []
        timings = {"select_ms": (t2 - t1) * 1000, "choose_ms": (self.clock() - t0) * 1000}
        return ask_list, picked, unsourced.unit if unsourced else None, timings

    def answer(self, question: str, record: Record, aspect: Aspect, *, confidence: float = 1.0,
               alternatives: Sequence[str] = (), language: str = "vi") -> Answer:
        t0 = self.clock()
        ask_list = asks(question, record.title) if language == "vi" else (Ask.GENERAL,)
        if language != "vi" or ask_list[0] not in SPECIFIC:
            base = self.template.answer(question, record, aspect, confidence=confidence,
                                        alternatives=alternatives, language=language)
            return replace(base, answerer=self.name, ask=ask_list[0].value,
                           timings_ms={"answer_ms": (self.clock() - t0) * 1000})
        ask_list, units, unsourced, timings = self.choose(question, record)
        return self.compose(question, record, aspect, units, ask=ask_list[0], unsourced=unsourced,
                            confidence=confidence, alternatives=alternatives,
                            timings={**timings, "answer_ms": (self.clock() - t0) * 1000})

    def compose(self, question: str, record: Record, aspect: Aspect, units: Sequence[FactUnit], *,
                ask: Ask, unsourced: FactUnit | None = None, proposed: str | None = None,
                confidence: float = 1.0, alternatives: Sequence[str] = (), reason: str = "",
                answerer: str | None = None, timings: Mapping[str, float] | None = None) -> Answer:
        """The answer that speaks ``units`` (or says the record has no information on ``ask``)."""
        sentences, ids, sources, hedged, word = speak_units(question, record, units, proposed=proposed)
        if not sentences:
            sentences = [no_info_sentence(record, ask)]
            ids = [unsourced.id] if unsourced is not None else []
            hedged = True
        return Answer(verdict=Verdict.ANSWER, spoken=" ".join(sentences), confidence=round(confidence, 4),
                      procedure_id=record.id, title=record.title, aspect=aspect, hedged=hedged,
                      sources=tuple(sources), alternatives=tuple(alternatives), language="vi",
                      answerer=answerer or self.name, reason=reason, sentences=tuple(sentences),
                      facts=tuple(ids), verdict_word=word, ask=ask.value,
                      timings_ms={k: round(v, 2) for k, v in (timings or {}).items()})
