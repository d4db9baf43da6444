"""JobQueue: one daemon thread that runs a handler on queued jobs, in order, until a stop sentinel.

The pipeline worker and the staff worker each own one (composition): they decide what a job is and
what it does; the queue keeps the thread, the order, the "wait until idle" markers and the stop.
A job that raises does not end the thread: ``on_error(job, exc)`` reports it and the next job runs.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

J = TypeVar("J")

# The workers (and every thread they start: recogniser, synthesiser and player threads inherit it on
# Linux) run at a lower CPU priority than the UI thread, so the screen keeps drawing on 2 cores.
WORKER_NICE = 5

_STOP = object()  # sentinel: ends the thread


class JobQueue(Generic[J]):
    """``handle(job)`` runs on the thread for each ``put`` job, first in first out. ``on_error`` (on the
    thread) gets a job's exception; without one it is logged. ``on_exit`` runs on the thread once it
    stops (to close what the jobs opened there). ``nice``: added to the thread's nice value."""

    def __init__(self, handle: Callable[[J], None], *, name: str, nice: int = 0,
                 on_error: Callable[[J, Exception], None] | None = None,
                 on_exit: Callable[[], None] | None = None) -> None:
        self._handle = handle
        self._on_error = on_error
        self._on_exit = on_exit
        self._nice = nice
        self._queue: queue.Queue[object] = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def start(self) -> None:
        """Start the thread (once; jobs put before wait for it)."""
        self._thread.start()

    @property
    def started(self) -> bool:
        return self._thread.ident is not None

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def put(self, job: J) -> None:
        """Any thread, never blocks."""
        self._queue.put(job)

    def drain(self, keep: Callable[[J], bool]) -> None:
        """Drop the queued jobs ``keep`` rejects; the stop sentinel and ``wait_idle`` markers stay."""
        kept: list[object] = []
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is _STOP or isinstance(item, threading.Event) or keep(item):  # type: ignore[arg-type]
                kept.append(item)
        for item in kept:
            self._queue.put(item)

    def wait_idle(self, timeout: float) -> bool:
        """True once every job put before this call has run (False after ``timeout`` seconds)."""
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout)

    def stop(self, timeout: float) -> bool:
        """End the thread after the jobs already queued; True when it ended within ``timeout``."""
        self._queue.put(_STOP)
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def _loop(self) -> None:
        if self._nice:
            lower_priority(self._nice)
        while True:
            item = self._queue.get()
            if item is _STOP:
                break
            if isinstance(item, threading.Event):
                item.set()
                continue
            job: J = item  # type: ignore[assignment]
            try:
                self._handle(job)
            except Exception as exc:  # thread boundary: one failed job must not end the thread
                if self._on_error is None:
                    log.exception("%s: job failed", self._thread.name)
                    continue
                try:
                    self._on_error(job, exc)
                except Exception:
                    log.exception("%s: error handler failed", self._thread.name)
        if self._on_exit is not None:
            self._on_exit()


def lower_priority(nice: int) -> None:
    """Raise this thread's nice value (Linux: per thread). Best effort: other systems keep the default."""
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, os.getpriority(os.PRIO_PROCESS, tid) + nice)
    except (AttributeError, OSError) as exc:
        log.debug("could not lower the worker's priority: %s", exc)
