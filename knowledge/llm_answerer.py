"""``LlamaAnswerer``: a local LLM answers what templates cannot, from the retrieved record only.

* Only some questions go to the model: yes/no ("ông bà đi thay được không"), conditional
  ("không có giấy chứng sinh thì sao") and follow-ups ("còn nộp trên mạng?"). Direct fee /
  documents / time / place questions stay on the template answerer (``route_question``, pure).
* Prompt = the model's chat template with a Vietnamese system prompt that confines it to the record,
  the record right after it, and the question last. The prefix (system + record) is evaluated once
  per record and saved as llama.cpp state under ``<bundle>/llm_state/<model key>/<record id>.bin``
  (at bundle import, or lazily on first use), so at question time only the question is read.
* Tokens stream from the child (``knowledge.llm_child``) and are cut into sentences; each sentence
  is checked by ``knowledge.guard.check_reply`` (with everything said before it) *before* it is
  spoken. A rejected first sentence, no first sentence within
  ``answer.llm_first_sentence_timeout_s``, an error or a dead child → the template answer speaks.
  A rejected later sentence is dropped and the template answer follows what was already said.
  The kiosk pipeline speaks each sentence as it arrives (``Knowledge.ask_stream``; ``streams()`` says
  whether a question goes to the model), so the resident hears the first one while the rest is written.
* ``Answer.answerer`` says who spoke ("llm", "template", "llm+template"), ``Answer.reason`` why
  ("llm", "llm-guard:number", "llm-timeout", "template-direct-question", ...). ``last_timings`` has
  the prompt-read / first-sentence / total times of the last question.

This module owns ``LlamaAnswerer`` (routing, the guard-checked sentence stream, timeouts and the
template fallback) and the child boundary (``LlmClient``, ``model_key``, ``state_path``). The prompt
lives in ``knowledge.llm_prompt``, the routing in ``knowledge.llm_route``, sentence cutting in
``knowledge.llm_sentences`` and construction from settings in ``knowledge.llm_setup``; their public
names are importable from here too.

Never imports ``llama_cpp``: that happens only in the spawned child.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

from kiosk_app.errors import CancelledError
from knowledge.answer import Answerer
from knowledge.bundle import Record
from knowledge.guard import check_reply, split_reply_sentences
from knowledge.llm_prompt import NO_INFO_VI, SYSTEM_PROMPT_VI, render_record, system_prompt
from knowledge.llm_route import Route, route_question
from knowledge.llm_sentences import SentenceSplitter, clean_sentence
from knowledge.llm_setup import N_CTX, build_llama_answerer, find_gguf, llm_unavailable, precompute_states
from knowledge.types import Answer, Aspect

__all__ = ["MAX_SENTENCES", "NO_INFO_VI", "N_CTX", "POLL_S", "STATE_DIR", "SYSTEM_PROMPT_VI",
           "LlamaAnswerer", "LlmClient", "Route", "SentenceSplitter", "build_llama_answerer",
           "clean_sentence", "find_gguf", "llm_unavailable", "model_key", "precompute_states",
           "render_record", "route_question", "state_path", "system_prompt"]

log = logging.getLogger(__name__)

STATE_DIR = "llm_state"
MAX_SENTENCES = 3
POLL_S = 0.1  # longest wait for a child message before cancel and deadline are checked again


# ---- the child boundary -------------------------------------------------------------------------
class LlmClient(Protocol):
    """What the answerer needs from the child process (``knowledge.llm_child.LlmChild``; fakes in tests)."""

    @property
    def ready(self) -> bool: ...
    @property
    def alive(self) -> bool: ...
    def start(self) -> None: ...
    def wait_ready(self, timeout: float) -> bool: ...
    def send(self, msg: dict[str, Any]) -> int: ...
    def next_message(self, rid: int, timeout: float) -> dict[str, Any] | None: ...
    def cancel(self, rid: int) -> None: ...
    def close(self, timeout: float = 3.0) -> None: ...


def model_key(name: str, path: Path) -> str:
    """Name of a model's state folder: manifest name + a cheap fingerprint of the file (size and first
    MiB), so a replaced GGUF never meets an old state."""
    h = hashlib.sha256(str(path.stat().st_size).encode())
    with path.open("rb") as f:
        h.update(f.read(1 << 20))
    return f"{name}-{h.hexdigest()[:12]}"


def state_path(bundle_dir: Path, key: str, record_id: str) -> Path:
    return Path(bundle_dir) / STATE_DIR / key / f"{record_id}.bin"


# ---- the answerer -------------------------------------------------------------------------------
class LlamaAnswerer:
    """Answerer that lets a local LLM phrase yes/no and conditional answers from the record."""

    name = "llm"

    def __init__(self, child: LlmClient, *, template: Answerer, model_key: str = "",
                 first_sentence_timeout_s: float = 2.5, total_timeout_s: float = 8.0,
                 max_tokens: int = 160, bundle_dir: Path | None = None, records: Iterable[Record] = (),
                 prompt: Callable[[Record], str] = system_prompt,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.child = child
        self.prompt = prompt
        self.template = template
        self.model_key = model_key
        self.first_timeout = first_sentence_timeout_s
        self.total_timeout = total_timeout_s
        self.max_tokens = max_tokens
        self.clock = clock
        self.bundle_dir: Path | None = None
        self.others: tuple[Record, ...] = ()
        self.last_timings: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._current: int | None = None
        if bundle_dir is not None:
            self.bind(bundle_dir, records)

    # ---- set-up ---------------------------------------------------------------------------------
    def bind(self, bundle_dir: Path, records: Iterable[Record]) -> None:
        """Use this bundle's records (other procedures for the guard) and its precomputed states."""
        self.bundle_dir = Path(bundle_dir)
        self.others = tuple(records)

    def state_for(self, record: Record) -> Path | None:
        if self.bundle_dir is None or not self.model_key:
            return None
        return state_path(self.bundle_dir, self.model_key, record.id)

    def prepare(self, records: Iterable[Record], *, timeout_s: float = 900.0,
                progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
        """Precompute and save the prompt state of every record (bundle import). Returns stats."""
        recs = list(records)
        stats: dict[str, Any] = {"records": len(recs), "computed": 0, "cached": 0, "failed": 0,
                                 "ms": 0.0, "bytes": 0, "prefix_tokens": []}
        if self.bundle_dir is None or not self.model_key:
            raise ValueError("bind(bundle_dir, records) and a model_key are needed to prepare states")
        if not self.child.wait_ready(timeout_s):
            stats["failed"] = len(recs)
            return stats
        with self._lock:
            for i, rec in enumerate(recs, 1):
                path = self.state_for(rec)
                rid = self.child.send({"op": "prepare", "system": self.prompt(rec), "state": str(path)})
                msg = self.child.next_message(rid, timeout_s)
                if msg is None or msg.get("op") != "prepared" or msg.get("cancelled"):
                    stats["failed"] += 1
                    log.warning("prompt state for %s not prepared: %s", rec.id, (msg or {}).get("message"))
                else:
                    stats["cached" if msg.get("cached") else "computed"] += 1
                    stats["ms"] += float(msg.get("ms", 0.0))
                    stats["bytes"] += int(msg.get("bytes", 0))
                    stats["prefix_tokens"].append(int(msg.get("prefix_tokens", 0)))
                if progress is not None:
                    progress(i, len(recs))
        return stats

    def cancel(self) -> None:
        """Stop the answer being generated (from any thread)."""
        rid = self._current
        if rid is not None:
            self.child.cancel(rid)

    def close(self) -> None:
        self.child.close()

    # ---- answering ------------------------------------------------------------------------------
    def streams(self, question: str, aspect: Aspect, language: str = "vi") -> bool:
        """Whether ``answer_stream`` would ask the model now (its sentences then come over seconds);
        False means the template answers at once (direct question, English, model not loaded)."""
        return language == "vi" and route_question(question, aspect).use_llm and self.child.ready

    def answer(self, question: str, record: Record, aspect: Aspect, *, confidence: float = 1.0,
               alternatives: Sequence[str] = (), language: str = "vi") -> Answer:
        return self.answer_stream(question, record, aspect, confidence=confidence,
                                  alternatives=alternatives, language=language)

    def answer_stream(self, question: str, record: Record, aspect: Aspect, *, confidence: float = 1.0,
                      alternatives: Sequence[str] = (), language: str = "vi",
                      on_sentence: Callable[[str], None] | None = None,
                      cancel: threading.Event | None = None) -> Answer:
        """Answer, calling ``on_sentence`` for each sentence as soon as it may be spoken.

        Sentences given to ``on_sentence`` have passed the guard; whatever happens later they
        stay said. Raises ``CancelledError`` if ``cancel`` is set (or ``cancel()`` is called).
        """
        t0 = self.clock()
        base = self.template.answer(question, record, aspect, confidence=confidence,
                                    alternatives=alternatives, language=language)
        self.last_timings = {}
        route = route_question(question, aspect)
        if language != "vi":
            return self._template(base, "template-language", on_sentence, t0)
        if not route.use_llm:
            return self._template(base, route.reason, on_sentence, t0)
        if not self.child.ready:
            if not self.child.alive:
                self._restart()
            return self._template(base, "llm-not-ready", on_sentence, t0)
        with self._lock:
            return self._generate(question, record, base, route, on_sentence, cancel, t0)

    def _restart(self) -> None:
        log.warning("LLM child is not running; restarting it (template answers meanwhile)")
        try:
            self.child.close()
            self.child.start()
        except Exception:  # restarting is best effort; the template keeps answering
            log.exception("LLM child restart failed")

    def _template(self, base: Answer, reason: str, on_sentence: Callable[[str], None] | None,
                  t0: float, said: Sequence[str] = ()) -> Answer:
        sentences = list(base.sentences or (base.spoken,))
        if on_sentence is not None:
            for s in sentences:
                on_sentence(s)
        all_sentences = (*said, *sentences)
        total_ms = (self.clock() - t0) * 1000
        self.last_timings.setdefault("total_ms", total_ms)
        self.last_timings.setdefault("first_sentence_ms", total_ms)
        return replace(base, spoken=" ".join(all_sentences), sentences=tuple(all_sentences),
                       answerer="llm+template" if said else "template", reason=reason)

    def _generate(self, question: str, record: Record, base: Answer, route: Route,
                  on_sentence: Callable[[str], None] | None, cancel: threading.Event | None,
                  t0: float) -> Answer:
        state = self.state_for(record)
        rid = self.child.send({"op": "ask", "system": self.prompt(record), "question": question,
                               "state": str(state) if state else None, "max_tokens": self.max_tokens})
        self._current = rid
        splitter = SentenceSplitter()
        passed: list[str] = []  # guard-checked sentences, in order
        said: list[str] = []  # given to on_sentence (streaming): can no longer be taken back
        first_ms: float | None = None
        timings: dict[str, Any] = {"route": route.kind}
        stream = on_sentence is not None

        def finish(reason: str, *, fallback: bool, guard_reason: str = "") -> Answer:
            self._current = None
            timings["total_ms"] = (self.clock() - t0) * 1000
            if first_ms is not None:
                timings["first_sentence_ms"] = first_ms
            self.last_timings = timings
            if fallback:
                if guard_reason:
                    log.info("LLM reply for %s rejected by the guard (%s); template answer", record.id,
                             guard_reason)
                # what was said stays said; the template answer follows (or replaces it)
                return self._template(base, reason, on_sentence, t0, said=said)
            return replace(base, spoken=" ".join(passed), sentences=tuple(passed), answerer="llm",
                           reason=reason)

        def accept(sentence: str) -> str:
            """'' if the sentence may be spoken, else the guard's reason."""
            nonlocal first_ms
            g = check_reply(" ".join([*passed, sentence]), record, question, "vi", others=self.others,
                            max_sentences=MAX_SENTENCES)
            if not g.ok:
                return g.reason
            passed.append(sentence)
            if first_ms is None:
                first_ms = (self.clock() - t0) * 1000
            if stream and on_sentence is not None:
                said.append(sentence)
                on_sentence(sentence)
            return ""

        while True:
            if cancel is not None and cancel.is_set():
                self.child.cancel(rid)
                self._current = None
                raise CancelledError("answer cancelled")
            now = self.clock()
            deadline = t0 + (self.total_timeout if passed else self.first_timeout)
            if now >= deadline:
                self.child.cancel(rid)
                if passed:
                    return finish("llm-timeout-total", fallback=False)
                return finish("llm-timeout", fallback=True)
            # Short waits: a cancel ("Dừng") is seen within POLL_S even while the child is silent
            # (reading the prompt), and the deadline within POLL_S of passing.
            msg = self.child.next_message(rid, min(deadline - now, POLL_S))
            if msg is None:
                continue  # the loop head sees the deadline and the cancel
            op = msg.get("op")
            if op == "token":
                timings.update(msg.get("timings") or {})
                for sentence in splitter.feed(str(msg.get("text", ""))):
                    reason = accept(sentence)
                    if reason:
                        self.child.cancel(rid)
                        return finish(f"llm-guard:{reason}", fallback=True, guard_reason=reason)
                    if len(split_reply_sentences(" ".join(passed))) >= MAX_SENTENCES:
                        self.child.cancel(rid)
                        return finish("llm", fallback=False)
            elif op == "done":
                timings.update(msg.get("timings", {}))
                if msg.get("stop") == "cancelled" and cancel is not None and cancel.is_set():
                    self._current = None
                    raise CancelledError("answer cancelled")
                rest = splitter.flush()
                if rest:
                    reason = accept(rest)
                    if reason:
                        return finish(f"llm-guard:{reason}", fallback=True, guard_reason=reason)
                if not passed:
                    return finish("llm-empty", fallback=True)
                return finish("llm", fallback=False)
            elif op == "error":
                log.warning("LLM request failed: %s", msg.get("message"))
                if msg.get("fatal"):
                    self._restart()
                return finish("llm-failed", fallback=True)

