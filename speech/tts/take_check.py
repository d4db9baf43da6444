"""Is this take a good recording of its sentence? (issue 20) The decisions are pure and table-tested.

``measure(samples, rate)`` turns a take (int16 mono, 16 kHz for the recogniser) into ``TakeStats``;
``judge(stats, text, heard, limits)`` turns the figures and the recogniser's transcript into
``Finding``s, each with a stable ``TakeCode`` (the UI turns it into a Vietnamese sentence for the
clerk). ``check_take`` runs both with a recogniser (the kiosk's own: viet-asr) and, if given, a VAD.

Documented limits (``TakeLimits``, docs/recordings.md):

* no speech: under 0.3 s of speech frames, or 0.12 s per syllable for shorter sentences ("Được.")
  (VAD probability ≥ 0.5, or without a VAD 20 ms frames above −50 dBFS and 6 dB over the noise floor);
* clipping: more than 0.1 % of samples at full scale (|x| ≥ 32 700);
* too quiet: active speech level under −40 dBFS (the kiosk levels clips to −20: +20 dB of gain
  would lift the room noise with it);
* too noisy: signal-to-noise under 20 dB (active level minus the 10th-percentile frame level);
* length: the speech must last 0.12–0.60 s per syllable of the spoken form
  (``normalize_for_speech``: "15" is two syllables "mười lăm"), plus 1.0 s for pauses;
* a file over 30 s (a 10-minute file) is refused before it is decoded;
* words: the recogniser's transcript against the spoken form, word error rate at most
  ``max_wer`` (0.35); the differing words are listed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import numpy as np

from speech.asr.wer import normalize_words
from speech.text.normalize_vi import normalize_for_speech


class TakeCode(StrEnum):
    FORMAT = "take-format"  # not a WAV we can read, or a sample rate too low to keep
    UNKNOWN_ID = "take-unknown-id"  # the file name is no sentence of the bundle
    TOO_LONG_FILE = "take-too-long"  # over the per-file duration limit (a 10-minute file)
    NO_SPEECH = "take-no-speech"
    CLIPPED = "take-clipped"
    TOO_QUIET = "take-too-quiet"
    TOO_NOISY = "take-too-noisy"
    TOO_SHORT = "take-too-short"  # for the number of syllables of the sentence
    TOO_SLOW = "take-too-slow"
    WRONG_WORDS = "take-wrong-words"  # the recogniser heard other words


@dataclass(frozen=True, slots=True)
class TakeLimits:
    min_speech_s: float = 0.3
    clip_level: int = 32700
    max_clipped_fraction: float = 0.001
    min_active_dbfs: float = -40.0
    min_snr_db: float = 20.0
    min_s_per_syllable: float = 0.12
    max_s_per_syllable: float = 0.60
    pause_allowance_s: float = 1.0
    max_duration_s: float = 30.0
    max_wer: float = 0.35


LIMITS = TakeLimits()


@dataclass(frozen=True, slots=True)
class TakeStats:
    duration_s: float
    speech_s: float  # frames judged speech
    clipped_fraction: float
    active_dbfs: float
    noise_dbfs: float

    @property
    def snr_db(self) -> float:
        return self.active_dbfs - self.noise_dbfs


@dataclass(frozen=True, slots=True)
class Finding:
    code: TakeCode
    detail: str  # English, precise (figures)
    differing: tuple[tuple[str, str], ...] = ()  # (expected, heard) words; "" = missing / extra
    heard: str = ""  # what the recogniser wrote (WRONG_WORDS)

    @property
    def reason(self) -> str:
        """The staff sentence's key (``kiosk_app/ui/recording_messages.py``): the finding's code."""
        return str(self.code)


def _frames_db(x: np.ndarray, frame: int) -> np.ndarray:
    n = len(x) // frame
    if n == 0:
        return np.full(1, -120.0)
    f = x[: n * frame].astype(np.float64).reshape(n, frame) / 32768.0
    return np.asarray(10 * np.log10(np.mean(f * f, axis=1) + 1e-12))


def measure(samples: np.ndarray, rate: int, vad: Callable[[bytes], float] | None = None,
            limits: TakeLimits = LIMITS) -> TakeStats:
    """Figures of a take: int16 mono ``samples`` at ``rate`` (``vad``: 512-sample chunks at 16 kHz)."""
    x = np.asarray(samples, dtype=np.int16)
    frame = max(1, rate // 50)
    db = _frames_db(x, frame)
    noise = float(np.percentile(db, 10))
    loud = db[db > db.max() - 30.0]
    active = float(10 * np.log10(np.mean(10 ** (loud / 10)))) if len(loud) else -120.0
    if vad is not None and rate == 16000:
        reset = getattr(vad, "reset", None)
        if callable(reset):  # a stateful VAD (adaptive noise floor) starts afresh for each take
            reset()
        chunks = [x[i:i + 512].tobytes() for i in range(0, len(x) - 511, 512)]
        speech_s = sum(vad(c) >= 0.5 for c in chunks) * 512 / rate
    else:
        speech_s = float(np.sum((db > -50.0) & (db > noise + 6.0))) * frame / rate
    clipped = float(np.mean(np.abs(x.astype(np.int32)) >= limits.clip_level)) if len(x) else 0.0
    return TakeStats(len(x) / rate if rate else 0.0, speech_s, clipped, active, noise)


def syllables(text: str) -> int:
    """Syllables of the spoken form (Vietnamese writes one syllable per word)."""
    return len(normalize_words(normalize_for_speech(text)))


def word_diff(expected: list[str], heard: list[str]) -> tuple[int, tuple[tuple[str, str], ...]]:
    """(edit distance, the differing (expected, heard) pairs) by a Levenshtein alignment."""
    n, m = len(expected), len(heard)
    d = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        d[i][0] = i
    for j in range(m + 1):
        d[0][j] = j
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            sub = d[i - 1][j - 1] + (expected[i - 1] != heard[j - 1])
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, sub)
    pairs: list[tuple[str, str]] = []
    i, j = n, m
    while i or j:
        if i and j and d[i][j] == d[i - 1][j - 1] + (expected[i - 1] != heard[j - 1]):
            if expected[i - 1] != heard[j - 1]:
                pairs.append((expected[i - 1], heard[j - 1]))
            i, j = i - 1, j - 1
        elif i and d[i][j] == d[i - 1][j] + 1:
            pairs.append((expected[i - 1], ""))
            i -= 1
        else:
            pairs.append(("", heard[j - 1]))
            j -= 1
    return d[n][m], tuple(reversed(pairs))


def words_problem(text: str, heard: str, limits: TakeLimits = LIMITS) -> Finding | None:
    expected = normalize_words(normalize_for_speech(text))
    got = normalize_words(normalize_for_speech(heard))
    errors, pairs = word_diff(expected, got)
    rate = errors / max(1, len(expected))
    if rate <= limits.max_wer:
        return None
    return Finding(TakeCode.WRONG_WORDS, f"word error rate {rate:.0%} (limit {limits.max_wer:.0%}): "
                   f"heard {' '.join(got)!r}", pairs, " ".join(got))


def min_speech(text: str, limits: TakeLimits = LIMITS) -> float:
    """Speech a take needs before it counts as speech at all: ``min_speech_s``, or less for a sentence
    so short that its shortest plausible reading is shorter ("Được." is one syllable, about 0.2 s)."""
    return min(limits.min_speech_s, max(1, syllables(text)) * limits.min_s_per_syllable)


def judge(stats: TakeStats, text: str, heard: str | None, limits: TakeLimits = LIMITS) -> list[Finding]:
    """Every problem of a measured take of ``text`` (``heard``: the recogniser's transcript, None
    when it was not run). No speech stops there: the other figures mean nothing without it."""
    if stats.duration_s > limits.max_duration_s:
        return [Finding(TakeCode.TOO_LONG_FILE, f"lasts {stats.duration_s:.0f} s "
                        f"(limit {limits.max_duration_s:.0f} s)")]
    floor = min_speech(text, limits)
    if stats.speech_s < floor:
        return [Finding(TakeCode.NO_SPEECH, f"{stats.speech_s:.2f} s of speech "
                        f"(at least {floor:.2f} s)")]
    out: list[Finding] = []
    if stats.clipped_fraction > limits.max_clipped_fraction:
        out.append(Finding(TakeCode.CLIPPED, f"{stats.clipped_fraction:.2%} of samples at full scale "
                           f"(limit {limits.max_clipped_fraction:.2%})"))
    if stats.active_dbfs < limits.min_active_dbfs:
        out.append(Finding(TakeCode.TOO_QUIET, f"speech level {stats.active_dbfs:.1f} dBFS "
                           f"(at least {limits.min_active_dbfs:.0f})"))
    elif stats.snr_db < limits.min_snr_db:
        out.append(Finding(TakeCode.TOO_NOISY, f"signal-to-noise {stats.snr_db:.1f} dB "
                           f"(at least {limits.min_snr_db:.0f})"))
    n = syllables(text)
    lo, hi = n * limits.min_s_per_syllable, n * limits.max_s_per_syllable + limits.pause_allowance_s
    if stats.speech_s < lo:
        out.append(Finding(TakeCode.TOO_SHORT, f"{stats.speech_s:.1f} s of speech for {n} syllables "
                           f"(at least {lo:.1f} s)"))
    elif stats.duration_s > hi and stats.speech_s > hi:
        out.append(Finding(TakeCode.TOO_SLOW, f"{stats.speech_s:.1f} s of speech for {n} syllables "
                           f"(at most {hi:.1f} s)"))
    if heard is not None:
        wrong = words_problem(text, heard, limits)
        if wrong is not None:
            out.append(wrong)
    return out


class Transcriber(Protocol):
    """What ``check_take`` needs of a recogniser (``speech.asr.base.Recognizer`` fits)."""

    def transcribe(self, pcm16: bytes, sample_rate: int) -> object: ...


def check_take(samples16k: np.ndarray, text: str, recognizer: Transcriber | None,
               vad: Callable[[bytes], float] | None = None,
               limits: TakeLimits = LIMITS) -> tuple[TakeStats, str | None, list[Finding]]:
    """Measure, transcribe (unless there is no speech) and judge one take at 16 kHz."""
    stats = measure(samples16k, 16000, vad, limits)
    heard: str | None = None
    if recognizer is not None and stats.speech_s >= min_speech(text, limits) \
            and stats.duration_s <= limits.max_duration_s:
        result = recognizer.transcribe(np.asarray(samples16k, dtype=np.int16).tobytes(), 16000)
        heard = str(getattr(result, "text", result))
    return stats, heard, judge(stats, text, heard, limits)
