"""``LlamaAnswerer``: the local LLM chooses the record's facts; the record speaks.

* The model (in its spawned child, ``knowledge.llm.child``) reads the rules, the record's numbered
  facts and the question (``knowledge.llm.prompt``) and may reply ONLY with 1–3 fact numbers and an
  optional label (yes / no / depends / not_in_record): a llama.cpp GBNF grammar makes anything else
  impossible. The kiosk speaks the chosen facts in the record's own words with fixed connectives
  (``EvidenceAnswerer.compose``); a yes/no word only when ``confirm`` proves the label from the
  chosen fact, never a flipped one. Every answer names its fact ids, so it is traceable.
* The prefix (rules + numbered facts) is evaluated once per record and saved as llama.cpp state
  under ``<bundle>/llm_state/<model key>/<record id>.bin`` (bundle import, ``kiosk ask
  --llm-prepare``, or lazily), so at answer time only the question is read.
* The model chooses among candidates only (method 4): the facts of the evidence answer and the
  evidence ranker's ``TOP_K`` best facts (``candidate_facts``); a pick outside them is dropped, and
  when none is left the evidence answer speaks ("llm-outside-top-k").
* When the model did not choose the evidence answer's first fact, that fact is spoken first and the
  model's choices follow (``merge_choice``; ``reason`` "…+evidence-best"): a model can add a fact the
  ranking missed but not drop the one it found. A "not_in_record" label is overruled when the
  ranking is sure (its best share ≥ ``SURE_SHARE`` on wording alone).
* Anything wrong gives the evidence answer at once: no choice within
  ``answer.llm_first_sentence_timeout_s`` ("llm-timeout"), a model not loaded ("llm-not-ready"), a
  child that died ("llm-crashed", restarted) or that stays silent past ``llm_total_timeout_s``
  after a request ("llm-hung": killed and restarted), a reply that names no fact ("llm-empty").
* ``Answer.answerer`` says who chose ("llm" or "evidence"), ``Answer.reason`` why, ``Answer.facts``
  the chosen ids; ``last_timings`` and ``Answer.timings_ms`` the prompt-read / choice / total times.

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

from kiosk_app.core.errors import CancelledError
from knowledge.answer import EvidenceAnswerer, numbers_not_in_record, unit_by_id
from knowledge.answer.evidence import SURE_SHARE
from knowledge.answer.facts import FactUnit
from knowledge.answer.rank import rank_units
from knowledge.answer.select import SPECIFIC, asks, name_words, score_units
from knowledge.bundle.schema import Record
from knowledge.llm.prompt import MAX_CHOSEN, Choice, grammar, numbered_units, parse_choice, system_prompt
from knowledge.types import Answer, Aspect, FallbackReason, GuardReason

__all__ = ["EVIDENCE_FIRST", "POLL_S", "STATE_DIR", "TOP_K", "LlamaAnswerer", "LlmClient", "add_to_evidence",
           "candidate_facts", "merge_choice",
           "model_key", "state_path", "within_candidates"]

log = logging.getLogger(__name__)

STATE_DIR = "llm_state"
POLL_S = 0.1  # longest wait for a child message before cancel and deadline are checked again
SURE_SCORE = 0.6  # a fact with the ask's cue and field scoring this is an answer, whatever the model says
EVIDENCE_FIRST = True  # the evidence answer's units lead and the model's picks are added (method 4)
TOP_K = 3  # the model's picks must be among the evidence ranker's this many best facts (0: any fact)
MAX_TOKENS = 32  # "12,13,27 not_in_record": SmolLM2 spends a token per digit (16 cut the label)


class LlmClient(Protocol):
    """What the answerer needs from the child process (``knowledge.llm.child.LlmChild``; fakes in tests)."""

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
    def silent_for(self) -> float: ...


def model_key(name: str, path: Path) -> str:
    """Name of a model's state folder: manifest name + a cheap fingerprint of the file (size and first
    MiB), so a replaced GGUF never meets an old state."""
    h = hashlib.sha256(str(path.stat().st_size).encode())
    with path.open("rb") as f:
        h.update(f.read(1 << 20))
    return f"{name}-{h.hexdigest()[:12]}"


def state_path(bundle_dir: Path, key: str, record_id: str) -> Path:
    return Path(bundle_dir) / STATE_DIR / key / f"{record_id}.bin"


def check_choice(question: str, record: Record, units: Sequence[FactUnit], label: str) -> str:
    """"" when the model's choice may be spoken, else why not (the evidence answer speaks instead):

    * ``llm-empty``: no fact of this record was named;
    * ``llm-overruled:not-in-record``: the model says the record does not answer, but one of its
      facts has the ask's cue and scores ``SURE_SCORE`` on field prior, cue and words, or the
      evidence ranking's best share is at least ``SURE_SHARE`` on wording alone;
    * ``llm-overruled:unsupported``: for a specific ask, none of the chosen facts has the ask's cue,
      field or a word of the question, nor is among the evidence ranker's three best units
      (``rank.rank_units``; a small model naming fact 1 for everything)."""
    if not units:
        return FallbackReason.EMPTY
    ask_list = asks(question, record.title)
    all_units = numbered_units(record)
    exclude = name_words(record, all_units)
    ranked = score_units(question, all_units, ask_list, exclude=exclude)
    if label == "not_in_record":
        sure = bool(ranked) and ranked[0].cue and ranked[0].score >= SURE_SCORE
        lexical = rank_units(question, all_units, ask_list, exclude=exclude)
        sure = sure or (bool(lexical) and lexical[0].share >= SURE_SHARE)
        return FallbackReason.NOT_IN_RECORD if ask_list[0] in SPECIFIC and sure else ""
    if ask_list[0] in SPECIFIC:
        scored = {sc.unit.id: sc for sc in ranked}
        best = {r.unit.fact_id for r in rank_units(question, all_units, ask_list, exclude=exclude)[:3]}
        if not any((u.id in scored and scored[u.id].cue) or u.fact_id in best for u in units):
            return FallbackReason.UNSUPPORTED
    return ""


def candidate_facts(question: str, record: Record, k: int = TOP_K) -> frozenset[str]:
    """The fact ids of the evidence ranker's ``k`` best facts (wording, ask and learned pairs; no E5)."""
    units = numbered_units(record)
    ranked = rank_units(question, units, asks(question, record.title), exclude=name_words(record, units))
    out: list[str] = []
    for r in ranked:
        if r.unit.fact_id not in out:
            out.append(r.unit.fact_id)
        if len(out) >= k:
            break
    return frozenset(out)


def within_candidates(model: Sequence[FactUnit], evidence: Sequence[FactUnit],
                      candidates: frozenset[str]) -> list[FactUnit]:
    """The model's picks that are among the candidates: the evidence answer's facts or ``candidates``."""
    allowed = candidates | {u.fact_id for u in evidence}
    return [u for u in model if u.fact_id in allowed]


def add_to_evidence(evidence: Sequence[FactUnit], model: Sequence[FactUnit],
                    limit: int = MAX_CHOSEN) -> tuple[list[FactUnit], bool]:
    """Evidence-first merge (method 4): the evidence answer's units, in its order and its choice of
    unit for each fact, then the model's picks of other facts, one unit per fact, at most ``limit``;
    and whether the model chose the evidence answer's first fact. The model adds, never replaces."""
    out: list[FactUnit] = []
    for u in [*evidence, *model]:
        if all(u.fact_id != o.fact_id for o in out):
            out.append(u)
    agreed = not evidence or any(u.fact_id == evidence[0].fact_id for u in model)
    return out[: max(limit, len(evidence))], agreed


def merge_choice(evidence: Sequence[FactUnit], model: Sequence[FactUnit],
                 limit: int = MAX_CHOSEN) -> tuple[list[FactUnit], bool]:
    """The units to speak, and whether the model chose the evidence answer's first fact itself.

    Agreeing, the model's choices are spoken as it ordered them; otherwise the evidence's first fact
    comes first and the model's choices follow (one unit per fact, at most ``limit``): the model may
    add what the ranking missed but cannot drop or bury the fact the ranking found."""
    out: list[FactUnit] = []
    for u in model:
        if all(u.fact_id != o.fact_id for o in out):
            out.append(u)
    if not evidence or any(u.fact_id == evidence[0].fact_id for u in out):
        return out[:limit], True
    return [evidence[0], *out[: limit - 1]], False


class LlamaAnswerer:
    """The LLM chooses which of the record's facts answer; the evidence answerer speaks them."""

    name = "llm"

    def __init__(self, child: LlmClient, *, evidence: EvidenceAnswerer | None = None, model_key: str = "",
                 first_sentence_timeout_s: float = 2.5, total_timeout_s: float = 8.0,
                 bundle_dir: Path | None = None, records: Iterable[Record] = (),
                 prompt: Callable[[Record], str] = system_prompt,
                 clock: Callable[[], float] = time.monotonic, top_k: int = TOP_K,
                 evidence_first: bool = EVIDENCE_FIRST) -> None:
        self.child = child
        self.top_k = top_k
        self.evidence_first = evidence_first
        self.evidence = evidence or EvidenceAnswerer()
        self.prompt = prompt
        self.model_key = model_key
        self.first_timeout = first_sentence_timeout_s
        self.hang_timeout = max(total_timeout_s, first_sentence_timeout_s)
        self.clock = clock
        self.bundle_dir: Path | None = None
        self.last_timings: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._current: int | None = None
        if bundle_dir is not None:
            self.bind(bundle_dir, records)

    # ---- set-up ---------------------------------------------------------------------------------
    def bind(self, bundle_dir: Path, records: Iterable[Record]) -> None:
        """Use this bundle's precomputed prompt states (and its fact embeddings)."""
        self.bundle_dir = Path(bundle_dir)
        self.evidence.bind(bundle_dir, records)

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
                rid = self.child.send({"op": "prepare", "system": self.prompt(rec),
                                       "state": str(self.state_for(rec))})
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
        rid = self._current
        if rid is not None:
            self.child.cancel(rid)

    def close(self) -> None:
        self.child.close()

    # ---- answering ------------------------------------------------------------------------------
    def streams(self, question: str, aspect: Aspect, language: str = "vi") -> bool:
        """Whether the model is asked now (the card shows at once, the choice follows)."""
        return language == "vi" and self.child.ready

    def answer(self, question: str, record: Record, aspect: Aspect, *, confidence: float = 1.0,
               alternatives: Sequence[str] = (), language: str = "vi") -> Answer:
        return self.answer_stream(question, record, aspect, confidence=confidence,
                                  alternatives=alternatives, language=language)

    def answer_stream(self, question: str, record: Record, aspect: Aspect, *, confidence: float = 1.0,
                      alternatives: Sequence[str] = (), language: str = "vi",
                      on_sentence: Callable[[str], None] | None = None,
                      cancel: threading.Event | None = None) -> Answer:
        """Answer; ``on_sentence`` gets each sentence once the answer is decided. Raises
        ``CancelledError`` if ``cancel`` is set while the model chooses."""
        t0 = self.clock()
        self.last_timings = {}

        def evidence() -> Answer:
            return self.evidence.answer(question, record, aspect, confidence=confidence,
                                        alternatives=alternatives, language=language)

        if language != "vi":
            return self._fallback(evidence(), FallbackReason.LANGUAGE, on_sentence, t0)
        if self.child.alive and self.child.silent_for() > self.hang_timeout:
            log.warning("LLM child silent for %.1f s on a request: killing and restarting it",
                        self.child.silent_for())
            self._restart()
            return self._fallback(evidence(), FallbackReason.HUNG, on_sentence, t0)
        if not self.child.ready:
            if not self.child.alive:
                self._restart()
            return self._fallback(evidence(), FallbackReason.NOT_READY, on_sentence, t0)
        with self._lock:
            rid = self._send(question, record)
            base = evidence()  # worked out while the child reads the question
            choice, reason = self._wait(rid, record, cancel, t0)
        if choice is None:
            if reason == FallbackReason.CRASHED:
                self._restart()
            return self._fallback(base, reason, on_sentence, t0)
        units = [u for u in (unit_by_id(record, uid) for uid in choice.ids) if u is not None]
        verdict = check_choice(question, record, units, choice.label)
        if verdict:  # the deterministic selection contradicts the model: the evidence answer speaks
            return self._fallback(base, verdict, on_sentence, t0)
        agreed = True
        evidence_units = [u for u in (unit_by_id(record, fid) for fid in base.facts) if u is not None]
        if choice.label == "not_in_record" and self.evidence_first and evidence_units:
            # the evidence answer spoke sourced facts: a model's "not in the record" does not silence them
            return self._fallback(base, FallbackReason.NOT_IN_RECORD, on_sentence, t0)
        if choice.label == "not_in_record":
            units = []
        else:
            if self.top_k > 0:
                top = candidate_facts(question, record, self.top_k)
                units = within_candidates(units, evidence_units, top)
                if not units:
                    return self._fallback(base, FallbackReason.OUTSIDE_TOP_K, on_sentence, t0)
            units, agreed = (add_to_evidence if self.evidence_first else merge_choice)(evidence_units, units)
        proposed = choice.label if choice.label in ("yes", "no") else ""
        timings = {**self.last_timings, "total_ms": (self.clock() - t0) * 1000}
        ans = self.evidence.compose(question, record, aspect, units, ask=asks(question, record.title)[0],
                                    proposed=proposed,
                                    confidence=confidence, alternatives=alternatives, answerer=self.name,
                                    reason=(f"llm:{choice.label}" if choice.label else "llm")
                                    + ("" if agreed else "+evidence-best"),
                                    timings={k: float(v) for k, v in timings.items()
                                             if isinstance(v, int | float)})
        extra = numbers_not_in_record(ans.spoken, record)
        if extra:  # cannot happen: every word comes from the record; the last check on what is spoken
            log.error("LLM-chosen answer for %s had numbers not in the record: %s", record.id, sorted(extra))
            return self._fallback(base, GuardReason.LLM_NUMBER, on_sentence, t0)
        self.last_timings["first_sentence_ms"] = timings["total_ms"]
        self.last_timings["total_ms"] = timings["total_ms"]
        if on_sentence is not None:
            for s in ans.sentences:
                on_sentence(s)
        return ans

    def _restart(self) -> None:
        log.warning("LLM child is not usable; restarting it (evidence answers meanwhile)")
        try:
            self.child.close(timeout=0.2)
            self.child.start()
        except Exception:  # restarting is best effort; the evidence answerer keeps answering
            log.exception("LLM child restart failed")

    def _fallback(self, base: Answer, reason: str, on_sentence: Callable[[str], None] | None,
                  t0: float) -> Answer:
        if on_sentence is not None:
            for s in base.sentences or (base.spoken,):
                on_sentence(s)
        total_ms = (self.clock() - t0) * 1000
        self.last_timings.setdefault("total_ms", total_ms)
        self.last_timings.setdefault("first_sentence_ms", total_ms)
        return replace(base, reason=reason, timings_ms={**base.timings_ms, "total_ms": round(total_ms, 2)})

    def _send(self, question: str, record: Record) -> int:
        state = self.state_for(record)
        rid = self.child.send({"op": "ask", "system": self.prompt(record), "question": question,
                               "state": str(state) if state else None, "max_tokens": MAX_TOKENS,
                               "grammar": grammar(len(numbered_units(record)))})
        self._current = rid
        return rid

    def _wait(self, rid: int, record: Record, cancel: threading.Event | None,
              t0: float) -> tuple[Choice | None, str]:
        """The child's reply to ``rid``: (choice, "") or (None, why not)."""
        text: list[str] = []
        deadline = t0 + self.first_timeout
        try:
            while True:
                if cancel is not None and cancel.is_set():
                    self.child.cancel(rid)
                    raise CancelledError("answer cancelled")
                now = self.clock()
                if now >= deadline:
                    self.child.cancel(rid)
                    self.last_timings["llm_ms"] = (now - t0) * 1000
                    return None, FallbackReason.TIMEOUT
                msg = self.child.next_message(rid, min(deadline - now, POLL_S))
                if msg is None:
                    continue
                op = msg.get("op")
                if op == "token":
                    self.last_timings.update(msg.get("timings") or {})
                    text.append(str(msg.get("text", "")))
                elif op == "done":
                    self.last_timings.update(msg.get("timings") or {})
                    self.last_timings["llm_ms"] = (self.clock() - t0) * 1000
                    choice = parse_choice("".join(text), record)
                    self.last_timings["reply"] = "".join(text)
                    return (choice, "") if choice is not None else (None, FallbackReason.UNPARSABLE)
                elif op == "error":
                    log.warning("LLM child error: %s", msg.get("message"))
                    return None, FallbackReason.CRASHED if msg.get("fatal") else FallbackReason.ERROR
        finally:
            self._current = None
