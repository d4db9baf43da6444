"""A scripted stand-in for ``knowledge.llm.child.LlmChild`` with a fake clock (no sleeping).

Each request gets the next script: a list of steps ``(seconds, message)``; a step whose seconds
exceed the caller's timeout advances the clock by the timeout and returns None (a time-out).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any


@dataclass
class FakeClock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


def tokens(text: str, seconds_each: float = 0.05, chunk: int = 6) -> list[tuple[float, dict[str, Any]]]:
    """``text`` streamed in pieces of ``chunk`` characters, then done."""
    steps: list[tuple[float, dict[str, Any]]] = [
        (seconds_each, {"op": "token", "text": text[i:i + chunk]}) for i in range(0, len(text), chunk)]
    steps.append((0.0, {"op": "done", "stop": "eog", "timings": {"prompt_ms": 120.0, "state": "disk"}}))
    return steps


@dataclass
class FakeChild:
    scripts: deque[list[tuple[float, dict[str, Any]]]] = field(default_factory=deque)
    clock: FakeClock = field(default_factory=FakeClock)
    is_ready: bool = True
    is_alive: bool = True
    sent: list[dict[str, Any]] = field(default_factory=list)
    cancelled: list[int] = field(default_factory=list)
    delivered: int = 0  # messages handed out so far
    starts: int = 0
    closed: int = 0
    silent: float = 0.0  # what ``silent_for`` reports (a hung child: more than the total limit)
    _steps: deque[tuple[float, dict[str, Any]]] = field(default_factory=deque)
    _rid: int = 0

    @property
    def ready(self) -> bool:
        return self.is_ready and self.is_alive

    @property
    def alive(self) -> bool:
        return self.is_alive

    def start(self) -> None:
        self.starts += 1

    def wait_ready(self, timeout: float) -> bool:
        return self.ready

    def send(self, msg: dict[str, Any]) -> int:
        self._rid += 1
        self.sent.append({**msg, "id": self._rid})
        self._steps = deque(self.scripts.popleft() if self.scripts else [])
        return self._rid

    def next_message(self, rid: int, timeout: float) -> dict[str, Any] | None:
        if not self._steps:  # a hung child
            self.clock.now += timeout
            return None
        seconds, msg = self._steps[0]
        if seconds > timeout:
            self.clock.now += timeout
            self._steps[0] = (seconds - timeout, msg)
            return None
        self.clock.now += seconds
        self._steps.popleft()
        self.delivered += 1
        return {**msg, "id": rid}

    def cancel(self, rid: int) -> None:
        self.cancelled.append(rid)

    def close(self, timeout: float = 3.0) -> None:
        self.closed += 1
        self.silent = 0.0

    def silent_for(self) -> float:
        return self.silent


def reply(text: str, seconds: float = 0.05) -> list[tuple[float, dict[str, Any]]]:
    """A fact-choosing reply ("3,5 yes") as the child streams it."""
    return tokens(text, seconds_each=seconds, chunk=2)


class RealtimeChild:
    """A scripted child on the real clock: each request's steps ``(seconds after the previous step,
    message)`` are put on a queue by a thread, as the spawned child's messages arrive, so deadlines,
    cancels and the kiosk pipeline's threads are exercised for real. An empty script hangs; a cancel
    ends the script with ``done``/``cancelled`` like the real child."""

    def __init__(self, *scripts: list[tuple[float, dict[str, Any]]]) -> None:
        import queue
        import threading

        self.scripts = deque(scripts)
        self.sent: list[dict[str, Any]] = []
        self.cancelled: list[tuple[int, float]] = []  # (request id, time.monotonic() of the cancel)
        self.closed = 0
        self._out: queue.Queue[dict[str, Any]] = queue.Queue()
        self._cancel: dict[int, threading.Event] = {}
        self._threads: list[threading.Thread] = []
        self._rid = 0

    ready = True
    alive = True

    def start(self) -> None:
        return None

    def silent_for(self) -> float:
        return 0.0

    def wait_ready(self, timeout: float) -> bool:
        return True

    def send(self, msg: dict[str, Any]) -> int:
        import threading

        self._rid += 1
        rid = self._rid
        self.sent.append({**msg, "id": rid})
        stop = self._cancel[rid] = threading.Event()
        steps = self.scripts.popleft() if self.scripts else []

        def feed() -> None:
            for seconds, step in steps or [(3600.0, {"op": "done", "stop": "eog"})]:
                if stop.wait(seconds):
                    break
                self._out.put({**step, "id": rid})
            if stop.is_set():
                self._out.put({"op": "done", "id": rid, "stop": "cancelled", "timings": {}})

        t = threading.Thread(target=feed, daemon=True)
        t.start()
        self._threads.append(t)
        return rid

    def next_message(self, rid: int, timeout: float) -> dict[str, Any] | None:
        import queue
        import time

        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            try:
                msg = self._out.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                return None
            if msg["id"] == rid:
                return msg

    def cancel(self, rid: int) -> None:
        import time

        self.cancelled.append((rid, time.monotonic()))
        if rid in self._cancel:
            self._cancel[rid].set()

    def close(self, timeout: float = 3.0) -> None:
        self.closed += 1
        for ev in self._cancel.values():
            ev.set()
