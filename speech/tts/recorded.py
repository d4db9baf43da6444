"""Recorded human voice: play the clerk's recording of a sentence, synthesise only what is not recorded.

``RecordedSynthesizer`` wraps the kiosk's synthesiser (espeak-ng or Piper, issue 20). The unit is one
sentence as the pipeline hands it to TTS (an element of ``Answer.sentences``). For each sentence it
asks the active bundle's ``ClipSource`` (a callable returns the current one: the bundle can change
while the kiosk runs) for a fresh recording; if there is one it is played, otherwise ``inner``
synthesises the sentence. Order is kept, one ``AudioChunk`` per sentence either way, so the
pipeline's "Speaking" events and stop/barge-in behave exactly as with TTS: the player writes 30 ms
blocks and checks "Dừng" between them, whatever the chunk's length.

Every sentence that comes out (recorded or synthesised) is made alike:

* **Even pauses.** Silence at both edges is trimmed (``trim_silence``: 10 ms frames quieter than
  ``TRIM_DB`` below the loudest, ``EDGE_MS`` kept), ``FADE_MS`` ramps at the cuts, then ``PAUSE_MS``
  of silence is appended. Consecutive sentences are therefore ``PAUSE_MS`` (+ the kept edges) apart
  whether both are recorded, one is synthesised, or neither (espeak-ng on its own trails 430-540 ms
  of silence, so TTS-only answers get tighter, even pauses too).
* **Matched loudness.** Each sentence is measured (ITU-R BS.1770, ``speech.tts.loudness``) and
  brought to ``TARGET_LUFS`` (gain up to ``MAX_BOOST_DB``; peaks above -1 dBFS limited). The bundle
  normalises its recordings already; this re-checks them (a clip more than ``TOLERANCE_LU`` off is
  corrected) and brings the synthesiser to the same level, so a mixed answer does not jump.
  ``TARGET_LUFS`` is espeak-ng's own level (-18 to -21 LUFS measured), so TTS-only answers keep the
  loudness the kiosk's volume setting was tuned for.
* **One sample rate.** Clips are resampled (``resample_fft``, band-limited) to the synthesiser's rate
  (the last synthesised chunk's, or ``inner.sample_rate``, else espeak-ng's 22050 Hz), so the player
  keeps one output stream open for a mixed answer instead of reopening it at each switch.
* **"Nói chậm hơn"** (rate < 1): recordings are slowed by WSOLA (``speech.tts.stretch``), pitch kept;
  the synthesiser gets the rate as usual. Prepared clips are cached per (recording, rate, output
  rate), at most ``CACHE_BYTES``, so a replay starts at once.

A clip that cannot be used (no samples, all silence, an impossible sample rate, longer than
``MAX_CLIP_S``) or a source that fails is logged and the sentence is synthesised: the kiosk always
speaks.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from kiosk_app.core.errors import TtsError
from speech.audio.dsp import CEILING_DBFS, LIMIT_FRAME_S, limit_peaks
from speech.audio.format import int16_samples
from speech.tts.base import AudioChunk, Synthesizer
from speech.tts.loudness import gain_to, integrated_loudness
from speech.tts.sentences import split_sentences
from speech.tts.stretch import MAX_RATE, MIN_RATE, stretch

log = logging.getLogger(__name__)

PAUSE_MS = 250  # silence after every sentence: the gap between sentences (target 150-400 ms)
EDGE_MS = 20  # audio kept beyond the first/last loud frame (soft onsets, final consonants)
TRIM_DB = -35.0  # a 10 ms frame this far below the loudest frame is edge silence
FADE_MS = 5  # linear ramps at the trimmed edges (no click)
SILENCE_DBFS = -60.0  # a clip whose loudest frame is quieter than this is silence: not played
TARGET_LUFS = -19.0  # every sentence's integrated loudness (BS.1770)
TOLERANCE_LU = 0.5  # a sentence closer than this to the target is left as it is
MAX_BOOST_DB = 12.0  # a very quiet sentence is raised at most this much
DEFAULT_RATE = 22050  # espeak-ng's rate: clips are resampled to it until the synthesiser says otherwise
MIN_CLIP_RATE, MAX_CLIP_RATE = 8000, 96000
MAX_CLIP_S = 30.0  # no sentence of the kiosk takes this long; a longer clip is a wrong file: not played
RESAMPLE_PAD_S = 0.05
CACHE_BYTES = 32 * 1024 * 1024  # prepared clips kept (about 12 minutes of 22 kHz speech)

Int16Array = npt.NDArray[np.int16]
FloatArray = npt.NDArray[np.float64]


class ClipLike(Protocol):
    """What a recording must offer (``Clip`` here, or the bundle side's own frozen dataclass)."""

    @property
    def pcm16(self) -> bytes: ...  # decoded 16-bit signed little-endian mono

    @property
    def sample_rate(self) -> int: ...

    @property
    def sentence_id(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Clip:
    """A recording of one sentence: silence trimmed and loudness normalised by the bundle side."""

    pcm16: bytes
    sample_rate: int
    sentence_id: str


class ClipSource(Protocol):
    """The active bundle's recordings: a fresh recording of ``text`` (the sentence as the kiosk
    speaks it), or None when it has none (missing, or stale after the sentence was edited)."""

    def clip(self, text: str, language: str = "vi") -> ClipLike | None: ...


@dataclass(slots=True)
class VoiceStats:
    """Seconds of speech (pauses excluded) played from recordings and synthesised, since start-up."""

    recorded_s: float = 0.0
    synthesized_s: float = 0.0
    clips: int = 0
    synthesized: int = 0

    @property
    def recorded_share(self) -> float:
        total = self.recorded_s + self.synthesized_s
        return self.recorded_s / total if total else 0.0


def trim_silence(x: Int16Array, rate: int) -> Int16Array:
    """``x`` without its silent edges (``EDGE_MS`` kept); empty if it is all silence."""
    frame = max(1, rate // 100)
    n = len(x) // frame
    if n == 0:
        return x[:0]
    rms = np.sqrt(np.mean(x[: n * frame].astype(np.float64).reshape(n, frame) ** 2, axis=1))
    loudest = float(rms.max())
    if loudest < 32768 * 10 ** (SILENCE_DBFS / 20):
        return x[:0]
    loud = np.flatnonzero(rms >= loudest * 10 ** (TRIM_DB / 20))
    edge = round(EDGE_MS * rate / 1000)
    start = max(0, int(loud[0]) * frame - edge)
    end = min(len(x), (int(loud[-1]) + 1) * frame + edge)
    return x[start:end]


def leveled(x: Int16Array, rate: int, target_lufs: float = TARGET_LUFS) -> FloatArray:
    """``x`` as floats at ``target_lufs`` (left as it is within ``TOLERANCE_LU``)."""
    y = x.astype(np.float64)
    loudness = integrated_loudness(x.tobytes(), rate)
    if abs(loudness - target_lufs) > TOLERANCE_LU:
        y *= gain_to(loudness, target_lufs, MAX_BOOST_DB)
    return y


def package(y: FloatArray, rate: int, pause_ms: int = PAUSE_MS) -> bytes:
    """16-bit PCM of ``y``: peaks above -1 dBFS limited, faded edges, ``pause_ms`` of silence after."""
    ceiling = 32767 * 10 ** (CEILING_DBFS / 20)
    if np.abs(y).max(initial=0.0) > ceiling:
        y = limit_peaks(y, ceiling, max(1, round(rate * LIMIT_FRAME_S)))
    fade = min(len(y) // 2, round(FADE_MS * rate / 1000))
    if fade:
        ramp = np.linspace(0.0, 1.0, fade, endpoint=False)
        y[:fade] *= ramp
        y[len(y) - fade:] *= ramp[::-1]
    out = np.clip(np.rint(y), -32768, 32767).astype("<i2")
    return out.tobytes() + bytes(2 * round(pause_ms * rate / 1000))


def resample_fft(y: FloatArray, src: int, dst: int) -> FloatArray:
    """Band-limited resampling of a whole clip: its spectrum cut or zero-extended to the new rate.

    The clip is zero-padded to ``src/gcd * 2**k`` samples (at least ``RESAMPLE_PAD_S`` each side, so
    nothing wraps round), which makes both transforms fast sizes. Twice as fast here as the
    streaming polyphase ``speech.audio.resample`` and at least as clean (an ideal low-pass)."""
    if src == dst or not y.size:
        return y
    g = math.gcd(src, dst)
    up, down = dst // g, src // g
    need = len(y) + 2 * round(RESAMPLE_PAD_S * src)
    scale = 1 << max(0, math.ceil(math.log2(need / down)))
    n_in, n_out = down * scale, up * scale
    out: FloatArray = np.fft.irfft(np.fft.rfft(y, n_in), n_out)[: round(len(y) * dst / src)] * (n_out / n_in)
    return out


def finish(x: Int16Array, rate: int, *, target_lufs: float = TARGET_LUFS, pause_ms: int = PAUSE_MS) -> bytes:
    """A trimmed sentence made ready to play: loudness to ``target_lufs``, faded edges, pause after."""
    return package(leveled(x, rate, target_lufs), rate, pause_ms)


def engine_rate(voice: object) -> int:
    """The rate a voice will synthesise at: its ``sample_rate`` (Piper), else that of the voice it
    wraps (``FallbackSynthesizer.primary`` unless degraded, ``PhraseCache.inner``), else espeak-ng's."""
    for _ in range(4):
        rate = getattr(voice, "sample_rate", None)
        if isinstance(rate, int) and rate > 0:
            return rate
        if getattr(voice, "degraded", False):
            break
        voice = getattr(voice, "primary", None) or getattr(voice, "inner", None)
        if voice is None:
            break
    return DEFAULT_RATE


class RecordedSynthesizer:
    """``Synthesizer`` that plays recordings from ``source()`` and synthesises the rest with ``inner``."""

    def __init__(self, inner: Synthesizer, source: Callable[[], ClipSource | None], *,
                 target_lufs: float = TARGET_LUFS, pause_ms: int = PAUSE_MS,
                 cache_bytes: int = CACHE_BYTES) -> None:
        self.inner = inner
        self.source = source
        self.language = inner.language
        self.target_lufs = target_lufs
        self.pause_ms = pause_ms
        self.cache_bytes = cache_bytes
        self.stats = VoiceStats()
        self._rate = engine_rate(inner)
        self._cache: OrderedDict[tuple[bytes, int, float, int], bytes] = OrderedDict()
        self._cached = 0
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.inner.name

    def __getattr__(self, attr: str) -> Any:  # degraded, reason, ... of the wrapped engine
        if attr == "inner":
            raise AttributeError(attr)
        return getattr(self.inner, attr)

    # -- Synthesizer -------------------------------------------------------------------------
    def synthesize(self, text: str, *, rate: float = 1.0) -> Iterator[AudioChunk]:
        if rate <= 0:
            raise TtsError(f"speaking rate must be positive, got {rate}")
        source = self._current_source()
        if source is None:
            yield from self._synthesized(text, rate)
            return
        whole = self._lookup(source, text)
        played = self._recorded(whole, text, rate) if whole is not None else None
        if played is not None:
            yield played
            return
        pieces = split_sentences(text)
        clips = [self._lookup(source, p) for p in pieces] if len(pieces) > 1 else [None]
        if not any(clips):
            yield from self._synthesized(text, rate)
            return
        for piece, clip in zip(pieces, clips, strict=True):
            played = self._recorded(clip, piece, rate) if clip is not None else None
            if played is not None:
                yield played
            else:
                yield from self._synthesized(piece, rate)

    def prepare_clips(self, texts: Iterable[str], cancel: threading.Event | None = None) -> int:
        """Prepare (and cache) the normal-speed clips of ``texts`` ahead of time, e.g. the first
        sentence of every answer in a background thread at start-up, so even the first time an answer
        is asked its first audio comes from the cache. Stops when the cache is full; returns how many
        clips were prepared."""
        source = self._current_source()
        if source is None:
            return 0
        done = 0
        for text in texts:
            if (cancel is not None and cancel.is_set()) or self._cached >= self.cache_bytes:
                break
            clip = self._lookup(source, text)
            if clip is None:
                continue
            key = self._key(clip, 1.0, self._rate)
            with self._lock:
                if key in self._cache:
                    continue
            pcm = self._prepare(clip, 1.0, self._rate)
            if pcm is not None:
                self._remember(key, pcm)
                done += 1
        return done

    def close(self) -> None:
        with self._lock:
            self._cache.clear()
            self._cached = 0
        self.inner.close()

    # -- recordings --------------------------------------------------------------------------
    def _current_source(self) -> ClipSource | None:
        try:
            return self.source()
        except Exception:  # a broken bundle must not silence the kiosk
            log.warning("recorded voice unavailable: the clip source failed; synthesising", exc_info=True)
            return None

    def _lookup(self, source: ClipSource, text: str) -> ClipLike | None:
        try:
            clip = source.clip(text, self.language)
        except Exception:
            log.warning("looking up a recording failed; synthesising the sentence", exc_info=True)
            return None
        if clip is None:
            return None
        if (not MIN_CLIP_RATE <= clip.sample_rate <= MAX_CLIP_RATE or len(clip.pcm16) < 2
                or len(clip.pcm16) / 2 / clip.sample_rate > MAX_CLIP_S):
            log.warning("recording %s unusable (%d bytes at %d Hz); synthesising", clip.sentence_id,
                        len(clip.pcm16), clip.sample_rate)
            return None
        return clip

    def _recorded(self, clip: ClipLike, text: str, rate: float) -> AudioChunk | None:
        """The clip ready to play (cached), or None if it holds no speech."""
        out_rate = self._rate
        speed = min(MAX_RATE, max(MIN_RATE, rate))
        key = self._key(clip, speed, out_rate)
        with self._lock:
            pcm = self._cache.get(key)
            if pcm is not None:
                self._cache.move_to_end(key)
        if pcm is None:
            pcm = self._prepare(clip, speed, out_rate)
            if pcm is None:
                return None
            self._remember(key, pcm)
        with self._lock:
            self.stats.clips += 1
            self.stats.recorded_s += self._speech_s(pcm, out_rate)
        return AudioChunk(pcm, out_rate, text=text)

    @staticmethod
    def _key(clip: ClipLike, speed: float, out_rate: int) -> tuple[bytes, int, float, int]:
        digest = hashlib.blake2b(clip.pcm16, digest_size=16).digest()
        return digest, clip.sample_rate, round(speed, 3), out_rate

    def _prepare(self, clip: ClipLike, speed: float, out_rate: int) -> bytes | None:
        x = trim_silence(int16_samples(clip.pcm16), clip.sample_rate)
        if not x.size:
            log.warning("recording %s is silent; synthesising", clip.sentence_id)
            return None
        if speed != 1.0:
            x = np.frombuffer(stretch(x.tobytes(), clip.sample_rate, speed), dtype="<i2")
        y = resample_fft(leveled(x, clip.sample_rate, self.target_lufs), clip.sample_rate, out_rate)
        return package(y, out_rate, self.pause_ms)

    def _remember(self, key: tuple[bytes, int, float, int], pcm: bytes) -> None:
        with self._lock:
            if key in self._cache or len(pcm) > self.cache_bytes:
                return
            self._cache[key] = pcm
            self._cached += len(pcm)
            while self._cached > self.cache_bytes:
                _, old = self._cache.popitem(last=False)
                self._cached -= len(old)

    # -- synthesis ---------------------------------------------------------------------------
    def _synthesized(self, text: str, rate: float) -> Iterator[AudioChunk]:
        for chunk in self.inner.synthesize(text, rate=rate):
            self._rate = chunk.sample_rate
            x = trim_silence(int16_samples(chunk.pcm16), chunk.sample_rate)
            if not x.size:
                continue
            pcm = finish(x, chunk.sample_rate, target_lufs=self.target_lufs, pause_ms=self.pause_ms)
            with self._lock:
                self.stats.synthesized += 1
                self.stats.synthesized_s += self._speech_s(pcm, chunk.sample_rate)
            yield AudioChunk(pcm, chunk.sample_rate, text=chunk.text)

    def _speech_s(self, pcm: bytes, rate: int) -> float:
        return max(0.0, len(pcm) / 2 / rate - self.pause_ms / 1000)


def build_recorded(inner: Synthesizer, source: Callable[[], ClipSource | None]) -> RecordedSynthesizer:
    """The kiosk's voice with recordings in front of ``inner`` (``kiosk_app.wiring``)."""
    return RecordedSynthesizer(inner, source)
