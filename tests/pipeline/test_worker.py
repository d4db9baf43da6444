"""PipelineWorker: one thread, commands queued, events forwarded; the caller never blocks."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator

import pytest

from kiosk_app.core.errors import ErrorCode, StoreMissingError
from kiosk_app.core.events import Event, Failed, SpeakingFinished
from kiosk_app.core.settings import Settings
from kiosk_app.pipeline import EventSink, Pipeline
from kiosk_app.pipeline.worker import PipelineWorker
from tests.fakes import FakeKnowledge, FakePlayer, FakeSource, Rig, answer_for, records

RECS = records()
Q1, Q2 = "khai sinh cần gì", "khai tử cần gì"
ANSWERS = {Q1: answer_for(RECS["khai-sinh"]), Q2: answer_for(RECS["khai-tu"])}


class Events:
    """Thread-safe event log with waiting (no sleeps)."""

    def __init__(self) -> None:
        self.q: queue.Queue[tuple[Event, str]] = queue.Queue()
        self.seen: list[tuple[Event, str]] = []

    def __call__(self, ev: Event) -> None:
        self.q.put((ev, threading.current_thread().name))

    def until(self, pred: object, timeout: float = 5.0) -> Event:
        while True:
            ev, thread = self.q.get(timeout=timeout)
            self.seen.append((ev, thread))
            if pred(ev):  # type: ignore[operator]
                return ev

    def types(self) -> list[str]:
        return [str(e.type) for e, _ in self.seen]


@pytest.fixture
def worker_rig(settings: Settings) -> Iterator[tuple[PipelineWorker, Events, Rig]]:
    events = Events()
    holder: dict[str, Rig] = {}

    def build(sink: EventSink) -> Pipeline:
        rig = Rig(settings, knowledge=FakeKnowledge(answers=dict(ANSWERS)), source=FakeSource.speech(1.0))
        rig.pipeline.on_event = sink
        holder["rig"] = rig
        return rig.pipeline

    worker = PipelineWorker(build, events)
    worker.start(preload=True)
    assert worker.wait_idle(5.0)
    yield worker, events, holder["rig"]
    assert worker.stop(5.0)


def is_idle(ev: Event) -> bool:
    return str(ev.type) == "idle"


def test_commands_run_on_the_worker_thread(worker_rig: tuple[PipelineWorker, Events, Rig]) -> None:
    worker, events, _rig = worker_rig
    worker.ask_text(Q1)
    events.until(is_idle)
    assert events.types() == ["transcribed", "thinking", "answer-ready", "speaking", "speaking",
                              "speaking-finished", "idle"]
    assert {thread for _, thread in events.seen} == {"kiosk-pipeline"}
    worker.ask_voice()
    events.until(is_idle)
    assert "listening" in events.types() and "speech-ended" in events.types()


def test_cancel_stops_speaking_at_once(
        worker_rig: tuple[PipelineWorker, Events, Rig]) -> None:
    worker, events, rig = worker_rig
    rig.player.block = threading.Event()  # the first sentence "plays" until cancelled
    worker.ask_text(Q1)
    events.until(lambda e: str(e.type) == "speaking")
    assert worker.busy  # the call above returned while the worker is still speaking
    worker.cancel()
    fin = events.until(lambda e: isinstance(e, SpeakingFinished))
    assert isinstance(fin, SpeakingFinished) and fin.interrupted
    events.until(is_idle)
    assert worker.wait_idle(5.0)
    assert rig.player.played == [ANSWERS[Q1].sentences[0]]


def test_new_question_while_speaking_interrupts_it(worker_rig: tuple[PipelineWorker, Events, Rig]) -> None:
    worker, events, rig = worker_rig
    rig.player.block = threading.Event()
    worker.ask_text(Q1)
    events.until(lambda e: str(e.type) == "speaking")
    rig.player.block = None
    worker.ask_text(Q2)  # barge-in
    fin = events.until(lambda e: isinstance(e, SpeakingFinished))
    assert isinstance(fin, SpeakingFinished) and fin.interrupted
    events.until(is_idle)
    second = events.until(lambda e: str(e.type) == "answer-ready")
    assert second.answer.procedure_id == "khai-tu"  # type: ignore[attr-defined]
    events.until(is_idle)


def test_store_missing_at_start_is_reported_and_retried(settings: Settings) -> None:
    events = Events()
    attempts: list[int] = []

    def build(sink: EventSink) -> Pipeline:
        attempts.append(1)
        raise StoreMissingError("no active bundle at /x/bundles/current; run: kiosk bundle import")

    worker = PipelineWorker(build, events)
    worker.start()
    failed = events.until(lambda e: isinstance(e, Failed))
    assert isinstance(failed, Failed) and failed.code is ErrorCode.STORE_MISSING
    worker.ask_text(Q1)  # still no store: a calm failure again, never a dead thread
    failed = events.until(lambda e: isinstance(e, Failed))
    events.until(is_idle)
    assert len(attempts) == 2 and worker.alive
    assert worker.stop(5.0)


def test_stop_ends_the_thread_and_closes_engines(settings: Settings) -> None:
    events = Events()
    rigs: list[Rig] = []

    def build(sink: EventSink) -> Pipeline:
        rigs.append(Rig(settings))
        rigs[-1].pipeline.on_event = sink
        return rigs[-1].pipeline

    worker = PipelineWorker(build, events)
    worker.start()
    worker.reload()  # a new bundle: the old pipeline's engines are closed, a new one is built
    assert worker.wait_idle(5.0)
    assert len(rigs) == 2 and rigs[0].knowledge.closed and not rigs[1].knowledge.closed
    assert worker.stop(5.0)
    assert not worker.alive
    assert rigs[1].knowledge.closed and rigs[1].recognizer.closed and rigs[1].synth.closed


def test_player_blocked_forever_still_cancellable(worker_rig: tuple[PipelineWorker, Events, Rig]) -> None:
    worker, events, rig = worker_rig
    rig.player = rig.pipeline.speaker.player = FakePlayer()
    rig.player.block = threading.Event()
    worker.ask_voice()
    events.until(lambda e: str(e.type) == "speaking")
    assert worker.stop(5.0)


def test_worker_thread_runs_below_the_ui_priority(settings: Settings) -> None:
    import os

    seen: list[int] = []

    def build(sink: EventSink) -> Pipeline:
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        rig = Rig(settings)
        rig.pipeline.on_event = sink
        return rig.pipeline

    worker = PipelineWorker(build, Events())
    worker.start()
    assert worker.wait_idle(5.0)
    assert seen and seen[0] > os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert worker.stop(5.0)


class PacedStream:
    """A sound card stand-in for the real Player: each 30 ms block takes 30 ms (a full device buffer)."""

    def __init__(self) -> None:
        self.blocks = 0
        self.aborted = threading.Event()
        self._never = threading.Event()

    def start(self) -> None: ...

    def write(self, data: bytes) -> None:
        self.blocks += 1
        self._never.wait(0.03)

    def stop(self) -> None: ...

    def abort(self) -> None:
        self.aborted.set()

    def close(self) -> None: ...


def test_stop_button_silences_the_real_player(settings: Settings) -> None:
    from speech.audio.playback import Player
    from speech.tts.base import AudioChunk

    stream = PacedStream()
    events = Events()

    class LongSpeech:
        name, language = "long", "vi"

        def synthesize(self, text: str, *, rate: float = 1.0) -> Iterator[AudioChunk]:
            yield AudioChunk(b"\x00\x00" * 16000 * 20, 16000, text)  # 20 s of audio

        def close(self) -> None: ...

    def build(sink: EventSink) -> Pipeline:
        rig = Rig(settings, knowledge=FakeKnowledge(answers=dict(ANSWERS)), synthesizer=LongSpeech(),
                  player=Player(stream_factory=lambda rate: stream))
        rig.pipeline.on_event = sink
        return rig.pipeline

    worker = PipelineWorker(build, events)
    worker.start()
    worker.ask_text(Q1)
    events.until(lambda e: str(e.type) == "speaking")
    worker.cancel()  # returns at once: the UI thread never waits for the player
    fin = events.until(lambda e: isinstance(e, SpeakingFinished))
    assert isinstance(fin, SpeakingFinished) and fin.interrupted
    assert stream.aborted.is_set()  # buffered audio dropped, not played out
    assert stream.blocks < 200  # far from the 666 blocks of the whole 20 s answer
    assert worker.stop(5.0)
