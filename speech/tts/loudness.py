"""Loudness of speech (ITU-R BS.1770-4 integrated loudness, LUFS) and gain to a target, numpy only.

Recorded clips and synthesised sentences must come out of the speaker at the same loudness, or a
mixed answer jumps between the clerk's voice and the synthesiser. BS.1770: K-weighting (a high shelf
of +4 dB above ~1.7 kHz and a 38 Hz high-pass), mean square over 400 ms blocks overlapping by 75 %,
an absolute gate at -70 LUFS and a relative gate 10 LU below the loudness of the blocks that pass it.

The two K-weighting biquads are derived for any sample rate from their analogue parameters
(libebur128's; at 48 kHz they give the coefficients printed in BS.1770). There is no scipy here
(pyloudnorm 0.2.0 requires it), so the filter is applied in the frequency domain: the signal, padded
with ``FILTER_TAIL_S`` of zeros (the filter's impulse response has died out long before), times the
filters' frequency response. That is linear filtering, not an approximation of it. A 997 Hz sine at
0 dBFS measures -3.01 LUFS, as the standard requires (tests/speech_out/test_recorded.py).

Signals shorter than one block (a short word) are measured as one block.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import numpy.typing as npt

BLOCK_S = 0.4
STEP_S = 0.1  # 75 % overlap
ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
FILTER_TAIL_S = 0.25
SILENT = -math.inf

# (gain dB, Q, centre Hz) of the two K-weighting stages, and the shelf's band-gain exponent: the
# analogue parameters libebur128 uses (at 48 kHz they give BS.1770's printed coefficients)
_SHELF = (3.999843853973347, 0.7071752369554196, 1681.974450955533)
_SHELF_VB_EXP = 0.4996667741545416
_HIGHPASS = (0.5003270373238773, 38.13547087602444)

FloatArray = npt.NDArray[np.float64]


def _biquads(rate: int) -> list[tuple[FloatArray, FloatArray]]:
    """(b, a) of the shelf and the high-pass at ``rate``."""
    gain_db, q, fc = _SHELF
    k = math.tan(math.pi * fc / rate)
    vh = 10 ** (gain_db / 20)
    vb = vh ** _SHELF_VB_EXP
    shelf = (np.array([vh + vb * k / q + k * k, 2 * (k * k - vh), vh - vb * k / q + k * k]),
             np.array([1 + k / q + k * k, 2 * (k * k - 1), 1 - k / q + k * k]))
    q, fc = _HIGHPASS
    k = math.tan(math.pi * fc / rate)
    highpass = (np.array([1.0, -2.0, 1.0]), np.array([1.0, 2 * (k * k - 1) / (1 + k / q + k * k),
                                                      (1 - k / q + k * k) / (1 + k / q + k * k)]))
    return [shelf, highpass]


@functools.lru_cache(maxsize=16)
def _response(rate: int, size: int) -> npt.NDArray[np.complex128]:
    """The K-weighting filters' frequency response at the bins of a ``size``-point real FFT."""
    z_inv = np.exp(-2j * np.pi * np.arange(size // 2 + 1) / size)  # e^-jw at each bin
    h: npt.NDArray[np.complex128] = np.ones_like(z_inv)
    for b, a in _biquads(rate):
        h *= (b[0] + b[1] * z_inv + b[2] * z_inv ** 2) / (a[0] + a[1] * z_inv + a[2] * z_inv ** 2)
    return h


def k_weight(x: npt.NDArray[np.floating], rate: int) -> FloatArray:
    """``x`` (float, full scale 1.0) through the K-weighting filters; same length."""
    n = len(x)
    size = 1 << (n + int(FILTER_TAIL_S * rate) - 1).bit_length()  # a power of two: a fast FFT
    spectrum = np.fft.rfft(np.asarray(x, dtype=np.float64), size) * _response(rate, size)
    out: FloatArray = np.fft.irfft(spectrum, size)[:n]
    return out


def integrated_loudness(pcm16: bytes, rate: int) -> float:
    """BS.1770 integrated loudness of 16-bit mono PCM in LUFS; ``SILENT`` (-inf) for silence."""
    x = np.frombuffer(pcm16, dtype="<i2").astype(np.float64) / 32768.0
    if not x.size:
        return SILENT
    y2 = k_weight(x, rate) ** 2
    block, step = round(BLOCK_S * rate), round(STEP_S * rate)
    if len(y2) <= block:
        powers = np.array([float(y2.mean())])
    else:
        sums = np.concatenate([[0.0], np.cumsum(y2)])
        starts = np.arange(0, len(y2) - block + 1, step)
        powers = (sums[starts + block] - sums[starts]) / block
    with np.errstate(divide="ignore"):
        levels = -0.691 + 10 * np.log10(powers)
    powers = powers[levels > ABSOLUTE_GATE_LUFS]
    if not powers.size:
        return SILENT
    relative = -0.691 + 10 * math.log10(float(powers.mean())) + RELATIVE_GATE_LU
    with np.errstate(divide="ignore"):
        powers = powers[-0.691 + 10 * np.log10(powers) > relative]
    return -0.691 + 10 * math.log10(float(powers.mean()))


def gain_to(loudness: float, target: float, max_gain_db: float) -> float:
    """Linear gain that brings ``loudness`` to ``target``, at most ``max_gain_db`` up (1.0 for silence)."""
    if not math.isfinite(loudness):
        return 1.0
    return float(10 ** (min(target - loudness, max_gain_db) / 20))
