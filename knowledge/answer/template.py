"""Spoken answers composed only from a record's fields (no LLM): the asked aspect first.

Rules: at most three short sentences; every fact comes from the record (``Fact.say``
when present, else the first sentence of ``Fact.text``); an *uncertain* fact is introduced with
"Theo thông tin tham khảo," and the answer ends with "Xin hỏi lại cán bộ tại quầy để chắc chắn.";
for an *unsourced* fact the kiosk says it has no official information and refers to the counter,
never a guess. ``numbers_not_in_record`` is the check tests and the benchmark use.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from knowledge.answer.facts import fact_id_of
from knowledge.bundle.schema import Fact, Record, Status, numbers_in
from knowledge.types import Answer, Aspect, ReferReason, Verdict
from knowledge.understand.normalize import fold

MAX_SENTENCES = 3
MAX_LIST_ITEMS = 3  # documents/steps read aloud; the screen shows all of them
MAX_TITLE_PREFIX = 48  # longer official titles are not read before the first fact

HEDGE_PREFIX_VI = "Theo thông tin tham khảo, "
HEDGE_END_VI = "Xin hỏi lại cán bộ tại quầy để chắc chắn."
HEDGE_PREFIX_EN = "According to reference information, "
HEDGE_END_EN = "Please check with the staff at the counter to be sure."

ASPECT_VI: dict[Aspect, str] = {
    Aspect.GENERAL: "thủ tục này", Aspect.DOCUMENTS: "giấy tờ cần mang", Aspect.FEE: "lệ phí",
    Aspect.TIME: "thời hạn giải quyết", Aspect.WHERE: "nơi làm", Aspect.WHO: "người đi làm",
    Aspect.ONLINE: "việc nộp trực tuyến", Aspect.STEPS: "các bước",
}
ASPECT_EN: dict[Aspect, str] = {
    Aspect.GENERAL: "this procedure", Aspect.DOCUMENTS: "the documents needed", Aspect.FEE: "the fee",
    Aspect.TIME: "the processing time", Aspect.WHERE: "where to go", Aspect.WHO: "who may go",
    Aspect.ONLINE: "applying online", Aspect.STEPS: "the steps",
}

REFER_VI: dict[str, str] = {
    "out-of-scope": "Xin lỗi, máy chỉ trả lời về thủ tục hành chính của phường, "
                    "xin mời hỏi cán bộ tại quầy để được hướng dẫn.",
    "out-of-scope:personal_data": "Máy không tra cứu hồ sơ hay thông tin của từng người. Xin mời mang "
                                  "giấy tờ tùy thân đến hỏi cán bộ tại quầy.",
    "out-of-scope:harmful": "Xin lỗi, máy không hướng dẫn việc này.",
    "out-of-scope:other_authority": "Việc này không thuộc các thủ tục máy hướng dẫn ở phường. Xin mời "
                                    "hỏi cán bộ tại quầy để được chỉ nơi làm.",
    "unclear": "Xin lỗi, máy chưa hiểu câu hỏi, xin mời hỏi cán bộ tại quầy để được hướng dẫn.",
    "default": "Xin lỗi, máy chưa tìm được thủ tục phù hợp, xin mời hỏi cán bộ tại quầy để được hướng dẫn.",
}
REFER_EN: dict[str, str] = {
    "out-of-scope": "Sorry, I can only answer questions about the ward's administrative procedures; "
                    "please ask the staff at the counter.",
    "out-of-scope:personal_data": "This kiosk does not look up anyone's file or personal information. "
                                  "Please bring your ID and ask the staff at the counter.",
    "out-of-scope:harmful": "Sorry, I cannot help with that.",
    "out-of-scope:other_authority": "This is not one of the ward procedures I can explain. Please ask "
                                    "the staff at the counter where to go.",
    "unclear": "Sorry, I did not understand the question; please ask the staff at the counter.",
    "default": "Sorry, I could not find the right procedure; please ask the staff at the counter.",
}
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÀ-Ỹ0-9Đ])")


class Answerer(Protocol):
    def answer(self, question: str, record: Record, aspect: Aspect, *, confidence: float = 1.0,
               alternatives: Sequence[str] = (), language: str = "vi") -> Answer: ...


@runtime_checkable
class StreamingAnswerer(Answerer, Protocol):
    """An answerer whose sentences come over seconds (the local LLM): ``streams`` says whether this
    question goes that way; ``answer_stream`` calls ``on_sentence`` per sentence as it may be spoken."""

    def streams(self, question: str, aspect: Aspect, language: str = "vi") -> bool: ...

    def answer_stream(self, question: str, record: Record, aspect: Aspect, *, confidence: float = 1.0,
                      alternatives: Sequence[str] = (), language: str = "vi",
                      on_sentence: Callable[[str], None] | None = None,
                      cancel: threading.Event | None = None) -> Answer: ...


def refer_answer(reason: str, *, language: str = "vi", confidence: float = 0.0,
                 alternatives: Sequence[str] = (), aspect: Aspect = Aspect.GENERAL) -> Answer:
    """One polite sentence referring the person to the counter staff."""
    table = REFER_EN if language == "en" else REFER_VI
    why = ReferReason.of(reason)
    key = (reason if reason in table
           else "out-of-scope" if why is ReferReason.OUT_OF_SCOPE
           else "unclear" if why in (ReferReason.EMPTY, ReferReason.GARBAGE) else "default")
    text = table[key]
    return Answer(verdict=Verdict.REFER, spoken=text, confidence=round(confidence, 4), aspect=aspect,
                  alternatives=tuple(alternatives), language=language, reason=reason, sentences=(text,))


def numbers_not_in_record(text: str, record: Record) -> set[str]:
    """Digit groups in ``text`` that appear nowhere in the record (must always be empty)."""
    return numbers_in(text) - numbers_in(record.all_text())


def split_sentences(text: str) -> tuple[str, ...]:
    return tuple(s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip())


# ---- composition ---------------------------------------------------------------------------------
@dataclass
class _Builder:
    language: str
    title: str
    record: Record | None = None
    facts: list[str] = field(default_factory=list)  # ids of the facts spoken
    sentences: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    hedged: bool = False
    unsourced: bool = False
    missing_en: bool = False  # a fact exists but has no English text yet

    @property
    def en(self) -> bool:
        return self.language == "en"

    def room(self) -> int:
        # keep one sentence for the closing hedge/referral once one is needed
        return MAX_SENTENCES - len(self.sentences) - (1 if self.hedged and not self.unsourced else 0)

    def add(self, fact: Fact, *, lead: bool = False) -> bool:
        """Speak one fact; False when it had nothing to say in this language or no room is left."""
        if fact.status is Status.UNSOURCED:
            return False
        text = _spoken(fact, self.language)
        if not text:
            self.missing_en = self.missing_en or self.en
            return False
        hedge = fact.status is Status.UNCERTAIN
        if self.room() - (1 if hedge and not self.hedged and not self.unsourced else 0) < 1:
            return False
        if hedge:
            text = (HEDGE_PREFIX_EN if self.en else HEDGE_PREFIX_VI) + _lower_first(text)
            self.hedged = True
        elif lead and len(self.title) <= MAX_TITLE_PREFIX and fold(self.title) not in fold(text):
            text = f"{self.title}: {_lower_first(text)}"
        self.sentences.append(_end(text))
        self.sources.extend(s for s in fact.sources if s not in self.sources)
        self._note(fact)
        return True

    def _note(self, fact: Fact) -> None:
        if self.record is not None:
            self.facts.append(fact_id_of(self.record, fact))

    def add_list(self, facts: Iterable[Fact], *, lead: bool, steps: bool = False) -> bool:
        """Several short facts (documents, steps) as one sentence; only facts with a short form."""
        usable = [f for f in facts if f.status is Status.SOURCED and _short(f, self.language)]
        if not usable or self.room() < 1:
            return False
        items = [_lower_first(_short(f, self.language) or "") for f in usable[:MAX_LIST_ITEMS]]
        if self.en:
            intro = "The steps: " if steps else "You need: "
        else:
            intro = "Các bước: " if steps else "Cần mang: "
        if lead and len(self.title) <= MAX_TITLE_PREFIX:
            intro = f"{self.title}, " + intro[0].lower() + intro[1:]
        self.sentences.append(_end(intro + "; ".join(i.rstrip(".") for i in items)))
        for f in usable[:MAX_LIST_ITEMS]:
            self.sources.extend(s for s in f.sources if s not in self.sources)
            self._note(f)
        return True

    def no_info(self, aspect: Aspect) -> None:
        """The record has no sourced fact for the asked aspect: say so, never guess."""
        if self.en and self.missing_en:
            text = (f"The details about {ASPECT_EN[aspect]} are only in Vietnamese for now; "
                    "the Vietnamese card is shown on the screen.")
            if len(self.sentences) < MAX_SENTENCES:
                self.sentences.append(text)
            return
        if self.en:
            which = self.title if len(self.title) <= MAX_TITLE_PREFIX else "this procedure"
            text = (f"The kiosk has no official information about {ASPECT_EN[aspect]} "
                    f"for {which}; please ask the staff at the counter.")
        else:
            which = (f"thủ tục {_lower_first(self.title)}" if len(self.title) <= MAX_TITLE_PREFIX
                     else "thủ tục này")
            text = (f"Máy chưa có thông tin chính thức về {ASPECT_VI[aspect]} của {which}, "
                    "xin mời hỏi cán bộ tại quầy.")
        if len(self.sentences) < MAX_SENTENCES:
            self.sentences.append(text)
        self.unsourced = True

    def finish(self) -> list[str]:
        out = list(self.sentences)
        if self.hedged and not self.unsourced:
            out.append(HEDGE_END_EN if self.en else HEDGE_END_VI)
        return out[:MAX_SENTENCES]


def _spoken(fact: Fact, language: str) -> str:
    if language == "en":
        return (fact.say_en or _first_sentence(fact.text_en or "")).strip()
    return (fact.say or _first_sentence(fact.text)).strip()


def _short(fact: Fact, language: str) -> str | None:
    """A list item: the short spoken form, or a short text."""
    if language == "en":
        return fact.say_en or (fact.text_en if fact.text_en and len(fact.text_en) <= 90 else None)
    return fact.say or (fact.text if len(fact.text) <= 90 else None)


def _first_sentence(text: str) -> str:
    parts = split_sentences(" ".join(text.split()))
    return parts[0] if parts else ""


def _lower_first(text: str) -> str:
    """Lower-case a sentence's first letter to continue it ("Ở phường, …" -> "ở phường, …"), but
    never an acronym ("UBND", "VNeID") or a name of two capitalised words ("Hà Nội", "Cổng Dịch vụ")."""
    words = text.split(maxsplit=2)
    if not words or not words[0][:1].isupper():
        return text
    first = words[0]
    if first[1:] != first[1:].lower():
        return text
    if len(words) > 1 and words[1][:1].isupper():
        return text
    return text[0].lower() + text[1:]


def _end(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _aspect_facts(record: Record, aspect: Aspect) -> list[Fact]:
    if aspect is Aspect.FEE:
        return [record.fee, *record.fee.details, *record.fee.exemptions]
    if aspect is Aspect.TIME:
        return [record.processing_time]
    if aspect is Aspect.WHERE:
        return [record.where]
    if aspect is Aspect.WHO:
        return [record.who] if record.who else []
    if aspect is Aspect.ONLINE:
        return [record.online] if record.online else []
    return [record.summary]


class TemplateAnswerer:
    """Answer from the record's fields; the asked aspect first, then a useful second fact."""

    name = "template"

    def answer(self, question: str, record: Record, aspect: Aspect, *, confidence: float = 1.0,
               alternatives: Sequence[str] = (), language: str = "vi") -> Answer:
        en = language == "en"
        title = (record.title_en or record.title) if en else record.title
        b = _Builder(language, title, record)
        if en and not record.title_en and not _has_english(record):
            return self._english_card_only(record, aspect, confidence, alternatives)
        if aspect is Aspect.DOCUMENTS:
            if not b.add_list(record.documents, lead=True):
                first = next((f for f in record.documents if f.status is not Status.UNSOURCED), None)
                if first is None or not b.add(first, lead=True):
                    b.no_info(aspect)
        elif aspect is Aspect.STEPS:
            if not b.add_list(record.steps, lead=True, steps=True) and not b.add(record.summary, lead=True):
                b.no_info(aspect)
        elif aspect is Aspect.GENERAL:
            if not b.add(record.summary, lead=True):
                b.no_info(aspect)
            b.add_list(record.documents, lead=False)
        else:
            facts = _aspect_facts(record, aspect)
            if not facts or facts[0].status is Status.UNSOURCED:
                b.no_info(aspect)
            spoken = [f for f in facts if b.add(f, lead=not b.sentences)]
            if not spoken and not b.unsourced:
                b.no_info(aspect)
        sentences = b.finish()
        if en and not b.missing_en and len(sentences) < MAX_SENTENCES:
            sentences.append("The Vietnamese card is shown on the screen.")
        spoken_text = " ".join(sentences)
        return Answer(verdict=Verdict.ANSWER, spoken=spoken_text, confidence=round(confidence, 4),
                      procedure_id=record.id, title=title, aspect=aspect, hedged=b.hedged or b.unsourced,
                      sources=tuple(b.sources), alternatives=tuple(alternatives), language=language,
                      answerer=self.name, sentences=tuple(sentences), facts=tuple(b.facts))

    def _english_card_only(self, record: Record, aspect: Aspect, confidence: float,
                           alternatives: Sequence[str]) -> Answer:
        """No English content in the record yet: name the topic, show the Vietnamese card."""
        sentences = [f"I found the procedure \"{record.title}\".",
                     f"I have no English text about {ASPECT_EN[aspect]}; the Vietnamese card is shown "
                     "on the screen.",
                     "Please ask the staff at the counter if you need help."]
        return Answer(verdict=Verdict.ANSWER, spoken=" ".join(sentences), confidence=round(confidence, 4),
                      procedure_id=record.id, title=record.title, aspect=aspect, hedged=True,
                      sources=(), alternatives=tuple(alternatives), language="en", answerer=self.name,
                      sentences=tuple(sentences))


def _has_english(record: Record) -> bool:
    return any(f.text_en or f.say_en for f in record.facts())
