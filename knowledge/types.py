"""Plain data passed between retrieval, decision, answerers, the pipeline and the UI."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum


class ReferReason(StrEnum):
    """Why the kiosk refers to the staff instead of answering (the head of ``reason`` before ":")."""

    NO_MATCH = "no-match"
    OUT_OF_SCOPE = "out-of-scope"  # "out-of-scope:<kind>" (``knowledge.understand.retrieval``'s kinds)
    BELOW_THRESHOLD = "below-threshold"
    AMBIGUOUS = "ambiguous"
    EMPTY = "empty"
    TOO_LONG = "too-long"
    GARBAGE = "garbage"

    @classmethod
    def of(cls, reason: str) -> ReferReason | None:
        """The refer reason ``reason`` names ("out-of-scope:harmful" -> OUT_OF_SCOPE), else None."""
        try:
            return cls(reason.partition(":")[0])
        except ValueError:
            return None

    @classmethod
    def out_of_scope(cls, kind: str) -> str:
        return f"{cls.OUT_OF_SCOPE.value}:{kind}"


class FallbackReason(StrEnum):
    """Why the evidence answer speaks although the LLM path was configured (``Answer.reason``)."""

    LANGUAGE = "evidence-language"  # the model is not asked in this language
    EMPTY = "llm-empty"  # the reply named no fact of the record
    NOT_IN_RECORD = "llm-overruled:not-in-record"  # "not in the record", but a fact answers it
    UNSUPPORTED = "llm-overruled:unsupported"  # no chosen fact has the ask's cue, field or words
    OUTSIDE_TOP_K = "llm-outside-top-k"  # every pick was outside the evidence ranker's best
    TIMEOUT = "llm-timeout"
    NOT_READY = "llm-not-ready"
    HUNG = "llm-hung"  # killed and restarted
    CRASHED = "llm-crashed"  # restarted
    ERROR = "llm-error"
    UNPARSABLE = "llm-unparsable"
    FAILED = "llm-failed"  # an unexpected error around the answerer (last resort)

    @classmethod
    def of(cls, reason: str) -> FallbackReason | None:
        try:
            return cls(reason)
        except ValueError:
            return None


class GuardReason(StrEnum):
    """The last check on what is spoken refused an answer: it states a number the record does not."""

    NUMBER = "guard:number"  # the composed answer
    LLM_NUMBER = "llm-guard:number"  # the LLM-chosen facts (the evidence answer is spoken instead)


class Aspect(StrEnum):
    """What the person asked about; the answer says that first."""

    GENERAL = "general"  # "làm khai sinh thế nào" -> summary + documents
    DOCUMENTS = "documents"  # "cần những gì", "giấy tờ gì"
    FEE = "fee"  # "mất bao nhiêu tiền", "lệ phí"
    TIME = "time"  # "bao lâu", "mấy ngày"
    WHERE = "where"  # "làm ở đâu"
    WHO = "who"  # "ai đi làm", "ông bà làm thay được không"
    ONLINE = "online"  # "làm trên mạng được không"
    STEPS = "steps"  # "các bước"


@dataclass(frozen=True, slots=True)
class Hit:
    """One retrieved procedure with its fused score and the parts it came from."""

    procedure_id: str
    score: float  # fused, 0..1
    lexical: float = 0.0
    semantic: float = 0.0


class Verdict(StrEnum):
    ANSWER = "answer"
    REFER = "refer"  # out of scope / not confident: refer the person to the counter staff


@dataclass(frozen=True, slots=True)
class Answer:
    """What the kiosk says and shows for one question."""

    verdict: Verdict
    spoken: str  # at most three short sentences, every fact from the record
    confidence: float  # calibrated 0..1
    procedure_id: str | None = None
    title: str | None = None
    aspect: Aspect = Aspect.GENERAL
    hedged: bool = False  # an uncertain/unsourced fact was spoken (with a hedge)
    sources: tuple[str, ...] = ()
    alternatives: tuple[str, ...] = ()  # next best procedure ids ("Chưa đúng ý tôi")
    language: str = "vi"
    answerer: str = "template"
    reason: str = ""  # machine-readable why (e.g. "below-threshold", "out-of-scope", "llm-guard:number")
    sentences: tuple[str, ...] = field(default=())  # ``spoken`` split for streaming TTS
    # Evidence: the stable ids of the record's facts that were spoken
    # ("khai-tu/summary", "khai-tu/documents/1", "khai-tu/notes/0#1": sentence 1 of that fact).
    facts: tuple[str, ...] = ()
    ask: str = ""  # what exactly was asked ("deadline", "processing", "validity", "age"…; ``select.Ask``)
    # yes/no word spoken before the facts ("yes" / "no"), only when a deterministic check confirmed it
    verdict_word: str = ""
    # answer-time measurements in ms (decide, select, llm...); not part of equality or hashing
    timings_ms: dict[str, float] = field(default_factory=dict, compare=False, hash=False)

    @property
    def refer_to_staff(self) -> bool:
        return self.verdict is Verdict.REFER


SentenceSink = Callable[[str], None]
Generate = Callable[[SentenceSink, "threading.Event | None"], Answer]


@dataclass(frozen=True, slots=True)
class AnswerStream:
    """A decided question: the card to show at once and how its sentences come.

    ``card`` is the template answer for the record (documents, fee, time… for the screen) or the
    refer answer. Without ``generate`` (template answerer, direct questions) ``card`` is the final
    answer and ``run`` just hands its sentences over. With ``generate`` (the local LLM) sentences
    arrive one by one as they are generated and pass the guard, and ``run`` returns the final
    answer (``answerer`` "llm" / "template" / "llm+template", ``reason``); it blocks meanwhile and
    raises ``CancelledError`` when ``cancel`` is set.
    """

    card: Answer
    generate: Generate | None = None

    @property
    def live(self) -> bool:
        return self.generate is not None

    def run(self, on_sentence: SentenceSink, cancel: threading.Event | None = None) -> Answer:
        if self.generate is None:
            for sentence in self.card.sentences or (self.card.spoken,):
                on_sentence(sentence)
            return self.card
        return self.generate(on_sentence, cancel)


@dataclass(frozen=True, slots=True)
class Conversation:
    """What the kiosk answered last, so a follow-up ("thế còn lệ phí?") stays on that procedure.

    Kept by the pipeline (``at``: monotonic time the answer finished) and cleared on the idle reset,
    "Hỏi câu khác" and a language change; the knowledge service only reads it.
    """

    procedure_id: str
    language: str = "vi"
    at: float = 0.0
