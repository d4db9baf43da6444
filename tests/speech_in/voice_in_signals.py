"""Voice-in test signals: generated tone/noise/silence and the real Vietnamese recordings."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

RATE = 16000
VIENEU = Path(__file__).resolve().parent.parent / "fixtures" / "vieneu"


def silence(seconds: float) -> bytes:
    return b"\x00\x00" * round(seconds * RATE)


def noise(seconds: float, db: float = -60.0, seed: int = 0) -> bytes:
    """White noise at ``db`` dBFS RMS (a quiet room through a USB microphone is about -60)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(round(seconds * RATE)) * 32768 * 10 ** (db / 20)
    return np.clip(x, -32768, 32767).astype(np.int16).tobytes()


def tone(seconds: float, freq: float = 440.0, db: float = -12.0, rate: int = RATE) -> bytes:
    t = np.arange(round(seconds * rate)) / rate
    amp = 32768 * 10 ** (db / 20) * math.sqrt(2)
    return (amp * np.sin(2 * math.pi * freq * t)).astype(np.int16).tobytes()


def recordings() -> list[Path]:
    wavs = sorted(VIENEU.glob("*.wav"))
    assert len(wavs) >= 6, f"recordings missing in {VIENEU}: run .venv/bin/python scripts/fetch_fixtures.py"
    return wavs


def reference(wav: Path) -> str:
    return wav.with_suffix(".txt").read_text(encoding="utf-8").strip()
