"""Fakes at the engine boundaries (audio source, VAD, ASR, knowledge, TTS, player). Each satisfies
the stage's Protocol; the logic between them (capture, pipeline, worker, UI) is the real code."""

from __future__ import annotations

import struct
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk_app.core.errors import KioskError, TtsError
from kiosk_app.core.events import Event
from kiosk_app.core.settings import Settings
from kiosk_app.pipeline import Pipeline
from knowledge.bundle.schema import Record, parse_record
from knowledge.types import Answer, AnswerStream, Aspect, Conversation, Verdict
from speech.asr.base import Transcript
from speech.tts.base import AudioChunk

RATE = 16000
SAMPLE_RECORDS = Path(__file__).resolve().parent.parent / "knowledge" / "sample" / "records"


def tone(seconds: float, amplitude: int = 8000) -> bytes:
    """Loud square-ish signal standing in for speech (the fake VAD calls it speech)."""
    n = int(seconds * RATE)
    return b"".join(struct.pack("<h", amplitude if (i // 20) % 2 else -amplitude) for i in range(n))


def silence(seconds: float) -> bytes:
    return b"\x00\x00" * int(seconds * RATE)


class FakeSource:
    """Scripted microphone: returns ``pcm`` in 32 ms chunks, then silence (or ``None`` forever)."""

    chunk_bytes = 512 * 2

    def __init__(self, pcm: bytes, *, then_silence: bool = True, fail_after: int | None = None,
                 error: KioskError | None = None) -> None:
        self._pcm = pcm
        self._pos = 0
        self._then_silence = then_silence
        self._fail_after = fail_after
        self._error = error
        self.reads = 0
        self.closed = False

    @classmethod
    def speech(cls, seconds: float = 1.5, *, lead: float = 0.3, tail: float = 1.5) -> FakeSource:
        return cls(silence(lead) + tone(seconds) + silence(tail))

    def read(self, timeout: float) -> bytes | None:
        self.reads += 1
        if self._fail_after is not None and self.reads > self._fail_after:
            raise self._error or KioskError("fake mic failure")
        if self._pos >= len(self._pcm):
            return silence(0.032) if self._then_silence else None
        chunk = self._pcm[self._pos:self._pos + self.chunk_bytes]
        self._pos += self.chunk_bytes
        return chunk

    def close(self) -> None:
        self.closed = True


class FakeVad:
    """Speech probability 1.0 when the chunk is loud, else 0.0."""

    chunk_samples = 512

    def __init__(self) -> None:
        self.resets = 0

    def __call__(self, pcm16: bytes) -> float:
        if not pcm16:
            return 0.0
        n = len(pcm16) // 2
        peak = max(abs(v) for (v,) in struct.iter_unpack("<h", pcm16[: n * 2])) if n else 0
        return 1.0 if peak > 2000 else 0.0

    def reset(self) -> None:
        self.resets += 1


class _FakeSession:
    def __init__(self, owner: FakeRecognizer) -> None:
        self._owner = owner
        self._bytes = 0

    def accept(self, pcm16: bytes) -> None:
        self._bytes += len(pcm16)

    def partial(self) -> str:
        words = self._owner.text.split()
        heard = int(self._bytes / (RATE * 2) / 0.4)  # one word per 0.4 s of audio
        return " ".join(words[: min(len(words), heard)])

    def final(self) -> Transcript:
        if self._owner.error is not None:
            raise self._owner.error
        return Transcript(self._owner.text, self._owner.confidence, self._owner.language)


class FakeRecognizer:
    name = "fake-asr"

    def __init__(self, text: str, *, confidence: float | None = 0.9, language: str = "vi",
                 error: KioskError | None = None) -> None:
        self.text = text
        self.confidence = confidence
        self.language = language
        self.error = error
        self.sessions = 0
        self.closed = False

    def start(self, sample_rate: int) -> _FakeSession:
        self.sessions += 1
        return _FakeSession(self)

    def transcribe(self, pcm16: bytes, sample_rate: int) -> Transcript:
        return Transcript(self.text, self.confidence, self.language)

    def close(self) -> None:
        self.closed = True


def records(*ids: str) -> dict[str, Record]:
    """Sample records by id (default: two complete ones), read straight from knowledge/sample."""
    ids = ids or ("khai-sinh", "khai-tu")
    return {i: parse_record(f"{i}.yaml", (SAMPLE_RECORDS / f"{i}.yaml").read_bytes()) for i in ids}


def answer_for(record: Record, *, aspect: Aspect = Aspect.GENERAL, alternatives: tuple[str, ...] = (),
               hedged: bool = False, language: str = "vi") -> Answer:
    """An ANSWER built from the record's own spoken forms (what the template answerer does)."""
    sentences = (record.summary.spoken, record.processing_time.spoken)
    return Answer(verdict=Verdict.ANSWER, spoken=" ".join(sentences), confidence=0.9,
                  procedure_id=record.id, title=record.title, aspect=aspect, hedged=hedged,
                  sources=tuple(record.summary.sources), alternatives=alternatives,
                  language=language, sentences=sentences)


REFER_TEXT = "Xin lỗi, tôi chưa trả lời được câu này. Xin mời hỏi cán bộ tại quầy."


def refer_answer(reason: str = "below-threshold", language: str = "vi") -> Answer:
    return Answer(verdict=Verdict.REFER, spoken=REFER_TEXT, confidence=0.1, reason=reason,
                  language=language, sentences=(REFER_TEXT,))


@dataclass
class FakeKnowledge:
    """``answers`` maps a question to its answer; anything else gets the refer-to-staff answer."""

    answers: dict[str, Answer] = field(default_factory=dict)
    recs: dict[str, Record] = field(default_factory=records)
    asked: list[tuple[str, str]] = field(default_factory=list)
    closed: bool = False

    def ask(self, question: str, language: str = "vi") -> Answer:
        self.asked.append((question, language))
        return self.answers.get(question, refer_answer(language=language))

    def ask_stream(self, question: str, language: str = "vi",
                   context: Conversation | None = None) -> AnswerStream:
        return AnswerStream(self.ask(question, language))

    def record(self, procedure_id: str) -> Record:
        return self.recs[procedure_id]

    def close(self) -> None:
        self.closed = True


class FakeSynthesizer:
    """One chunk of 0.2 s audio per sentence; remembers texts and rates; optionally fails."""

    name = "fake-tts"

    def __init__(self, language: str = "vi", *, fail_on: int | None = None) -> None:
        self.language = language
        self.fail_on = fail_on  # index of the sentence whose synthesis raises TtsError
        self.texts: list[str] = []
        self.rates: list[float] = []
        self.closed = False

    def synthesize(self, text: str, *, rate: float = 1.0) -> Iterator[AudioChunk]:
        if self.fail_on is not None and len(self.texts) >= self.fail_on:
            raise TtsError("fake synthesizer failed")
        self.texts.append(text)
        self.rates.append(rate)
        yield AudioChunk(silence(0.2), RATE, text)

    def close(self) -> None:
        self.closed = True


class FakePlayer:
    """Consumes chunks as a real player would; ``during(i, fn)`` runs ``fn`` while chunk i plays."""

    def __init__(self) -> None:
        self.played: list[str] = []
        self.stops = 0
        self._hooks: dict[int, Callable[[], None]] = {}
        self.block: threading.Event | None = None  # when set: wait on it while playing chunk 0

    def during(self, index: int, fn: Callable[[], None]) -> FakePlayer:
        self._hooks[index] = fn
        return self

    def play(self, chunks: Iterable[AudioChunk], *, cancel: threading.Event | None = None,
             on_sentence: Callable[[str], None] | None = None) -> bool:
        for i, chunk in enumerate(chunks):
            if cancel is not None and cancel.is_set():
                return True
            if on_sentence is not None:
                on_sentence(chunk.text)
            self.played.append(chunk.text)
            if i in self._hooks:
                self._hooks[i]()
            if i == 0 and self.block is not None and cancel is not None:
                # a long sentence playing: ends when cancelled (or after 5 s as a safety net)
                cancel.wait(5.0)
            if cancel is not None and cancel.is_set():
                return True
        return False

    def stop(self) -> None:
        self.stops += 1


class Rig:
    """One pipeline with fakes; ``events`` collects what the UI would receive."""

    def __init__(self, settings: Settings, **overrides: Any) -> None:
        self.events: list[Event] = []
        self.source = overrides.pop("source", None) or FakeSource.speech(1.5)
        self.recognizer = overrides.pop("recognizer", None) or FakeRecognizer("làm giấy khai sinh cần gì")
        self.knowledge = overrides.pop("knowledge", None) or FakeKnowledge()
        self.synth = overrides.pop("synthesizer", None) or FakeSynthesizer()
        self.player = overrides.pop("player", None) or FakePlayer()
        factory = overrides.pop("source_factory", None) or (lambda: self.source)
        self.pipeline = Pipeline(settings, source_factory=factory, vad=FakeVad(),
                                 recognizer=overrides.pop("recognizer_engine", self.recognizer),
                                 knowledge=self.knowledge,
                                 synthesizer=overrides.pop("synthesizer_engine", self.synth),
                                 player=self.player, on_event=self.events.append, **overrides)

    def types(self, *, squash: bool = True) -> list[str]:
        """Event types in order; runs of audio-level/partial events squashed to one entry."""
        out: list[str] = []
        for e in self.events:
            t = str(e.type)
            if squash and t in ("audio-level", "partial-transcript") and out and out[-1] == t:
                continue
            out.append(t)
        return out

    def of(self, cls: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, cls)]


def pump_clock(until: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Run Kivy's clock (the UI thread's half of every hand-over) until ``until()`` or the timeout."""
    from kivy.clock import Clock

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        Clock.tick()
        if until():
            return True
    return False
