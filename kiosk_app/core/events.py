"""Typed events from the pipeline to whoever listens (the Kivy UI, the CLI, tests).

One frozen dataclass per event type; the pipeline calls ``on_event(event)`` from its worker thread.
The UI marshals them onto its own thread (``Clock.schedule_once``) and never calls engines itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from kiosk_app.core.errors import ErrorCode, StaffNote
from knowledge.types import Answer


class EventType(StrEnum):
    LISTENING = "listening"
    AUDIO_LEVEL = "audio-level"
    PARTIAL_TRANSCRIPT = "partial-transcript"
    SPEECH_ENDED = "speech-ended"
    TRANSCRIBED = "transcribed"
    THINKING = "thinking"
    ANSWER_READY = "answer-ready"
    ANSWER_FINAL = "answer-final"
    SPEAKING = "speaking"
    SPEAKING_FINISHED = "speaking-finished"
    FAILED = "failed"
    IDLE = "idle"
    MIC_STATUS = "mic-status"
    BUNDLE_ACTIVATED = "bundle-activated"
    BUNDLE_PROGRESS = "bundle-progress"
    BUNDLE_DONE = "bundle-done"
    BUNDLE_REFUSED = "bundle-refused"


@dataclass(frozen=True, slots=True)
class Listening:
    type: ClassVar[EventType] = EventType.LISTENING


@dataclass(frozen=True, slots=True)
class AudioLevel:
    level: float  # 0..1, for the level meter
    type: ClassVar[EventType] = EventType.AUDIO_LEVEL


@dataclass(frozen=True, slots=True)
class PartialTranscript:
    text: str
    type: ClassVar[EventType] = EventType.PARTIAL_TRANSCRIPT


@dataclass(frozen=True, slots=True)
class SpeechEnded:
    duration_s: float
    type: ClassVar[EventType] = EventType.SPEECH_ENDED


@dataclass(frozen=True, slots=True)
class Transcribed:
    text: str
    confidence: float | None = None
    language: str = "vi"
    type: ClassVar[EventType] = EventType.TRANSCRIBED


@dataclass(frozen=True, slots=True)
class Thinking:
    type: ClassVar[EventType] = EventType.THINKING


@dataclass(frozen=True, slots=True)
class AnswerReady:
    """The answer card, as soon as the procedure is known. ``live``: the local LLM is phrasing the
    spoken answer; its sentences arrive as ``Speaking`` events (they may differ from
    ``answer.sentences``, the template's) and ``AnswerFinal`` follows with what was said."""

    answer: Answer
    live: bool = False
    type: ClassVar[EventType] = EventType.ANSWER_READY


@dataclass(frozen=True, slots=True)
class AnswerFinal:
    """After a live answer: every sentence said, who said it (``answer.answerer`` "llm" /
    "template" / "llm+template") and why (``answer.reason``). Not sent when it was cancelled."""

    answer: Answer
    type: ClassVar[EventType] = EventType.ANSWER_FINAL


@dataclass(frozen=True, slots=True)
class Speaking:
    sentence: str
    type: ClassVar[EventType] = EventType.SPEAKING


@dataclass(frozen=True, slots=True)
class SpeakingFinished:
    interrupted: bool = False
    type: ClassVar[EventType] = EventType.SPEAKING_FINISHED


@dataclass(frozen=True, slots=True)
class Failed:
    code: ErrorCode
    detail: str = ""  # English, for logs; the UI shows the Vietnamese sentence for ``code``
    type: ClassVar[EventType] = EventType.FAILED


@dataclass(frozen=True, slots=True)
class Idle:
    type: ClassVar[EventType] = EventType.IDLE


@dataclass(frozen=True, slots=True)
class MicStatus:
    available: bool
    device: str = ""
    type: ClassVar[EventType] = EventType.MIC_STATUS


@dataclass(frozen=True, slots=True)
class BundleActivated:
    label: str  # "<bundle_id>@<version>"
    record_count: int
    type: ClassVar[EventType] = EventType.BUNDLE_ACTIVATED


class BundleOp(StrEnum):
    """What the staff screen asked the staff worker to do with the bundles."""

    IMPORT = "import"
    ROLLBACK = "rollback"


@dataclass(frozen=True, slots=True)
class BundleProgress:
    """A bundle import advanced: ``phase`` is one of the importer's phases ("read", "copy", "index",
    "smoke", "activate"); ``fraction`` of the whole import, 0..1."""

    op: BundleOp
    phase: str
    fraction: float
    type: ClassVar[EventType] = EventType.BUNDLE_PROGRESS


@dataclass(frozen=True, slots=True)
class BundleDone:
    """The bundle ``version`` is active (imported or rolled back to); ``unchanged``: it already was,
    nothing was switched. The resident pipeline switches to it at its next reload."""

    op: BundleOp
    version: str
    record_count: int
    unchanged: bool = False
    type: ClassVar[EventType] = EventType.BUNDLE_DONE


@dataclass(frozen=True, slots=True)
class BundleRefused:
    """A bundle import or rollback did not happen; the active bundle is untouched. ``detail``: English,
    precise (logs). ``note``: the checker's own reason + details for ward staff when it has one (it
    names the file, version or field; the screen renders it), else None and the screen shows the
    sentence for ``code``.
    ``confirmable``: the version anomalies staff may confirm to import it anyway."""

    op: BundleOp
    code: ErrorCode
    detail: str = ""
    note: StaffNote | None = None
    confirmable: frozenset[ErrorCode] = frozenset()
    type: ClassVar[EventType] = EventType.BUNDLE_REFUSED


Event = (Listening | AudioLevel | PartialTranscript | SpeechEnded | Transcribed | Thinking | AnswerReady
         | AnswerFinal | Speaking | SpeakingFinished | Failed | Idle | MicStatus | BundleActivated
         | BundleProgress | BundleDone | BundleRefused)
