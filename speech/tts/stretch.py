"""Time-stretch of speech without changing its pitch: WSOLA (waveform-similarity overlap-add), numpy only.

"Nói chậm hơn" plays a recorded sentence slower. Playing the samples slower would lower the clerk's
voice like a tape; WSOLA keeps the pitch: the output is built from Hann-windowed frames of the input
laid down every ``hop`` samples, each frame taken from near the position the new tempo asks for, at
the offset (within ``± tolerance``) whose waveform best continues what was laid down before
(cross-correlation), so periods line up and nothing phases or echoes. On PyPI, audiotsm (last release
2017) is unmaintained and pytsmod 0.3.8 requires scipy and soundfile, which the kiosk does not otherwise
install; this is 70 lines of numpy.

Frame 40 ms (a few pitch periods even for a deep male voice), half-frame hop, tolerance ± 10 ms
(longer than one period of any adult voice, so an aligned offset always exists). Output length is
``len / rate`` to the sample. The offset is searched coarsely at ~8 kHz and refined to the sample:
a few ms of work per second of speech.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

FRAME_S = 0.040
TOLERANCE_S = 0.010
SEARCH_RATE = 8000  # the offset is searched on every n-th sample (~8 kHz), then refined to the sample
MIN_RATE, MAX_RATE = 0.25, 4.0

Int16Array = npt.NDArray[np.int16]


def stretch(pcm16: bytes, sample_rate: int, rate: float) -> bytes:
    """16-bit mono PCM played at ``rate`` (0.8: 25 % longer) with its pitch unchanged."""
    if not MIN_RATE <= rate <= MAX_RATE:
        raise ValueError(f"stretch rate must be within {MIN_RATE}..{MAX_RATE}, got {rate}")
    x = np.frombuffer(pcm16, dtype="<i2").astype(np.float64)
    if rate == 1.0 or x.size == 0:
        return pcm16
    frame = max(16, round(FRAME_S * sample_rate) // 2 * 2)
    hop = frame // 2
    tol = max(1, round(TOLERANCE_S * sample_rate))
    out_len = round(len(x) / rate)
    frames = math.ceil(out_len / hop) + 1
    # pad so every candidate frame (nominal position ± tol, and its natural continuation) exists
    padded = np.concatenate([np.zeros(tol), x, np.zeros(frame + 2 * tol + hop)])
    window = np.hanning(frame + 2)[1:-1]  # no zero end points: the overlap-add sum stays positive
    y = np.zeros(frames * hop + frame)
    norm = np.zeros_like(y)
    step = max(1, sample_rate // SEARCH_RATE)
    prev = 0  # where (in ``x``) the previous output frame was taken from
    for k in range(frames):
        nominal = min(round(k * hop * rate), len(x))
        if k == 0:
            start = nominal
        else:
            start = max(0, nominal - tol + _best_offset(padded, tol + prev + hop, nominal, frame, tol, step))
        y[k * hop: k * hop + frame] += padded[tol + start: tol + start + frame] * window
        norm[k * hop: k * hop + frame] += window
        prev = start
    out = y[:out_len] / np.maximum(norm[:out_len], 1e-3)
    return np.clip(np.rint(out), -32768, 32767).astype("<i2").tobytes()


def _best_offset(padded: npt.NDArray[np.float64], natural: int, nominal: int, frame: int, tol: int,
                 step: int) -> int:
    """Offset in ``0 .. 2 tol`` of the candidate frame at ``padded[nominal + offset:]`` most like the
    natural continuation ``padded[natural:natural + frame]``: a coarse search on every ``step``-th
    sample, then every sample within ± ``step`` of the coarse best."""
    template = padded[natural: natural + frame]
    region = padded[nominal: nominal + frame + 2 * tol]
    coarse = np.correlate(region[::step], template[::step], mode="valid")
    best = int(np.argmax(coarse)) * step
    lo, hi = max(0, best - step), min(2 * tol, best + step)
    fine = np.correlate(region[lo: hi + frame], template, mode="valid")
    return lo + int(np.argmax(fine))
