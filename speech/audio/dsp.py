"""Signal processing on the way to the speaker: rate conversion, volume and the peak limiter.

What happens to a synthesised chunk's int16 samples before they are written to an
output stream or a WAV file: ``resample`` (linear interpolation to the device's rate), ``scale_volume``
(the kiosk's volume setting) and ``limit_peaks`` (the look-ahead limiter that keeps gains above 1.0
under ``CEILING_DBFS`` without clipping). Pure functions on bytes/arrays: no device, no threads.
"""

from __future__ import annotations

import numpy as np

CEILING_DBFS = -1.0  # output peak limit: headroom for the DAC (inter-sample peaks) and any gain
LIMIT_FRAME_S = 0.0025  # the limiter's gain is computed per 2.5 ms frame ...
LIMIT_HOLD = 4  # ... held for ±4 frames (10 ms) around a peak ...
LIMIT_SMOOTH = LIMIT_HOLD - 1  # ... and averaged over ±3 frames: smooth, yet never above what a peak needs

def scale_volume(pcm16: bytes, volume: float, sample_rate: int = 22050) -> bytes:
    """Multiply int16 samples by ``volume``; peaks that would pass ``CEILING_DBFS`` are limited.

    espeak-ng peaks at about -0.03 dBFS, so any gain above 1.0 used to clip. Above 1.0 the gain is
    reduced only around peaks (``limit_peaks``), so speech still gets louder and is never clipped.
    At 1.0 or below nothing can clip: plain scaling (1.0: the engine's bytes, unchanged).
    """
    if not pcm16:
        return pcm16
    x = np.frombuffer(pcm16, dtype="<i2").astype(np.float32)
    ceiling = 32767 * 10 ** (CEILING_DBFS / 20)
    if volume <= 1.0:  # cannot clip: plain scaling (1.0: the engine's bytes, unchanged)
        return pcm16 if volume == 1.0 else bytes(np.rint(x * volume).astype("<i2").tobytes())
    y = limit_peaks(x * volume, ceiling, max(1, round(sample_rate * LIMIT_FRAME_S)))
    return bytes(np.clip(np.rint(y), -ceiling, ceiling).astype("<i2").tobytes())


def limit_peaks(y: np.ndarray, ceiling: float, frame: int) -> np.ndarray:
    """A look-ahead peak limiter: ``|result| <= ceiling`` with a gain that changes over milliseconds.

    Per frame, the gain its loudest sample needs; the minimum over ±``LIMIT_HOLD`` frames; a moving
    average over ±``LIMIT_SMOOTH`` frames (each averaged value still covers the frame, so it is never
    above that frame's need); linear interpolation between frame centres (both ends cover the frame).
    """
    n = len(y)
    frames = -(-n // frame)
    peaks = np.abs(np.pad(y, (0, frames * frame - n))).reshape(frames, frame).max(axis=1)
    need = np.minimum(1.0, ceiling / np.maximum(peaks, 1e-9))
    if need.min() >= 1.0:
        return y
    padded = np.pad(need, LIMIT_HOLD, constant_values=1.0)
    held = np.min([padded[i:i + frames] for i in range(2 * LIMIT_HOLD + 1)], axis=0)
    padded = np.pad(held, LIMIT_SMOOTH, mode="edge")
    smooth = np.mean([padded[i:i + frames] for i in range(2 * LIMIT_SMOOTH + 1)], axis=0)
    centres = np.arange(frames) * frame + (frame - 1) / 2
    gain = np.interp(np.arange(n), centres, smooth)
    return y * gain


def resample(pcm16: bytes, src_rate: int, dst_rate: int) -> bytes:
    """Linear-interpolation resampling of int16 mono (speech only; good enough for a kiosk speaker)."""
    if src_rate == dst_rate or not pcm16:
        return pcm16
    x = np.frombuffer(pcm16, dtype="<i2").astype(np.float32)
    n_out = max(1, round(len(x) * dst_rate / src_rate))
    t = np.linspace(0, len(x) - 1, n_out, dtype=np.float64)
    return np.interp(t, np.arange(len(x)), x).round().astype("<i2").tobytes()
