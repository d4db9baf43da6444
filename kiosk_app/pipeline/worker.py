"""PipelineWorker: the one thread that runs the pipeline, fed by a command queue.

The UI thread only enqueues commands (never blocks); events come back through ``on_event`` from the
worker thread (the Kivy app marshals them with ``Clock.schedule_once``). The pipeline is built inside
the worker thread, so loading models and opening the store never freezes the screen. A new question
while one is running cancels the running one first (barge-in); ``cancel()`` stops it at once.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from kiosk_app.core.errors import ErrorCode, KioskError
from kiosk_app.core.events import Event, Failed, Idle
from kiosk_app.pipeline import EventSink, Pipeline
from kiosk_app.pipeline.jobqueue import WORKER_NICE, JobQueue
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


PipelineBuilder = Callable[[EventSink], Pipeline]


class PipelineWorker:
    """``build(on_event) -> Pipeline`` runs in the worker thread (first command or ``start``)."""

    def __init__(self, build: PipelineBuilder, on_event: EventSink, *,
                 on_ready: Callable[[Pipeline], None] | None = None, name: str = "kiosk-pipeline") -> None:
        self._build = build
        self._on_event = on_event
        self._on_ready = on_ready
        self._jobs: JobQueue[_Job] = JobQueue(self._handle, name=name, nice=WORKER_NICE,
                                              on_error=self._crashed, on_exit=self._close)
        self._pipeline: Pipeline | None = None
        self._busy = threading.Event()
        self._lock = threading.Lock()
        self._job_cancel: threading.Event | None = None  # the running job's cancel event

    # ---- UI thread API (never blocks) -----------------------------------------------------------
    def start(self, *, preload: bool = True) -> None:
        """Start the thread; with ``preload`` the pipeline is built right away (models, store)."""
        self._jobs.start()
        if preload:
            self._jobs.put(_Job(Command.RELOAD))

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
        self._jobs.put(_Job(Command.RELOAD))

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
        return self._jobs.stop(timeout)

    @property
    def busy(self) -> bool:
        return self._busy.is_set()

    @property
    def alive(self) -> bool:
        return self._jobs.alive

    def wait_idle(self, timeout: float) -> bool:
        """For tests and benchmarks: wait until no command is queued or running."""
        return self._jobs.wait_idle(timeout)

    # ---- internals ------------------------------------------------------------------------------
    def _submit(self, job: _Job) -> None:
        if self._busy.is_set():  # barge-in: a new question replaces the running one
            self._drain()
            self._cancel_current()
        self._jobs.put(job)

    def _cancel_current(self) -> None:
        with self._lock:
            pipeline, job_cancel = self._pipeline, self._job_cancel
        if job_cancel is not None:
            job_cancel.set()
            if pipeline is not None:
                pipeline.cancel()  # also stops the player at once

    def _drain(self) -> None:
        self._jobs.drain(lambda job: job.command is Command.RELOAD)  # questions go, reloads stay

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

    def _handle(self, job: _Job) -> None:
        """Worker thread: run one command (``_crashed`` when it raises)."""
        cancel = threading.Event()
        with self._lock:
            self._job_cancel = cancel
        self._busy.set()
        self._run(job, cancel)
        self._job_ended()

    def _crashed(self, job: _Job, exc: Exception) -> None:
        """Worker thread: the pipeline reports its own errors; this is a last resort."""
        log.error("worker command %s failed", job.command, exc_info=exc)
        self._emit(Failed(ErrorCode.INTERNAL, "worker"))
        self._emit(Idle())
        self._job_ended()

    def _job_ended(self) -> None:
        with self._lock:
            self._job_cancel = None
        self._busy.clear()

    def _close(self) -> None:
        """Worker thread, once stopped: close the pipeline it built."""
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
