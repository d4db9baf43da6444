"""Recompute the built-in sample's E5 vectors (knowledge/sample/vectors.npz + vectors.model).

    .venv/bin/python scripts/sample_vectors.py

Run after editing the sample records' names or examples (tests/knowledge/test_understand.py fails
while any document of the sample has no fresh vector). Takes about a minute on 2 cores.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from knowledge.bundle.sample import SAMPLE_DIR, SAMPLE_VECTORS, SAMPLE_VECTORS_MODEL  # noqa: E402
from knowledge.bundle.schema import load_out_of_scope_dir, load_records_dir  # noqa: E402
from knowledge.understand.store import compute_vectors  # noqa: E402


def main() -> int:
    model, npz = compute_vectors(load_records_dir(SAMPLE_DIR), load_out_of_scope_dir(SAMPLE_DIR))
    (SAMPLE_DIR.parent / SAMPLE_VECTORS).write_bytes(npz)
    (SAMPLE_DIR.parent / SAMPLE_VECTORS_MODEL).write_text(model + "\n", encoding="utf-8")
    print(f"{SAMPLE_DIR.parent / SAMPLE_VECTORS}: {len(npz):,} bytes, model {model}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
