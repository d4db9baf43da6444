"""Recording audio: decode and check a bundle's Ogg/Opus member, encode a take, trim and level it.

Used at import (every member decoded and checked), at run time (``RecordingSet.clip``) and when
staff add takes (``kiosk bundle recordings import``). numpy + soundfile (libsndfile 1.2 with Opus,
bundled in the soundfile wheel); no speech engine.

Loudness target (documented, docs/recordings.md): the *active speech level*, the RMS of the 20 ms
frames within 30 dB of the loudest frame, is brought to ``TARGET_DBFS`` (−20 dBFS), with the peak
held at or below ``PEAK_DBFS`` (−1 dBFS; the gain is lowered instead). Two clips levelled this way
differ by well under 2 dB in active level unless one was limited by its peak (then it is quieter,
never louder). Silence is trimmed by energy: leading and trailing 10 ms frames more than 40 dB
below the loudest frame go, keeping ``PAD_S`` (60 ms) of each edge.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

from kiosk_app.core.errors import BundleError, Detail

OPUS_RATES = (8000, 12000, 16000, 24000, 48000)
STORE_RATE = 24000  # what takes are encoded at (Opus super-wide-band)
# libsndfile's Opus bitrate follows its compression level (0.5 ≈ 135 kbps, default ≈ 38 kbps at 24 kHz,
# 0.95 ≈ 20 kbps): 20 kbps is ~2.5 kB per second of speech, and viet-asr's transcript of a take is the
# same before and after (measured on the vieneu recordings)
OPUS_LEVEL = 0.95
TARGET_DBFS = -20.0
PEAK_DBFS = -1.0
ACTIVE_RANGE_DB = 30.0
TRIM_RANGE_DB = 40.0
PAD_S = 0.06


class AudioProblem(BundleError):
    """A recording that cannot be played (never played): a stable ``reason`` code, the detail in
    English and the values of the staff sentence (``name``, …). Codes: recording-format,
    recording-channels, recording-too-long, recording-undecodable, recording-empty."""

    def __init__(self, reason: str, message: str, **details: Detail) -> None:
        super().__init__(f"[{reason}] {message}", reason, **details)


@dataclass(frozen=True, slots=True)
class Decoded:
    samples: np.ndarray  # int16, mono
    sample_rate: int

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate if self.sample_rate else 0.0


def decode_ogg(data: bytes, name: str, *, max_duration_s: float, header_only: bool = False) -> Decoded:
    """Decode an Ogg/Opus member; ``AudioProblem`` names what is wrong with it. ``header_only``: check
    the container, codec, channels and length without decoding the audio (no samples returned)."""
    import soundfile as sf

    try:
        with sf.SoundFile(io.BytesIO(data)) as f:
            fmt, sub, sr, ch, frames = f.format, f.subtype, f.samplerate, f.channels, f.frames
            if fmt != "OGG" or sub != "OPUS":
                raise AudioProblem("recording-format", f"{name}: is {fmt}/{sub}, expected Ogg/Opus",
                                   name=name)
            if ch != 1:
                raise AudioProblem("recording-channels", f"{name}: has {ch} channels, expected mono",
                                   name=name)
            if frames > max_duration_s * sr:
                raise AudioProblem("recording-too-long",
                                   f"{name}: lasts {frames / sr:.1f} s (limit {max_duration_s:.0f} s)",
                                   name=name, seconds=frames / sr, limit_s=max_duration_s)
            if header_only:
                return Decoded(np.zeros(0, dtype=np.int16), int(sr))
            samples = f.read(dtype="int16")
    except AudioProblem:
        raise
    except Exception as err:  # libsndfile's errors are RuntimeError/LibsndfileError/ValueError
        raise AudioProblem("recording-undecodable",
                           f"{name}: cannot be decoded ({getattr(err, 'error_string', None) or err})",
                           name=name) from err
    if samples.ndim != 1:
        samples = samples[:, 0]
    if len(samples) < sr // 10:
        raise AudioProblem("recording-empty",
                           f"{name}: holds {len(samples)} samples (less than 0.1 s of audio)",
                           name=name)
    return Decoded(np.ascontiguousarray(samples, dtype=np.int16), int(sr))


def encode_ogg(samples: np.ndarray, sample_rate: int) -> bytes:
    """int16 mono samples → Ogg/Opus bytes (``sample_rate`` must be an Opus rate)."""
    import soundfile as sf

    if sample_rate not in OPUS_RATES:
        raise ValueError(f"Opus cannot store {sample_rate} Hz (use one of {OPUS_RATES})")
    buf = io.BytesIO()
    sf.write(buf, np.asarray(samples, dtype=np.int16), sample_rate, format="OGG", subtype="OPUS",
             compression_level=OPUS_LEVEL)
    return buf.getvalue()


def _frame_db(x: np.ndarray, frame: int) -> np.ndarray:
    n = len(x) // frame
    if n == 0:
        return np.zeros(0)
    f = x[: n * frame].astype(np.float64).reshape(n, frame) / 32768.0
    return np.asarray(10 * np.log10(np.mean(f * f, axis=1) + 1e-12), dtype=np.float64)


def trim_silence(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    frame = max(1, sample_rate // 100)
    db = _frame_db(samples, frame)
    if len(db) == 0:
        return samples
    loud = np.nonzero(db > db.max() - TRIM_RANGE_DB)[0]
    pad = int(PAD_S * sample_rate)
    start = max(0, int(loud[0]) * frame - pad)
    end = min(len(samples), (int(loud[-1]) + 1) * frame + pad)
    return samples[start:end]


def active_level_db(samples: np.ndarray, sample_rate: int) -> float:
    """RMS level (dBFS) of the 20 ms frames within 30 dB of the loudest one."""
    db = _frame_db(samples, max(1, sample_rate // 50))
    if len(db) == 0:
        return -120.0
    active = db[db > db.max() - ACTIVE_RANGE_DB]
    return float(10 * np.log10(np.mean(10 ** (active / 10))))


def level(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Gain to ``TARGET_DBFS`` active level, peak at most ``PEAK_DBFS``."""
    if len(samples) == 0:
        return samples
    gain_db = TARGET_DBFS - active_level_db(samples, sample_rate)
    peak = float(np.max(np.abs(samples.astype(np.int32)))) / 32768.0
    if peak > 0:
        gain_db = min(gain_db, PEAK_DBFS - 20 * np.log10(peak))
    y = samples.astype(np.float64) * (10 ** (gain_db / 20))
    return np.clip(np.round(y), -32768, 32767).astype(np.int16)


def prepare(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """What is played: silence trimmed, then levelled."""
    return level(trim_silence(samples, sample_rate), sample_rate)


def resample_int16(samples: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """Linear-interpolation resampling (joining clips of different rates; takes use speech.audio.resample)."""
    if src_rate == dst_rate or len(samples) == 0:
        return samples
    n = round(len(samples) * dst_rate / src_rate)
    x = np.interp(np.arange(n) * (src_rate / dst_rate), np.arange(len(samples)), samples.astype(np.float64))
    return np.asarray(np.clip(np.round(x), -32768, 32767), dtype=np.int16)
