"""``Knowledge``: the facade the pipeline, the UI and the CLI use. Opens one bundle once, answers questions.

``ask`` never raises for bad input: empty, garbage, overlong or odd Unicode questions get the
refer-to-staff answer. A missing or damaged bundle/index raises ``StoreMissingError`` /
``StoreCorruptError`` naming the path and the command that rebuilds it.
"""

from __future__ import annotations

import io
import logging
import threading
import time
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from kiosk_app.core.errors import BundleError, CancelledError, StoreCorruptError, StoreMissingError
from kiosk_app.core.settings import Settings
from knowledge.answer import (
    Answerer,
    EvidenceAnswerer,
    StreamingAnswerer,
    numbers_not_in_record,
    refer_answer,
)
from knowledge.bundle.schema import Bundle, OutOfScope, Record, build_bundle_bytes, read_bundle_dir
from knowledge.types import (
    Answer,
    AnswerStream,
    Aspect,
    Conversation,
    FallbackReason,
    GuardReason,
    Hit,
    ReferReason,
    SentenceSink,
    Verdict,
)
from knowledge.understand.decide import (
    Decision,
    FollowUpRule,
    Thresholds,
    decide,
    detect_aspect,
    follow_up,
    is_garbage,
)
from knowledge.understand.english import EnglishLexicon, detect_aspect_en
from knowledge.understand.examples import OOS_PREFIX
from knowledge.understand.followup import aspect_free, named_apart_from_aspects, own_evidence
from knowledge.understand.lexical import LexicalIndex, LexicalScorer
from knowledge.understand.normalize import normalize_vi
from knowledge.understand.retrieval import HybridRetriever, Mode
from knowledge.understand.store import REBUILD_HINT, Index, build_index, open_index

log = logging.getLogger(__name__)

CURRENT = "current"
INDEX_DIR = "index"
ACTIVATE_HINT = ("activate the sample with: kiosk bundle import --sample "
                 "(or a ward bundle: kiosk bundle import FILE)")


class Knowledge:
    """One opened bundle: records, lexical index (memory) and semantic index (Chroma)."""

    def __init__(self, bundle_dir: Path, bundle: Bundle, index: Index | None, settings: Settings, *,
                 mode: Mode = Mode.HYBRID, answerer: Answerer | None = None,
                 thresholds: Thresholds | None = None) -> None:
        self.bundle_dir = bundle_dir
        self._bundle = bundle
        self._index = index
        self.settings = settings
        self.lexical = LexicalIndex(bundle.records.values())
        self.retriever = HybridRetriever(self.lexical, index, mode)
        self.answerer: Answerer = answerer or EvidenceAnswerer()
        # the card shown while the LLM chooses: the LLM answerer's own evidence answerer if it has one
        self._card: Answerer = getattr(self.answerer, "evidence", None) or EvidenceAnswerer()
        bind = getattr(self.answerer, "bind", None)  # fact embeddings, the LLM's prompt states
        if callable(bind):
            bind(bundle_dir, bundle.records.values())
        self.thresholds = thresholds or Thresholds(min_confidence=settings.retrieval.min_confidence,
                                                   margin=settings.retrieval.margin)
        self.load_s = 0.0
        self._english: EnglishLexicon | None = None

    # ---- opening ---------------------------------------------------------------------------------
    @classmethod
    def open(cls, bundle_dir: Path, settings: Settings, *, mode: Mode = Mode.HYBRID,
             answerer: Answerer | None = None, thresholds: Thresholds | None = None) -> Knowledge:
        t0 = time.perf_counter()
        bundle_dir = Path(bundle_dir)
        if not bundle_dir.is_dir():
            raise StoreMissingError(f"no knowledge bundle at {bundle_dir}; {REBUILD_HINT}")
        try:
            bundle = read_bundle_dir(bundle_dir)
        except BundleError as err:
            raise StoreCorruptError(f"knowledge bundle at {bundle_dir} is damaged: {err}; "
                                    f"{REBUILD_HINT}") from err
        index = open_index(bundle_dir / INDEX_DIR) if mode is not Mode.LEXICAL else None
        kn = cls(bundle_dir, bundle, index, settings, mode=mode, answerer=answerer, thresholds=thresholds)
        kn.load_s = time.perf_counter() - t0
        log.info("knowledge bundle %s opened (%d procedures) in %.2f s", bundle.manifest.label,
                 len(bundle.records), kn.load_s)
        return kn

    @property
    def bundle(self) -> Bundle:
        return self._bundle

    def record(self, procedure_id: str) -> Record:
        try:
            return self._bundle.records[procedure_id]
        except KeyError:
            raise KeyError(f"unknown procedure id {procedure_id!r}") from None

    def close(self) -> None:
        if self._index is not None:
            self._index.close()
            self._index = None
        close_answerer = getattr(self.answerer, "close", None)  # the LLM answerer's child process
        if callable(close_answerer):
            close_answerer()

    def __enter__(self) -> Knowledge:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- asking ----------------------------------------------------------------------------------
    def search(self, question: str, k: int | None = None) -> list[Hit]:
        return self.retriever.search(question, k or self.settings.retrieval.top_k)

    def decide(self, question: str, language: str = "vi",
               context: Conversation | None = None) -> tuple[Decision, Aspect, list[Hit]]:
        """Retrieval + decision without composing an answer (used by ``ask`` and the evaluation).

        ``context``: the procedure answered just before; a short question that names no other
        procedure and that retrieval answers only weakly stays on it (``decide.follow_up``)."""
        q = _clean(question)
        aspect = detect_aspect(q) if q else Aspect.GENERAL
        reason = self._bad_input(q)
        if reason:
            return Decision(Verdict.REFER, 0.0, reason=reason), aspect, []
        # One stack for both languages: the language only chooses the lexical index and the aspect
        # words; nearest examples (multilingual E5) and the out-of-scope kinds are shared.
        lexicon: LexicalScorer = self.lexical
        thresholds = self.thresholds
        if language == "en":
            english = self.english()
            aspect, lexicon, thresholds = detect_aspect_en(q), english.index, english.thresholds
        ranked, oos = self.retriever.rank(q, lexicon, language)
        hits = ranked[: self.settings.retrieval.top_k]
        decision = decide(hits, thresholds, out_of_scope=oos)
        if (context is not None and context.language == language
                and context.procedure_id in self._bundle.records):
            rule = FollowUpRule()
            own = rule.own_words(oos, self.retriever.weights.guarded, len(q.split())) if oos else 0.0
            if oos and self.retriever.semantic(q).words.get(OOS_PREFIX + oos, 0.0) < own:
                # "làm ở đâu" after an answer is about that answer: a refusal kind that the question
                # has no words of its own for ("hộ chiếu", "thời tiết", "làm giả") does not end the
                # conversation; "ông bà đi thay" after a birth answer is a proxy question
                decision = decide(hits, thresholds)
            # aspect-only follow-ups keep the conversation's procedure
            pieces = aspect_free(q, language)
            own = own_evidence(lexicon, pieces, context.procedure_id)
            named = named_apart_from_aspects(self.lexical, pieces)  # "qua mạng" asks, does not name
            decision = follow_up(decision, hits, previous=context.procedure_id, words=len(q.split()),
                                 named=named, thresholds=self.thresholds, rule=rule, own=own)
        return decision, aspect, hits

    def ask(self, question: str, language: str = "vi", context: Conversation | None = None) -> Answer:
        """Answer one question (never raises for bad input)."""
        return self.ask_stream(question, language, context, live=False).card

    def ask_stream(self, question: str, language: str = "vi", context: Conversation | None = None, *,
                   live: bool = True) -> AnswerStream:
        """Decide now; the answer's sentences may come later (the pipeline speaks them as they come).

        With the evidence answerer (or when the LLM cannot answer now) the result holds the final
        answer; with the LLM choosing facts, ``card`` is the evidence answer (shown at
        once) and ``run(on_sentence, cancel)`` speaks the facts the model chose."""
        q = _clean(question)
        log.debug("question: %r", q)
        t0 = time.perf_counter()
        decision, aspect, _hits = self.decide(q, language, context)
        decide_ms = round((time.perf_counter() - t0) * 1000, 2)
        if decision.verdict is Verdict.REFER or decision.procedure_id is None:
            return AnswerStream(refer_answer(decision.reason, language=language,
                                             confidence=decision.confidence,
                                             alternatives=decision.alternatives, aspect=aspect))
        record = self._bundle.records[decision.procedure_id]
        conf, alts = decision.confidence, decision.alternatives
        ans = self.answerer
        if live and isinstance(ans, StreamingAnswerer) and ans.streams(q, aspect, language):
            card = self._card.answer(q, record, aspect, confidence=conf, alternatives=alts,
                                     language=language)
            card = replace(card, timings_ms={"decide_ms": decide_ms, **card.timings_ms})

            def generate(on_sentence: SentenceSink, cancel: threading.Event | None) -> Answer:
                try:
                    return ans.answer_stream(q, record, aspect, confidence=conf, alternatives=alts,
                                             language=language, on_sentence=on_sentence, cancel=cancel)
                except CancelledError:
                    raise
                except Exception:  # the answerer handles its child's failures; this is a last resort
                    log.exception("LLM answer for %s failed; the evidence answer speaks", record.id)
                    for sentence in card.sentences:
                        on_sentence(sentence)
                    return replace(card, reason=FallbackReason.FAILED)

            return AnswerStream(card, generate)
        answer = ans.answer(q, record, aspect, confidence=conf, alternatives=alts, language=language)
        answer = replace(answer, timings_ms={"decide_ms": decide_ms, **answer.timings_ms})
        if decision.reason == "follow-up" and not answer.reason:
            answer = replace(answer, reason="follow-up")
        extra = numbers_not_in_record(answer.spoken, record)
        if extra:  # cannot happen with record-worded answers; the last check on whatever is spoken
            log.error("answer for %s had numbers not in the record: %s; referring", record.id, sorted(extra))
            answer = refer_answer(GuardReason.NUMBER, language=language, confidence=decision.confidence,
                                  alternatives=(record.id, *decision.alternatives), aspect=aspect)
        return AnswerStream(answer)

    def english(self) -> EnglishLexicon:
        """The English lexical index of this bundle, built on the first English question."""
        if self._english is None:
            self._english = EnglishLexicon(self._bundle.records.values())
        return self._english

    def _bad_input(self, q: str) -> str:
        if not normalize_vi(q):
            return ReferReason.EMPTY
        if len(q) > self.settings.retrieval.max_question_chars:
            return ReferReason.TOO_LONG
        if is_garbage(q):
            return ReferReason.GARBAGE
        return ""


def _clean(question: object) -> str:
    """Any input to a safe str: lone surrogates and control characters become spaces; invisible format
    characters (zero-width space/joiners, BOM, soft hyphen, bidi marks) are dropped, so "kh\u200bai"
    is still "khai"."""
    if not isinstance(question, str):
        return ""
    q = question.encode("utf-8", "replace").decode("utf-8", "replace")
    return "".join("" if unicodedata.category(c) == "Cf" else c if c.isprintable() or c in " \t\n" else " "
                   for c in q).strip()


def current_bundle_dir(settings: Settings) -> Path:
    return settings.bundles_dir / CURRENT


def open_current(settings: Settings, *, mode: Mode = Mode.HYBRID,
                 answerer: Answerer | None = None) -> Knowledge:
    """Open the active bundle (``<data_dir>/bundles/current``); ``answerer`` default: evidence."""
    current = current_bundle_dir(settings)
    if not current.exists():
        raise StoreMissingError(f"no active knowledge bundle at {current}; {ACTIVATE_HINT}")
    return Knowledge.open(current.resolve(), settings, mode=mode, answerer=answerer)


def prepare_bundle_dir(records: Iterable[Record], dest: Path, *, bundle_id: str = "sample",
                       version: str = "0", sample: bool = True,
                       progress: object = None, out_of_scope: OutOfScope | None = None,
                       vectors: tuple[str, bytes] | None = None) -> Path:
    """Write an unpacked bundle (manifest + records) with its index into ``dest`` (tests, benchmarks).

    The ward's real path is the staff importer (``kiosk bundle import``), which also validates
    signatures and swaps the ``current`` link atomically.
    """
    data = build_bundle_bytes(records, bundle_id=bundle_id, version=version, sample=sample,
                              out_of_scope=out_of_scope, vectors=vectors)
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        zf.extractall(dest)
    build_index(read_bundle_dir(dest), dest / INDEX_DIR, progress if callable(progress) else None)
    return dest
