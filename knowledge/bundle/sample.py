"""The built-in sample bundle, built from package data (``knowledge/sample``).

Deterministic, so re-importing it changes nothing; the start-up trust check compares the stored
sample's manifest with ``sample_manifest_bytes``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from datetime import time as dtime
from pathlib import Path

from knowledge.bundle.safezip import read_members
from knowledge.bundle.schema import (
    MANIFEST,
    build_bundle_bytes,
    load_out_of_scope_dir,
    load_records_dir,
    sha256_bytes,
)
from knowledge.understand.vectors import MODEL_FILE, VECTORS, folder_vectors

SAMPLE = "sample"  # the source name ``import_bundle`` takes for the sample, and its bundle id
SAMPLE_DIR = Path(__file__).resolve().parents[1] / "sample" / "records"
SAMPLE_VECTORS = VECTORS  # beside records/: the sample's precomputed vectors
SAMPLE_VECTORS_MODEL = MODEL_FILE  # the embedding model fingerprint that made them


def sample_vectors(records_dir: Path = SAMPLE_DIR) -> tuple[str, bytes] | None:
    """The sample's precomputed E5 vectors (``sample/vectors.npz`` + the model that made them), so the
    first start does not embed ~3,600 example questions on the kiosk (about 2 minutes on 2 cores).
    Rebuilt by ``scripts/sample_vectors.py``; a vector whose text changed since is re-embedded."""
    return folder_vectors(Path(records_dir).parent)


def sample_bundle_bytes(records_dir: Path = SAMPLE_DIR) -> bytes:
    """Build the sample bundle from package data; deterministic, so re-importing it is a no-op."""
    records = load_records_dir(records_dir)
    digest = sha256_bytes(b"".join(p.read_bytes() for p in sorted(Path(records_dir).glob("*.yaml"))))
    newest = max(r.updated for r in records)
    return build_bundle_bytes(records, bundle_id=SAMPLE, version=f"{newest:%Y.%m.%d}-{digest[:8]}",
                              title=f"Dữ liệu mẫu ({len(records)} thủ tục)", sample=True,
                              created=datetime.combine(newest, dtime(0, 0), tzinfo=UTC),
                              out_of_scope=load_out_of_scope_dir(records_dir),
                              vectors=sample_vectors(records_dir))


def sample_manifest_bytes() -> bytes:
    """``manifest.json`` of the built-in sample as this software builds it (start-up re-check)."""
    return read_members(sample_bundle_bytes(), label="sample")[MANIFEST]
