"""Freed memory back to the system (glibc ``malloc_trim``), for issue 6: resident memory ≤ 1 GB.

The engines (ONNX Runtime in Piper and the E5 embedder, CTranslate2 in Whisper, viet-asr, numpy)
allocate and free buffers of 1–30 MiB on every question. glibc keeps freed blocks in its heaps (its
mmap threshold rises to the largest block freed, up to 32 MiB, so later blocks of that size come
from the heap too) and gives them back only when asked: between two English answers (Piper trims
after each sentence) the kiosk's resident memory drifted up by 3–100 MiB a question, 590 → 830 MiB,
and a long synthesis on top of that made the peak. ``release_memory`` at the end of each question
and after each Piper sentence keeps it near 610 MiB; it takes 0.7 ms (p50, at most 17 ms) and runs
after ``Idle``, off the answer's path (measured with /tmp scripts on bench_soak's question mix).
Not glibc (musl, macOS): nothing to trim, a no-op.
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
