"""Plain data passed between retrieval, decision, answerers, the pipeline and the UI."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


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

    @property
    def refer_to_staff(self) -> bool:
        return self.verdict is Verdict.REFER
