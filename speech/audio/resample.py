"""Streaming polyphase resampler for int16 PCM (numpy only, no scipy).

A Kaiser-windowed sinc low-pass evaluated on a table of fractional phases. Exact rational ratios
(48 kHz → 16 kHz is 1:3, 44.1 kHz → 16 kHz is 160:441); very odd rates quantise the phase to
``MAX_PHASES`` steps, far below audible error. Used for microphones that only offer 44.1/48 kHz and
for WAV files of any rate.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

MAX_PHASES = 2048
ZERO_CROSSINGS = 16  # filter half-length in output-rate zero crossings
KAISER_BETA = 8.0
ROLLOFF = 0.94  # cutoff as a fraction of the lower Nyquist frequency

Int16Array = npt.NDArray[np.int16]
FloatArray = npt.NDArray[np.float32]


class Resampler:
    """Resample a stream of mono int16 chunks from ``rate_in`` to ``rate_out``.

    ``process(chunk)`` returns whatever output is complete so far; ``flush()`` returns the tail.
    """

    def __init__(self, rate_in: int, rate_out: int) -> None:
        if rate_in <= 0 or rate_out <= 0:
            raise ValueError(f"sample rates must be positive, got {rate_in} -> {rate_out}")
        g = math.gcd(rate_in, rate_out)
        self.rate_in = rate_in
        self.rate_out = rate_out
        self.up = rate_out // g
        self.down = rate_in // g
        self.passthrough = self.up == self.down
        scale = min(1.0, self.up / self.down)
        self.half = math.ceil(ZERO_CROSSINGS / scale)  # taps each side, in input samples
        self.phases = min(self.up, MAX_PHASES)
        self._table = _kernel_table(self.phases, self.half, 0.5 * scale * ROLLOFF)
        # input samples with absolute index >= self._buf_start; the stream starts after `half` zeros
        self._buf: FloatArray = np.zeros(self.half, dtype=np.float32)
        self._buf_start = -self.half
        self._total_in = 0
        self._next_out = 0

    def process(self, chunk: Int16Array | bytes) -> Int16Array:
        x = np.frombuffer(chunk, dtype=np.int16) if isinstance(chunk, bytes | bytearray) else chunk
        if self.passthrough:
            return np.asarray(x, dtype=np.int16)
        self._buf = np.concatenate([self._buf, x.astype(np.float32)])
        self._total_in += len(x)
        return self._run(self._total_in)

    def flush(self) -> Int16Array:
        """Emit the remaining output (the input is treated as followed by silence)."""
        if self.passthrough:
            return np.zeros(0, dtype=np.int16)
        total = self._total_in
        self._buf = np.concatenate([self._buf, np.zeros(self.half, dtype=np.float32)])
        limit = -(-total * self.up // self.down)  # ceil: output length of the whole stream
        return self._run(total + self.half, limit)

    def _run(self, available: int, limit: int | None = None) -> Int16Array:
        up, down, half = self.up, self.down, self.half
        # output n needs input indices floor(n*down/up) - half + 1 .. floor(n*down/up) + half
        n_end = max(0, -(-(available - half) * up // down))
        if limit is not None:
            n_end = min(n_end, limit)
        n0 = self._next_out
        if n_end <= n0:
            return np.zeros(0, dtype=np.int16)
        n = np.arange(n0, n_end, dtype=np.int64)
        pos = n * down
        first = pos // up - half + 1 - self._buf_start
        phase = ((pos % up) * self.phases) // up
        windows = np.lib.stride_tricks.sliding_window_view(self._buf, 2 * half)
        y = np.einsum("nk,nk->n", windows[first], self._table[phase])
        self._next_out = n_end
        keep_from = (n_end * down) // up - half + 1  # first input index the next output needs
        drop = max(0, keep_from - self._buf_start)
        if drop:
            self._buf = self._buf[drop:]
            self._buf_start += drop
        out: Int16Array = np.clip(np.rint(y), -32768, 32767).astype(np.int16)
        return out


def _kernel_table(phases: int, half: int, cutoff: float) -> FloatArray:
    """Row p: taps for an output sample lying p/phases of an input sample after its base index."""
    offsets = np.arange(-half + 1, half + 1, dtype=np.float64)  # tap k sits at base + offsets[k]
    frac = np.arange(phases, dtype=np.float64)[:, None] / phases
    t = offsets[None, :] - frac  # distance from the output instant, in input samples
    h = 2 * cutoff * np.sinc(2 * cutoff * t)
    u = np.clip(t / half, -1.0, 1.0)
    h *= np.i0(KAISER_BETA * np.sqrt(1.0 - u * u)) / np.i0(KAISER_BETA)
    h /= h.sum(axis=1, keepdims=True)  # unity gain at DC for every phase
    return h.astype(np.float32)


def resample(pcm: Int16Array, rate_in: int, rate_out: int) -> Int16Array:
    """One-shot resampling of a whole mono signal."""
    if rate_in == rate_out:
        return pcm.astype(np.int16, copy=False)
    r = Resampler(rate_in, rate_out)
    out: Int16Array = np.concatenate([r.process(pcm), r.flush()])
    return out
