"""faster-whisper (CTranslate2 Whisper base, int8): English speech in, and spoken-language detection.

Loaded from the model directory rebuilt from the registry packages (``speech.asr.whisper_model``);
``local_files_only`` so nothing is ever downloaded. Heavy imports (faster_whisper, ctranslate2) live in
``WhisperRecognizer.__init__``.

Speed. faster-whisper's ``transcribe`` always pads to a 30 s window, and the encoder pass over it
costs the same whatever the question's length; a kiosk question lasts a few seconds, so this engine
calls the CTranslate2 model directly with a shorter window (10 s, or the utterance rounded up to
5 s, at most 30 s). Windows much shorter than 10 s make Whisper base loop ("… certificate? How much
is a birth certificate? …"), so 10 s is the floor, and the number of new tokens is bounded by the
audio length. One encoder pass serves both language detection and transcription (``analyse``).

Silence and noise (``speech.asr.whisper_guard``): a VAD gate skips the encoder when the audio holds no
speech; after decoding, the decoder's no-speech probability, log-probability and compression ratio,
and a table of Whisper's known phantom phrases, turn what Whisper invents over silence ("you",
"Thank you.") into no words. ``guard=LEGACY`` is Whisper's own rule, for benchmarks.

Sessions (``start``): partial text comes from re-decoding the buffer in a background thread about
every ``partial_interval_s`` (1 s) of new audio. As soon as the audio goes quiet after speech for
``SPECULATE_QUIET_S`` the buffer is decoded speculatively; when the utterance then ends with nothing
but quiet after that point (the usual case: the endpointer waits 0.7 s of silence), ``final()``
returns that result at once instead of decoding again.
"""

from __future__ import annotations

import logging
import math
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import numpy as np
import numpy.typing as npt

from kiosk_app.core.errors import AsrError, ModelMissingError
from speech.asr.base import Transcript
from speech.asr.whisper_guard import (
    DEFAULT,
    Drop,
    GuardConfig,
    Signals,
    SpeechGate,
    compression_ratio,
    judge,
    peak_level_db,
)
from speech.audio.format import int16_samples

if TYPE_CHECKING:
    from speech.audio.resample import Resampler

log = logging.getLogger(__name__)

RATE = 16000
HOP = 160  # samples per mel frame
MIN_WINDOW_FRAMES = 1000  # 10 s: shorter windows make Whisper base repeat itself
WINDOW_STEP_FRAMES = 500
MAX_WINDOW_FRAMES = 3000  # 30 s, what the model was trained on
TAIL_FRAMES = 100  # at least 1 s of padding after the audio inside the window
SPECULATE_QUIET_S = 0.25
QUIET_FLOOR_RMS = 120.0  # int16 RMS under which a chunk is quiet whatever the speaker's level
QUIET_RATIO = 0.1  # ... or below a tenth of the loudest chunk so far (-20 dB)

F32 = npt.NDArray[np.float32]
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Analysis:
    """One encoder pass: the spoken language and, when asked for, the words."""

    language: str  # ISO code Whisper detected ("en", "vi", ...)
    language_prob: float
    text: str | None = None  # None when no transcription was asked for
    text_language: str | None = None  # the language the text was decoded as
    confidence: float | None = None  # exp(mean token log-probability), 0..1
    no_speech_prob: float = 0.0
    seconds: float = 0.0  # audio length analysed
    avg_logprob: float = 0.0  # mean token log-probability of the decode
    compression_ratio: float = 0.0
    dropped: Drop | str = ""  # why the words were judged silence/noise (the text is then "")


def pcm16_to_float(pcm16: bytes | npt.NDArray[np.int16]) -> F32:
    a = int16_samples(pcm16) if isinstance(pcm16, bytes) else pcm16
    return (a.astype(np.float32) / 32768.0).astype(np.float32)


def window_frames(n_frames: int) -> int:
    """Encoder window for ``n_frames`` of audio: ≥ 10 s, a multiple of 5 s, ≤ 30 s."""
    want = n_frames + TAIL_FRAMES
    return int(min(MAX_WINDOW_FRAMES, max(MIN_WINDOW_FRAMES,
                                          math.ceil(want / WINDOW_STEP_FRAMES) * WINDOW_STEP_FRAMES)))


def max_new_tokens(seconds: float) -> int:
    """Bound on decoded tokens: fast speech is ~5 tokens/s; the rest would be a loop."""
    return int(min(440, 16 + 8 * max(0.0, seconds)))


_REPEAT = re.compile(r"(.{12,}?)(?:\s*\1){2,}", re.DOTALL)


def collapse_repeats(text: str) -> str:
    """'x? x? x?' → 'x?': Whisper's looping failure mode, kept from reaching the answerer."""
    return " ".join(_REPEAT.sub(r"\1", text).split())


def _resolve_dir(model_dir: Path) -> Path:
    model_dir = Path(model_dir)
    for name in ("model.bin", "config.json", "tokenizer.json"):
        if not (model_dir / name).is_file():
            raise ModelMissingError("whisper-base", model_dir / name,
                                    "a CTranslate2 Whisper model directory (model.bin, config.json, "
                                    "tokenizer.json)")
    return model_dir


class WhisperRecognizer:
    """Whisper base via CTranslate2. ``language`` None = detect per utterance (auto)."""

    name = "whisper"

    def __init__(self, model_dir: Path, *, language: str | None = "en", threads: int = 2,
                 compute_type: str = "int8", partial_interval_s: float = 1.0,
                 guard: GuardConfig = DEFAULT) -> None:
        model_dir = _resolve_dir(model_dir)
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see understand/embedding.py: spinning OpenMP
        try:
            from faster_whisper import WhisperModel
            from faster_whisper.tokenizer import Tokenizer
        except ImportError as err:
            raise ModelMissingError("whisper-base", "faster_whisper",
                                    "the faster-whisper package (pip install -r requirements.txt)") from err
        try:
            self._fw: Any = WhisperModel(str(model_dir), device="cpu", compute_type=compute_type,
                                         cpu_threads=threads, local_files_only=True)
        except (RuntimeError, ValueError, OSError) as err:
            raise AsrError(f"Whisper model at {model_dir} failed to load: {err}") from err
        self._tok: Any = Tokenizer(self._fw.hf_tokenizer, True, task="transcribe", language="en")
        self._ct2: Any = self._fw.model
        self._fe: Any = self._fw.feature_extractor
        self._lock = threading.Lock()  # one CTranslate2 call at a time (2 cores: parallel calls only thrash)
        self.guard = guard
        self._gate = SpeechGate(guard) if guard.vad_gate else None
        self.language = language
        self.partial_interval_s = partial_interval_s
        self.model_dir = model_dir
        self._closed = False
        log.info("Whisper loaded from %s (%s, %d threads, language %s)", model_dir, compute_type, threads,
                 language or "auto")

    # ---- the Recognizer interface -------------------------------------------------------------
    def start(self, sample_rate: int) -> WhisperSession:
        return WhisperSession(self, sample_rate, self.language)

    def transcribe(self, pcm16: bytes, sample_rate: int) -> Transcript:
        audio = _to_16k(pcm16, sample_rate)
        return self._transcript(self.analyse(audio, transcribe=True, language=self.language))

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            with self._lock:
                self._ct2 = None
                self._fw = None

    # ---- language detection + decoding --------------------------------------------------------
    def detect_language(self, pcm16: bytes, sample_rate: int) -> tuple[str, float]:
        """The spoken language of ``pcm16`` and Whisper's probability for it."""
        a = self.analyse(_to_16k(pcm16, sample_rate), transcribe=False)
        return a.language, a.language_prob

    def analyse(self, audio: F32, *, transcribe: bool | Callable[[str, float], bool] = True,
                language: str | None = None) -> Analysis:
        """One encoder pass over (the first 30 s of) ``audio`` (float32, 16 kHz).

        ``transcribe``: True, False, or a predicate ``(detected, prob) -> bool`` deciding after the
        detection whether the words are wanted. ``language``: decode as this language (default: the
        detected one).
        """
        seconds = len(audio) / RATE
        if len(audio) < HOP * 2:
            return Analysis("", 0.0, "" if transcribe else None, language, None, 1.0, seconds)
        audio = audio[: MAX_WINDOW_FRAMES * HOP]  # all the encoder sees
        if self._gate is not None:
            gate = self._gate.measure(audio)
            level_db = gate.level_db
            if not gate.has_speech(self.guard.min_speech_s):
                log.debug("no speech by the VAD gate (energy %.2f s, silero %s s): not decoded",
                          gate.energy_s, gate.silero_s)
                return Analysis("", 0.0, "" if transcribe else None, language, None, 1.0, seconds,
                                dropped=Drop.VAD)
        else:
            level_db = peak_level_db(audio)
        try:
            import ctranslate2

            with self._lock:
                if self._ct2 is None:
                    raise AsrError("the Whisper recognizer is closed")
                feats = self._fe(audio)
                n = int(feats.shape[-1])
                w = window_frames(n)
                x = np.zeros((1, feats.shape[0], w), dtype=np.float32)
                x[0, :, : min(n, w)] = feats[:, :w]
                enc = self._ct2.encode(ctranslate2.StorageView.from_array(x))
                probs = self._ct2.detect_language(enc)[0]
                detected, prob = probs[0][0][2:-2], float(probs[0][1])
                want = transcribe(detected, prob) if callable(transcribe) else transcribe
                if not want:
                    return Analysis(detected, prob, None, None, None, 0.0, seconds)
                lang = language or detected
                lang_id = self._tok.tokenizer.token_to_id(f"<|{lang}|>")
                if lang_id is None:
                    raise AsrError(f"Whisper has no language token for {lang!r}")
                prompt = [self._tok.sot, lang_id, self._tok.transcribe, self._tok.no_timestamps]
                res = self._ct2.generate(enc, [prompt], beam_size=1,
                                         max_length=len(prompt) + max_new_tokens(seconds),
                                         return_scores=True, return_no_speech_prob=True,
                                         suppress_blank=True, suppress_tokens=[-1])[0]
        except AsrError:
            raise
        except (RuntimeError, ValueError) as err:
            raise AsrError(f"Whisper failed on {seconds:.1f} s of audio: {err}") from err
        ids = [t for t in res.sequences_ids[0] if t < self._tok.eot]
        text = collapse_repeats(self._tok.decode(ids).strip())
        logprob = float(res.scores[0]) if res.scores else 0.0  # length-normalised: the mean per token
        no_speech = float(getattr(res, "no_speech_prob", 0.0))
        ratio = compression_ratio(text)
        dropped = judge(text, Signals(no_speech, logprob, ratio, level_db), self.guard)
        if dropped is not None:  # Whisper's "you" / "Thank you." over silence or noise
            log.debug("decode dropped as %s (no_speech %.2f, logprob %.2f, ratio %.1f, %.0f dBFS)",
                      dropped, no_speech, logprob, ratio, level_db)
            text = ""
        return Analysis(detected, prob, text, lang, round(math.exp(min(0.0, logprob)), 4), no_speech, seconds,
                        round(logprob, 4), round(ratio, 3), dropped or "")

    @staticmethod
    def _transcript(a: Analysis) -> Transcript:
        return Transcript(a.text or "", a.confidence, a.text_language or a.language or "en")


def _to_16k(pcm16: bytes, sample_rate: int) -> F32:
    a = int16_samples(pcm16)
    if sample_rate != RATE:
        from speech.audio.resample import resample

        a = resample(a, sample_rate, RATE)
    return pcm16_to_float(a)


# ---- streaming: buffer, background decodes, speculative final -----------------------------------
@dataclass(frozen=True, slots=True)
class _Done(Generic[R]):
    samples: int  # buffer length the job saw
    result: R


class SpeculativeBuffer(Generic[R]):
    """Collects 16 kHz int16 audio and runs ``job(audio)`` in a background thread, at most one at a time.

    ``maybe_run`` starts a job every ``interval_s`` of new audio (partials) and once the audio has been
    quiet for ``quiet_s`` after speech (speculation); ``final`` returns a finished result that saw all
    the speech (only quiet came after it), or runs the job on the whole buffer now. ``feed`` takes
    pipeline PCM at ``sample_rate`` (resampled to 16 kHz as it comes); ``end_input`` flushes it.
    """

    def __init__(self, job: Callable[[F32], R], *, interval_s: float = 1.0,
                 quiet_s: float = SPECULATE_QUIET_S, sample_rate: int = RATE) -> None:
        self._job = job
        self._resampler: Resampler | None = None
        if sample_rate != RATE:
            from speech.audio.resample import Resampler

            self._resampler = Resampler(sample_rate, RATE)
        self._chunks: list[npt.NDArray[np.int16]] = []
        self.samples = 0
        self.interval = int(interval_s * RATE) if interval_s > 0 else 0
        self.quiet = int(quiet_s * RATE)
        self.peak = 0.0
        self.voiced_end = 0  # sample index just after the last voiced chunk
        self._started_at = 0  # buffer length when the last job started
        self._thread: threading.Thread | None = None
        self._done: _Done[R] | None = None
        self._error: BaseException | None = None
        self._lock = threading.Lock()

    def feed(self, pcm16: bytes) -> None:
        """A chunk of the utterance: resampled, buffered, and a background decode started if due."""
        a = int16_samples(pcm16)
        if self._resampler is not None:
            a = self._resampler.process(a)
        self.add(a)
        self.maybe_run()

    def end_input(self) -> None:
        """The utterance ended: the resampler's last samples into the buffer."""
        if self._resampler is not None:
            self.add(self._resampler.flush())

    def add(self, pcm16: npt.NDArray[np.int16]) -> None:
        if pcm16.size == 0:
            return
        self._chunks.append(pcm16)
        self.samples += int(pcm16.size)
        rms = float(np.sqrt(np.mean(pcm16.astype(np.float32) ** 2)))
        self.peak = max(self.peak, rms)
        if rms >= max(QUIET_FLOOR_RMS, QUIET_RATIO * self.peak):
            self.voiced_end = self.samples

    def audio(self, samples: int | None = None) -> F32:
        if len(self._chunks) > 1:
            self._chunks = [np.concatenate(self._chunks)]
        a = self._chunks[0] if self._chunks else np.zeros(0, dtype=np.int16)
        return pcm16_to_float(a[: samples if samples is not None else self.samples])

    @property
    def busy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def latest(self) -> _Done[R] | None:
        with self._lock:
            return self._done

    def maybe_run(self) -> None:
        if self.busy or self.voiced_end == 0:
            return
        done = self.latest()
        quiet_since = self.samples - self.voiced_end
        speculate = quiet_since >= self.quiet and (done is None or done.samples < self.voiced_end) \
            and self._started_at < self.voiced_end
        periodic = self.interval > 0 and self.samples - self._started_at >= self.interval \
            and quiet_since < self.quiet
        if speculate or periodic:
            self._start(self.samples)

    def _start(self, samples: int) -> None:
        audio = self.audio(samples)
        self._started_at = samples

        def run() -> None:
            try:
                result = self._job(audio)
            except BaseException as err:  # reported by final(); a partial failing is not fatal
                log.debug("background decode failed: %s", err)
                with self._lock:
                    self._error = err
                return
            with self._lock:
                if self._done is None or self._done.samples <= samples:
                    self._done = _Done(samples, result)

        self._thread = threading.Thread(target=run, name="whisper-partial", daemon=True)
        self._thread.start()

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def final(self) -> tuple[R, bool]:
        """(result covering all speech, reused?) — reuses a speculative result when only quiet followed."""
        self.wait()
        done = self.latest()
        if done is not None and done.samples >= self.voiced_end and self.voiced_end > 0:
            return done.result, True
        return self._job(self.audio()), False


class WhisperSession:
    """One utterance: buffer + background partials/speculation; ``final`` decodes what is left."""

    def __init__(self, rec: WhisperRecognizer, sample_rate: int, language: str | None) -> None:
        self._rec = rec
        self._language = language
        self._buf: SpeculativeBuffer[Analysis] = SpeculativeBuffer(
            lambda audio: rec.analyse(audio, transcribe=True, language=language),
            interval_s=rec.partial_interval_s, sample_rate=sample_rate)
        self.reused = False  # final() reused the speculative decode (for benchmarks)

    def accept(self, pcm16: bytes) -> None:
        self._buf.feed(pcm16)

    def partial(self) -> str:
        done = self._buf.latest()
        return (done.result.text or "") if done is not None else ""

    def final(self) -> Transcript:
        self._buf.end_input()
        analysis, self.reused = self._buf.final()
        return WhisperRecognizer._transcript(analysis)

    def close(self) -> None:
        self._buf.wait(timeout=5.0)
