"""PipelineWorker: the one thread that runs the pipeline, fed by a command queue.

The UI thread only enqueues commands (never blocks); events come back through ``on_event`` from the
worker thread (the Kivy app marshals them with ``Clock.schedule_once``). The pipeline is built inside
the worker thread, so loading models and opening the store never freezes the screen. A new question
while one is running cancels the running one first (barge-in); ``cancel()`` stops it at once.
"""

from __future__ import annotations

import gc
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from kiosk_app.core.errors import ErrorCode, KioskError
from kiosk_app.core.events import Event, Failed, Idle
from kiosk_app.pipeline import EventSink, Pipeline
from knowledge.types import Answer

log = logging.getLogger(__name__)


class Command(StrEnum):
    ASK_VOICE = "ask-voice"
    ASK_TEXT = "ask-text"
    EXPLAIN = "explain"  # show + speak one procedure picked on screen
    REPLAY = "replay"
    RELOAD = "reload"  # rebuild the pipeline (a new bundle was activated)


@dataclass(frozen=True, slots=True)
class _Job:
    command: Command
    language: str = "vi"
    text: str = ""
    answer: Answer | None = None
    slower: bool = False


_STOP = object()  # sentinel: ends the thread
# The worker (and every thread it starts: recogniser, synthesiser and player threads inherit it on
# Linux) runs at a lower CPU priority than the UI thread, so the screen keeps drawing on 2 cores.
WORKER_NICE = 5

PipelineBuilder = Callable[[EventSink], Pipeline]


class PipelineWorker:
    """``build(on_event) -> Pipeline`` runs in the worker thread (first command or ``start``)."""

    def __init__(self, build: PipelineBuilder, on_event: EventSink, *,
                 on_ready: Callable[[Pipeline], None] | None = None, name: str = "kiosk-pipeline") -> None:
        self._build = build
        self._on_event = on_event
        self._on_ready = on_ready
        self._queue: queue.Queue[object] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._pipeline: Pipeline | None = None
        self._busy = threading.Event()
        self._lock = threading.Lock()
        self._job_cancel: threading.Event | None = None  # the running job's cancel event

    # ---- UI thread API (never blocks) -----------------------------------------------------------
    def start(self, *, preload: bool = True) -> None:
        """Start the thread; with ``preload`` the pipeline is built right away (models, store)."""
        self._thread.start()
        if preload:
            self._queue.put(_Job(Command.RELOAD))

    def ask_voice(self, language: str = "vi") -> None:
        self._submit(_Job(Command.ASK_VOICE, language=language))

    def ask_text(self, text: str, language: str = "vi") -> None:
        self._submit(_Job(Command.ASK_TEXT, language=language, text=text))

    def explain(self, procedure_id: str, language: str = "vi") -> None:
        self._submit(_Job(Command.EXPLAIN, language=language, text=procedure_id))

    def replay(self, answer: Answer, slower: bool = False) -> None:
        self._submit(_Job(Command.REPLAY, answer=answer, slower=slower))

    def reload(self) -> None:
        """Rebuild the pipeline after the current question (e.g. a new bundle was imported)."""
        self._queue.put(_Job(Command.RELOAD))

    def cancel(self) -> None:
        """Stop whatever runs now and drop queued questions ("Dừng", idle reset)."""
        self._drain()
        self._cancel_current()

    def new_conversation(self) -> None:
        """"Hỏi câu khác", idle reset, language button: the next question is not a follow-up."""
        with self._lock:
            pipeline = self._pipeline
        if pipeline is not None:
            pipeline.new_conversation()

    def stop(self, timeout: float = 5.0) -> bool:
        """End the thread (after cancelling); True when it ended within ``timeout``."""
        self._drain()
        self._cancel_current()
        self._queue.put(_STOP)
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def busy(self) -> bool:
        return self._busy.is_set()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def wait_idle(self, timeout: float) -> bool:
        """For tests and benchmarks: wait until no command is queued or running."""
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout)

    # ---- internals ------------------------------------------------------------------------------
    def _submit(self, job: _Job) -> None:
        if self._busy.is_set():  # barge-in: a new question replaces the running one
            self._drain()
            self._cancel_current()
        self._queue.put(job)

    def _cancel_current(self) -> None:
        with self._lock:
            pipeline, job_cancel = self._pipeline, self._job_cancel
        if job_cancel is not None:
            job_cancel.set()
            if pipeline is not None:
                pipeline.cancel()  # also stops the player at once

    def _drain(self) -> None:
        kept: list[object] = []
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is _STOP or isinstance(item, threading.Event) or (
                    isinstance(item, _Job) and item.command is Command.RELOAD):
                kept.append(item)
        for item in kept:
            self._queue.put(item)

    def _emit(self, event: Event) -> None:
        try:
            self._on_event(event)
        except Exception:
            log.exception("event callback failed on %s", event.type)

    def _ensure_pipeline(self, *, rebuild: bool = False) -> Pipeline | None:
        with self._lock:
            current = self._pipeline
        if current is not None and not rebuild:
            return current
        if current is not None:
            current.close()
            gc.unfreeze()  # the old pipeline's objects may be collected again
        try:
            built = self._build(self._emit)
        except KioskError as exc:
            log.error("cannot start the pipeline: [%s] %s", exc.code, exc)
            self._emit(Failed(exc.code, str(exc)))
            built = None
        except Exception as exc:
            log.exception("cannot start the pipeline")
            self._emit(Failed(ErrorCode.INTERNAL, f"{type(exc).__name__}: {exc}"))
            built = None
        with self._lock:
            self._pipeline = built
        if built is not None:
            # The knowledge (indexes, vocabularies) is millions of long-lived references: every full
            # collection walked them for ~0.25-0.5 s holding the GIL, a frozen screen for the resident.
            # Frozen, collections only see the objects of the questions.
            gc.collect()
            gc.freeze()
        if built is not None and self._on_ready is not None:
            try:
                self._on_ready(built)
            except Exception:
                log.exception("on_ready callback failed")
        return built

    def _loop(self) -> None:
        lower_priority(WORKER_NICE)
        while True:
            item = self._queue.get()
            if item is _STOP:
                break
            if isinstance(item, threading.Event):
                item.set()
                continue
            assert isinstance(item, _Job)
            cancel = threading.Event()
            with self._lock:
                self._job_cancel = cancel
            self._busy.set()
            try:
                self._run(item, cancel)
            except Exception:  # the pipeline reports its own errors; this is a last resort
                log.exception("worker command %s failed", item.command)
                self._emit(Failed(ErrorCode.INTERNAL, "worker"))
                self._emit(Idle())
            finally:
                with self._lock:
                    self._job_cancel = None
                self._busy.clear()
        with self._lock:
            pipeline, self._pipeline = self._pipeline, None
        if pipeline is not None:
            pipeline.close()

    def _run(self, job: _Job, cancel: threading.Event) -> None:
        if job.command is Command.RELOAD:
            self._ensure_pipeline(rebuild=True)
            return
        pipeline = self._ensure_pipeline()
        if pipeline is None:
            self._emit(Idle())
            return
        if cancel.is_set():  # cancelled while the pipeline was being built
            self._emit(Idle())
        elif job.command is Command.ASK_VOICE:
            pipeline.run_once(job.language, cancel=cancel)
        elif job.command is Command.ASK_TEXT:
            pipeline.ask_text(job.text, job.language, cancel=cancel)
        elif job.command is Command.EXPLAIN:
            pipeline.explain(job.text, job.language, cancel=cancel)
        elif job.command is Command.REPLAY and job.answer is not None:
            pipeline.replay(job.answer, slower=job.slower, cancel=cancel)


def lower_priority(nice: int) -> None:
    """Raise this thread's nice value (Linux: per thread). Best effort: other systems keep the default."""
    import os

    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + nice)
    except (AttributeError, OSError) as exc:
        log.debug("could not lower the worker's priority: %s", exc)
