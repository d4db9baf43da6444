"""Freed memory back to the system (glibc ``malloc_trim``), so resident memory stays within 1 GB.

The engines (ONNX Runtime, CTranslate2, numpy) allocate and free buffers of many MiB on every
question; glibc keeps freed blocks in its heaps and gives them back only when asked, so resident
memory drifts up between questions. ``release_memory`` runs after each question (after ``Idle``,
off the answer's path) and after each Piper sentence (passed in by the wiring); its effect and cost
are in docs/benchmarks.md ("Measurements behind the code"). Not glibc (musl, macOS): a no-op.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from typing import Any


def _libc() -> Any:
    try:
        lib = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    return lib if hasattr(lib, "malloc_trim") else None


_LIBC = _libc()


def release_memory() -> None:
    """Give the freed blocks of every malloc arena back to the system."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)
