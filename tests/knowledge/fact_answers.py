"""Asking the evidence answerer about one sample record, the aspect detected from the question as the
kiosk does (the fact ranking tests: ``test_rank``, ``test_fact_model``)."""

from __future__ import annotations

from knowledge.answer import EvidenceAnswerer
from knowledge.bundle.schema import Record
from knowledge.types import Answer
from knowledge.understand.decide import detect_aspect
from knowledge.understand.english import detect_aspect_en

EVIDENCE = EvidenceAnswerer()  # no embeddings: the lexical model (what speaks while E5 warms up)


def ask_about(records: dict[str, Record], rid: str, question: str, language: str = "vi") -> Answer:
    aspect = detect_aspect_en(question) if language == "en" else detect_aspect(question)
    return EVIDENCE.answer(question, records[rid], aspect, language=language)
