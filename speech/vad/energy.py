"""Energy VAD with an adaptive noise floor: no model, works everywhere (the default).

Each 32 ms chunk's RMS level (dBFS) is compared with a running estimate of the room's noise floor:
the floor follows quieter levels quickly and louder levels slowly, so a fan or a hum is learnt within
a few seconds, while speech (whose gaps between words pull the floor back down) is not. The first
chunk seeds the floor (capped, in case the person is already speaking).
"""

from __future__ import annotations

import math

import numpy as np

from speech.audio.format import int16_samples

CHUNK_SAMPLES = 512
SILENCE_DB = -90.0


def level_db(pcm16: bytes) -> float:
    """RMS level of int16 PCM in dBFS (full-scale sine ≈ -3 dB; digital silence = -90)."""
    x = int16_samples(pcm16).astype(np.float64)
    if x.size == 0:
        return SILENCE_DB
    rms = math.sqrt(float(np.mean(x * x))) / 32768.0
    return max(SILENCE_DB, 20.0 * math.log10(rms)) if rms > 0 else SILENCE_DB


def level_meter(db: float, floor_db: float = -60.0) -> float:
    """Map dBFS to 0..1 for a level bar (-60 dB → 0, 0 dB → 1)."""
    return min(1.0, max(0.0, (db - floor_db) / -floor_db))


class EnergyVad:
    """``VoiceDetector`` from chunk energy. Probability 0.5 = ``margin_db`` above the noise floor."""

    chunk_samples = CHUNK_SAMPLES

    def __init__(self, *, margin_db: float = 12.0, spread_db: float = 6.0, min_level_db: float = -52.0,
                 start_floor_cap_db: float = -40.0, rise_quiet: float = 0.05, rise_speech: float = 0.01,
                 fall: float = 0.5) -> None:
        self.margin_db = margin_db  # level above the floor that counts as speech (p = 0.5)
        self.spread_db = spread_db  # dB from p = 0.5 to p ≈ 0.88
        self.min_level_db = min_level_db  # nothing quieter than this is speech, however quiet the room
        self.start_floor_cap_db = start_floor_cap_db  # first chunk seeds the floor, at most this loud
        self.rise_quiet, self.rise_speech, self.fall = rise_quiet, rise_speech, fall
        self.floor_db: float | None = None
        self.last_db = SILENCE_DB

    def __call__(self, pcm16: bytes) -> float:
        db = level_db(pcm16)
        self.last_db = db
        if self.floor_db is None:
            self.floor_db = min(db, self.start_floor_cap_db)
        above = db - max(self.floor_db + self.margin_db, self.min_level_db)
        p = 1.0 / (1.0 + math.exp(-above / (self.spread_db / 2.0)))
        if db < self.floor_db:
            self.floor_db += self.fall * (db - self.floor_db)
        else:
            rate = self.rise_speech if p >= 0.5 else self.rise_quiet
            self.floor_db += rate * (db - self.floor_db)
        self.floor_db = max(self.floor_db, SILENCE_DB + 10.0)
        return p

    def reset(self) -> None:
        self.floor_db = None
        self.last_db = SILENCE_DB
