"""Measurements on produced audio, independent of the code under test (tests and bench/bench_recorded.py).

* ``loud_frames``: 10 ms frames whose RMS is above ``SPEECH_DBFS`` (an absolute level, not the
  relative trim rule ``speech.tts.recorded`` uses, so the gaps are measured another way than made);
* ``boundary_gaps``: the silence around each sentence boundary of a played answer (from the last
  loud frame before it to the first loud frame after it);
* ``f0_hz``: median fundamental frequency of the voiced frames (normalised autocorrelation).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

SPEECH_DBFS = -45.0
FRAME_S = 0.010


def loud_frames(pcm16: bytes, rate: int) -> npt.NDArray[np.bool_]:
    x = np.frombuffer(pcm16, dtype="<i2").astype(np.float64)
    frame = round(FRAME_S * rate)
    n = len(x) // frame
    rms = np.sqrt(np.mean(x[: n * frame].reshape(n, frame) ** 2, axis=1))
    loud: npt.NDArray[np.bool_] = rms > 32768 * 10 ** (SPEECH_DBFS / 20)
    return loud


def speech_s(pcm16: bytes, rate: int) -> float:
    """From the first to the last loud frame, in seconds."""
    idx = np.flatnonzero(loud_frames(pcm16, rate))
    return float(idx[-1] - idx[0] + 1) * FRAME_S if idx.size else 0.0


def boundary_gaps(pcm16: bytes, rate: int, boundaries: Sequence[int]) -> list[float]:
    """Seconds of silence around each boundary (a sample index where a sentence's chunk starts)."""
    loud = np.flatnonzero(loud_frames(pcm16, rate))
    frame = round(FRAME_S * rate)
    gaps = []
    for b in boundaries:
        f = b // frame
        before, after = loud[loud < f], loud[loud >= f]
        if not before.size or not after.size:
            raise AssertionError(f"no speech on one side of the boundary at {b / rate:.2f} s")
        gaps.append(float(after[0] - before[-1] - 1) * FRAME_S)
    return gaps


def f0_hz(pcm16: bytes, rate: int, fmin: float = 70.0, fmax: float = 400.0) -> float:
    """Median f0 of frames that are loud and periodic (autocorrelation peak above 0.6)."""
    x = np.frombuffer(pcm16, dtype="<i2").astype(np.float64)
    n = round(0.04 * rate)
    lo, hi = int(rate / fmax), int(rate / fmin)
    found = []
    for i in range(0, len(x) - n - hi, n // 2):
        a = x[i:i + n] - x[i:i + n].mean()
        if np.sqrt(np.mean(a ** 2)) < 300:
            continue
        lags = np.lib.stride_tricks.sliding_window_view(x[i + lo: i + hi + n], n)[: hi - lo]
        lags = lags - lags.mean(axis=1, keepdims=True)
        r = lags @ a / np.sqrt((a @ a) * np.sum(lags ** 2, axis=1) + 1e-9)
        if r.max() > 0.6:
            found.append(rate / (lo + int(np.argmax(r))))
    if not found:
        raise AssertionError("no voiced frames")
    return float(np.median(found))
