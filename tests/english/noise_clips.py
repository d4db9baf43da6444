"""Sounds that are not speech, made here (seeded, deterministic), for Whisper's silence/noise tests
and bench/bench_whisper_noise.py: what a kiosk microphone hears when nobody speaks.

Levels are dBFS RMS of int16 PCM at 16 kHz (a person at the kiosk speaks at about -30..-20 dBFS).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

RATE = 16000
I16 = npt.NDArray[np.int16]
F64 = npt.NDArray[np.float64]


def _at_level(x: F64, db: float) -> I16:
    rms = float(np.sqrt(np.mean(x * x))) or 1.0
    y = x / rms * (10 ** (db / 20) * 32768)
    return np.clip(np.round(y), -32768, 32767).astype(np.int16)


def _n(seconds: float) -> int:
    return round(seconds * RATE)


def silence(seconds: float = 2.0) -> I16:
    return np.zeros(_n(seconds), dtype=np.int16)


def white_noise(seconds: float = 2.0, db: float = -60.0, seed: int = 1) -> I16:
    return _at_level(np.random.default_rng(seed).standard_normal(_n(seconds)), db)


def pink_noise(seconds: float = 2.0, db: float = -40.0, seed: int = 2) -> I16:
    """1/f noise (a fan, air conditioning, a distant crowd)."""
    n = _n(seconds)
    spec = np.fft.rfft(np.random.default_rng(seed).standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / RATE)
    spec[1:] /= np.sqrt(f[1:])
    spec[0] = 0
    return _at_level(np.fft.irfft(spec, n), db)


def hum(seconds: float = 3.0, db: float = -35.0, mains: float = 50.0) -> I16:
    """Mains hum with its harmonics (a ground loop, a fluorescent tube)."""
    t = np.arange(_n(seconds)) / RATE
    x = sum((0.6 ** k) * np.sin(2 * np.pi * mains * (k + 1) * t) for k in range(6))
    return _at_level(np.asarray(x, dtype=np.float64), db)


def clicks(seconds: float = 2.0, db: float = -20.0, seed: int = 3) -> I16:
    """A door slam: a low thump and a few sharp clicks (~40 ms each) in a quiet room."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(_n(seconds)) * 10 ** (-70 / 20)
    for at, width, low in ((0.4, 0.06, True), (0.47, 0.03, False), (1.1, 0.02, False), (1.4, 0.04, True)):
        i, m = _n(at), _n(width)
        env = np.exp(-np.arange(m) / (m / 5))
        burst = rng.standard_normal(m)
        if low:  # the thump: a decaying 80 Hz wave under the noise
            burst = burst * 0.3 + np.sin(2 * np.pi * 80 * np.arange(m) / RATE) * 3
        x[i:i + m] += burst * env
    peak_rms = float(np.sqrt(np.mean(x[_n(0.4):_n(0.46)] ** 2)))
    return np.clip(np.round(x / peak_rms * 10 ** (db / 20) * 32768), -32768, 32767).astype(np.int16)


def tones(seconds: float = 3.0, db: float = -25.0) -> I16:
    """Music-like: a melody of harmonic notes with attack/decay over a held chord (a phone ringtone,
    a radio in the next room)."""
    t = np.arange(_n(seconds)) / RATE
    x = np.zeros_like(t)
    for f in (220.0, 277.18, 329.63):  # A major chord, held
        x += 0.3 * np.sin(2 * np.pi * f * t)
    notes = (440.0, 493.88, 554.37, 659.25, 554.37, 493.88, 440.0, 659.25)
    step = seconds / len(notes)
    for k, f in enumerate(notes):
        i0, i1 = _n(k * step), _n((k + 1) * step)
        tt = t[i0:i1] - t[i0]
        env = np.minimum(1.0, tt / 0.02) * np.exp(-tt * 4)
        x[i0:i1] += env * sum((0.5 ** h) * np.sin(2 * np.pi * f * (h + 1) * tt) for h in range(4))
    return _at_level(x, db)


# name -> clip: the set the tests and the benchmark run (N = len)
def noise_set() -> dict[str, I16]:
    return {
        "silence-0.5s": silence(0.5),
        "silence-2s": silence(2.0),
        "silence-8s": silence(8.0),
        "white-60dB": white_noise(2.0, -60.0),
        "white-45dB": white_noise(2.0, -45.0, seed=4),
        "white-30dB": white_noise(3.0, -30.0, seed=5),
        "white-20dB": white_noise(2.0, -20.0, seed=6),
        "pink-50dB": pink_noise(2.0, -50.0),
        "pink-35dB": pink_noise(3.0, -35.0, seed=7),
        "pink-25dB": pink_noise(2.0, -25.0, seed=8),
        "hum-50Hz": hum(3.0, -35.0, 50.0),
        "hum-60Hz-loud": hum(2.0, -20.0, 60.0),
        "door-slam": clicks(2.0, -20.0),
        "door-slam-loud": clicks(2.0, -8.0, seed=9),
        "tones": tones(3.0, -25.0),
        "tones-quiet": tones(5.0, -40.0),
    }


def mix(speech: I16, noise: I16, snr_db: float) -> I16:
    """``speech`` with ``noise`` (looped/cut to its length) at ``snr_db`` below it."""
    s = speech.astype(np.float64)
    n = np.resize(noise.astype(np.float64), s.shape)
    ps, pn = float(np.mean(s * s)), float(np.mean(n * n)) or 1.0
    y = s + n * np.sqrt(ps / pn / 10 ** (snr_db / 10))
    out: I16 = np.clip(np.round(y), -32768, 32767).astype(np.int16)
    return out
