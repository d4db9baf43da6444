"""Keeping Whisper from hearing words in silence and noise: a VAD gate before decoding, the decoder's own
signals after it, and a table of Whisper's known phantom outputs.

Whisper base (int8, CTranslate2) writes *something* for every window it is given: digital silence
comes out as "you", mains hum as "I", a door slam as "PAPAPAPA…", a ringtone as "I'm sorry."
Whisper's own rule (no speech when ``no_speech_prob`` > 0.6 *and* mean log-probability < -1.0)
misses most of them with our short encoder window. Three independent layers, each enough for the
clips measured in docs/benchmarks.md ("Whisper on silence and noise"):

1. **VAD gate** (``SpeechGate``, before the encoder): the kiosk's own energy VAD
   (``speech.vad.energy.EnergyVad``, its default) and the Silero VAD that faster-whisper ships for its
   ``vad_filter`` (``faster_whisper/assets/silero_vad_v6.onnx``, run by onnxruntime, a local file:
   nothing is downloaded). Less than ``min_speech_s`` of speech by either → no words, no decoding.
   The energy VAD passes loud steady noise (it takes seconds to learn a floor); Silero does not.
2. **Decoder signals** (``judge``): ``no_speech_prob`` ≥ 0.4 with a mean token log-probability
   < -1.0 (Whisper's rule, its 0.6 lowered); a log-probability < -2.5 on its own; a zlib
   compression ratio > 2.4 (Whisper's threshold: a loop, "PAPAPA…"). Speech and silence fall
   well apart on both scales.
3. **Phantom table** (``PHANTOMS``): the phrases Whisper is known to invent over silence ("you",
   "Thank you.", "Thanks for watching!", "Subtitles by …", "♪", "[Music]"), dropped only when the
   decode is also weak (``no_speech_prob`` ≥ 0.3, log-probability < -1.0 or a peak level under
   -50 dBFS), so a resident's clear "thank you" survives. Text with no letter or digit ("…", "♪")
   or a sound tag ("[Music]") is never words.

Only ``SpeechGate`` touches onnxruntime (lazily, in its constructor); the rest is pure and table-tested
(tests/english/test_whisper_guard.py).
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
import zlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

RATE = 16000
VAD_CHUNK = 512  # both VADs score 32 ms chunks
SILENCE_DB = -90.0


class Drop(StrEnum):
    """Why a decode was turned into no words (logged, counted by the benchmark)."""

    VAD = "vad"  # the gate found no speech: not decoded at all
    NO_SPEECH = "no-speech"  # no_speech_prob high and log-probability low
    LOW_LOGPROB = "low-logprob"  # nothing spoken decodes this badly
    REPETITIVE = "repetitive"  # compression ratio of a loop
    NO_WORDS = "no-words"  # punctuation or music symbols only
    PHANTOM = "phantom"  # a known hallucination, decoded weakly


@dataclass(frozen=True, slots=True)
class GuardConfig:
    """Thresholds (see the module doc for the measurements behind them). ``LEGACY`` is the rule the
    engine had before: Whisper's own, nothing else."""

    vad_gate: bool = True
    silero: bool = True  # the Silero half of the gate (energy VAD always runs when vad_gate)
    min_speech_s: float = 0.1  # of speech by each VAD, else no words ("yes" lasts ~0.2 s)
    no_speech_prob: float = 0.4  # Whisper: 0.6
    logprob: float = -1.0  # Whisper: -1.0; both must hold
    hopeless_logprob: float = -2.5  # alone
    max_compression: float = 2.4  # Whisper's compression_ratio_threshold
    phantoms: bool = True
    weak_no_speech_prob: float = 0.3  # a phantom phrase is dropped when any of these three says weak
    weak_logprob: float = -1.0
    weak_level_db: float = -50.0


DEFAULT = GuardConfig()
LEGACY = GuardConfig(vad_gate=False, silero=False, no_speech_prob=0.6, logprob=-1.0,
                     hopeless_logprob=-math.inf, max_compression=math.inf, phantoms=False)


@dataclass(frozen=True, slots=True)
class Signals:
    """What the decoder and the audio say about one decode."""

    no_speech_prob: float
    avg_logprob: float  # CTranslate2's length-normalised score: mean log-probability per token
    compression_ratio: float
    level_db: float = 0.0  # loudest 100 ms of the audio, dBFS


# Normalised (``normalise``) outputs Whisper produces over silence/noise: exact phrases, then patterns.
PHANTOMS: frozenset[str] = frozenset({
    "you", "i", "im", "oh", "so", "uh", "um", "hmm", "mm", "ah",
    "thank you", "thank you very much", "thank you so much", "thanks", "thank you thank you",
    "thanks for watching", "thank you for watching", "thanks for watching and see you next time",
    "thank you for listening", "thanks for listening", "please subscribe", "please like and subscribe",
    "like and subscribe", "dont forget to like and subscribe", "subscribe to my channel",
    "bye", "bye bye", "goodbye", "see you next time", "ill see you next time", "see you in the next video",
    "see you later", "the end", "im sorry", "you you", "music",
    "applause", "laughter", "silence", "blank audio", "no audio", "inaudible",
})
PHANTOM_PATTERNS: tuple[re.Pattern[str], ...] = tuple(re.compile(p) for p in (
    r"^(subtitles?|captions?|transcript(ion)?|translation|translated|subbed)( \w+)* by\b",
    r"\bamara\s?org\b",
    r"^(please )?(like|subscribe|share)( and (like|subscribe|share))+\b",
    r"\b(thanks|thank you) for watching\b",
))
# a sound tag, never a resident's words: "[Music]", "(upbeat music)", "*laughs*", "♪ la la ♪"
_TAG = re.compile(r"^\s*[\[(*♪♫][^\])*♪♫]*[\])*♪♫]\s*$")


def normalise(text: str) -> str:
    """Lower case, letters/digits/spaces only, apostrophes dropped ("I'm" → "im"), one space."""
    t = unicodedata.normalize("NFKC", text).lower().replace("'", "").replace("’", "")
    t = re.sub(r"[^\w\s]|_", " ", t)
    return " ".join(t.split())


def has_words(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def is_sound_tag(text: str) -> bool:
    return bool(_TAG.match(text))


def is_phantom_text(text: str) -> bool:
    """A phrase Whisper is known to invent over silence or noise (whatever the signals)."""
    n = normalise(text)
    return n in PHANTOMS or any(p.search(n) for p in PHANTOM_PATTERNS)


def is_weak(s: Signals, cfg: GuardConfig = GuardConfig()) -> bool:
    return (s.no_speech_prob >= cfg.weak_no_speech_prob or s.avg_logprob < cfg.weak_logprob
            or s.level_db < cfg.weak_level_db)


def compression_ratio(text: str) -> float:
    """len(utf-8) / len(zlib): ~1 for a sentence, > 2.4 for a loop (faster-whisper's definition)."""
    b = text.encode("utf-8")
    return len(b) / len(zlib.compress(b)) if b else 0.0


def judge(text: str, s: Signals, cfg: GuardConfig = GuardConfig()) -> Drop | None:
    """Why ``text`` decoded with ``s`` is not speech, or None to keep it. Pure."""
    if not text.strip():
        return None
    if s.no_speech_prob > cfg.no_speech_prob and s.avg_logprob < cfg.logprob:
        return Drop.NO_SPEECH
    if s.avg_logprob < cfg.hopeless_logprob:
        return Drop.LOW_LOGPROB
    if s.compression_ratio > cfg.max_compression:
        return Drop.REPETITIVE
    if cfg.phantoms:
        if not has_words(text) or is_sound_tag(text):
            return Drop.NO_WORDS
        if is_phantom_text(text) and is_weak(s, cfg):
            return Drop.PHANTOM
    return None


# ---- the audio side: levels and the VAD gate ---------------------------------------------------------
F32 = npt.NDArray[np.float32]


def peak_level_db(audio: F32, window: int = RATE // 10) -> float:
    """RMS of the loudest ``window`` (100 ms) of float audio in [-1, 1], dBFS (silence = -90)."""
    n = len(audio) // window * window or len(audio)
    if n == 0:
        return SILENCE_DB
    x = audio[:n].astype(np.float64).reshape(-1, min(window, n))
    rms = float(np.sqrt(np.max(np.mean(x * x, axis=1))))
    return max(SILENCE_DB, 20.0 * math.log10(rms)) if rms > 0 else SILENCE_DB


def energy_speech_s(audio: F32) -> float:
    """Seconds the kiosk's energy VAD (fresh, default settings) calls speech (p ≥ 0.5)."""
    from speech.vad.energy import EnergyVad

    vad = EnergyVad()
    pcm = np.clip(np.round(audio * 32768.0), -32768, 32767).astype(np.int16)
    n = sum(1 for i in range(0, len(pcm) - VAD_CHUNK + 1, VAD_CHUNK)
            if vad(pcm[i:i + VAD_CHUNK].tobytes()) >= 0.5)
    return n * VAD_CHUNK / RATE


@dataclass(frozen=True, slots=True)
class GateResult:
    energy_s: float
    silero_s: float | None  # None: Silero off or unavailable
    level_db: float

    def has_speech(self, min_speech_s: float) -> bool:
        return self.energy_s >= min_speech_s and (self.silero_s is None or self.silero_s >= min_speech_s)


class SpeechGate:
    """The VAD gate: the energy VAD plus faster-whisper's bundled Silero VAD (its ``vad_filter`` model).

    Silero is loaded here (onnxruntime, ~50 ms, once per process: faster-whisper caches it); if it
    cannot be (package or asset missing) the gate goes on with the energy VAD alone and says so once.
    """

    def __init__(self, cfg: GuardConfig = GuardConfig()) -> None:
        self.cfg = cfg
        self._silero: Any = None
        self._opts: Any = None
        if cfg.vad_gate and cfg.silero:
            try:
                from faster_whisper.vad import VadOptions, get_speech_timestamps, get_vad_model

                get_vad_model()  # load now, not during the first question
                self._silero = get_speech_timestamps
                self._opts = VadOptions(threshold=0.5, min_speech_duration_ms=0, min_silence_duration_ms=100,
                                        speech_pad_ms=0)
            except Exception as err:  # ImportError, onnxruntime's own errors, a missing asset
                log.warning("Silero VAD unavailable (%s): the Whisper gate uses the energy VAD only", err)

    @property
    def silero(self) -> bool:
        return self._silero is not None

    def measure(self, audio: F32) -> GateResult:
        silero_s: float | None = None
        if self._silero is not None:
            spans = self._silero(audio, self._opts, sampling_rate=RATE)
            silero_s = sum(int(s["end"]) - int(s["start"]) for s in spans) / RATE
        return GateResult(energy_speech_s(audio), silero_s, peak_level_db(audio))
