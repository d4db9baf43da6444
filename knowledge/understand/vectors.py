"""Precomputed document vectors shipped inside a bundle (``vectors.npz``), so importing a large bundle
does not re-embed every example question on the kiosk's two cores.

The member holds, per index document, its id, the sha256 of its text and its E5 vector (float16).
The manifest's ``embedding`` names the model and its fingerprint; the kiosk reuses a vector only when
the fingerprint is its own model's and the document's text is unchanged, and embeds the rest. Read
with ``allow_pickle=False``: the member is data, never code.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from kiosk_app.core.errors import BundleError

VECTORS = "vectors.npz"  # bundle member
SAMPLE_FOLDER = Path(__file__).resolve().parents[1] / "sample"
MODEL_FILE = "vectors.model"  # beside a folder's vectors.npz: the model fingerprint that made them


def folder_vectors(folder: Path = SAMPLE_FOLDER) -> tuple[str, bytes] | None:
    """(model fingerprint, vectors.npz bytes) kept in a folder (the built-in sample's by default)."""
    npz, model = Path(folder) / VECTORS, Path(folder) / MODEL_FILE
    if not (npz.is_file() and model.is_file()):
        return None
    return model.read_text(encoding="utf-8").strip(), npz.read_bytes()


def text_sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def pack(ids: Sequence[str], texts: Sequence[str], matrix: NDArray[np.float32]) -> bytes:
    if not (len(ids) == len(texts) == len(matrix)):
        raise ValueError("ids, texts and vectors must have the same length")
    buf = io.BytesIO()
    np.savez_compressed(buf, ids=np.asarray(ids, dtype=np.str_),
                        sha=np.asarray([text_sha(t) for t in texts], dtype=np.str_),
                        vectors=np.asarray(matrix, dtype=np.float16))
    return buf.getvalue()


def unpack(raw: bytes) -> dict[str, tuple[str, NDArray[np.float32]]]:
    """doc id -> (text sha256, unit vector). A member that is not such an archive is a BundleError."""
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
            ids, sha, vectors = npz["ids"], npz["sha"], npz["vectors"].astype(np.float32)
    except (ValueError, KeyError, OSError, EOFError) as err:
        raise BundleError(f"{VECTORS}: not a vectors archive: {err}",
                          "vectors-corrupt", name=VECTORS) from err
    if not (ids.ndim == 1 and sha.shape == ids.shape and vectors.ndim == 2 and len(vectors) == len(ids)):
        raise BundleError(f"{VECTORS}: arrays do not match", "vectors-corrupt", name=VECTORS)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors = vectors / np.where(norms > 0, norms, 1.0)  # float16 storage: renormalise
    return {str(i): (str(s), v) for i, s, v in zip(ids, sha, vectors, strict=True)}
