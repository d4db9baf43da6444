"""Piper neural voice (piper-tts 1.8.0, onnxruntime). A voice is ``<name>.onnx`` + ``<name>.onnx.json``,
provisioned by a technician (Vietnamese) or shipped in a registry package (the English joe voice).

``piper`` and ``onnxruntime`` are imported when the synthesiser is built, never at module import.
Rate: ``length_scale = voice default / rate`` (rate 0.8 -> phonemes 25 % longer).
Piper synthesises a sentence in one go, so a long first sentence is cut at its first clause pause
(``FIRST_MAX_CHARS``) to start speaking sooner.

Memory. One ONNX run's buffers grow with the phonemes it is given, so one long sentence made the
whole kiosk's peak (docs/benchmarks.md, "Measurements behind the code"). Each run gets at most
``MAX_PHONEMES`` (``cut_phonemes``: after a clause pause where one falls in the window, else between
words), which bounds it whatever the sentence; the runs of one sentence are joined into one chunk.
Runs take turns (the start-up prefill of English answer openings and an answer never run at once).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from kiosk_app.core.errors import ModelMissingError, TtsError
from speech.tts.base import AudioChunk
from speech.tts.sentences import split_sentences

log = logging.getLogger(__name__)

FIRST_MAX_CHARS = 60  # about 3 s of speech: under 300 ms of synthesis even at RTF 0.1
MAX_PHONEMES = 80  # per ONNX run: ~5 s of speech, ~140 MiB of buffers (1.7 MiB per phoneme, joe voice)
_PAUSES = frozenset(",;:")


def cut_phonemes(phonemes: Sequence[str], limit: int = MAX_PHONEMES) -> list[list[str]]:
    """One Piper sentence's phonemes in pieces of at most ``limit``, one ONNX run each: cut after the
    last clause pause (``, ; :`` then a space) in the window if it leaves at least a third of it,
    else at the word boundary that makes the pieces most even (no one-word tail), else (one
    endless word) at the limit."""
    pieces: list[list[str]] = []
    rest = list(phonemes)
    while len(rest) > limit:
        even = len(rest) / math.ceil(len(rest) / limit)
        spaces = [i for i in range(1, limit + 1) if rest[i] == " "]
        pauses = [i for i in spaces if rest[i - 1] in _PAUSES and i >= limit // 3]
        cut = pauses[-1] if pauses else min(spaces or [limit], key=lambda i: abs(i - even))
        pieces.append(rest[:cut])
        rest = rest[cut + 1:] if rest[cut] == " " else rest[cut:]
    pieces.append(rest)
    return [p for p in pieces if "".join(p).strip()]


def find_voice(model_dir: Path) -> tuple[Path, Path]:
    """The ``.onnx`` model and its ``.onnx.json`` config inside a provisioned voice directory."""
    models = sorted(model_dir.glob("*.onnx"))
    if not models:
        raise ModelMissingError(model_dir.name, model_dir, "a Piper voice: <name>.onnx + <name>.onnx.json")
    model = models[0]
    config = model.with_name(model.name + ".json")
    if not config.is_file():
        raise ModelMissingError(model_dir.name, config, f"the voice config next to {model.name}")
    return model, config


def _load_voice(voice_cls: Any, model_path: Path, config_path: Path) -> Any:
    """``PiperVoice.load`` with memory that does not grow: ONNX Runtime's CPU arena and memory
    patterns keep the largest buffers ever used (the longest sentence spoken so far), which took a
    2,000-question soak from 500 to 1,340 MiB; without them memory stays flat (~150 MiB for the joe
    voice) for about 10 % more synthesis time (docs/benchmarks.md, ## Soak)."""
    import json

    import onnxruntime
    from piper.config import PiperConfig

    options = onnxruntime.SessionOptions()
    options.enable_cpu_mem_arena = False
    options.enable_mem_pattern = False
    config = PiperConfig.from_dict(json.loads(config_path.read_text(encoding="utf-8")))
    session = onnxruntime.InferenceSession(str(model_path), sess_options=options,
                                           providers=["CPUExecutionProvider"])
    return voice_cls(config=config, session=session)


def _to_pcm16(audio: npt.NDArray[np.float32], volume: float) -> bytes:
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    audio = audio / peak if peak >= 1e-8 else np.zeros_like(audio)
    pcm: npt.NDArray[np.int16] = (np.clip(audio * volume, -1.0, 1.0) * 32767.0).astype(np.int16)
    return pcm.tobytes()


class PiperSynthesizer:
    """``Synthesizer`` backed by a Piper voice."""

    name = "piper"

    def __init__(self, model_path: Path, config_path: Path | None = None, *, volume: float = 1.0,
                 normalizer: Callable[[str], str] | None = None, language: str | None = None,
                 first_max_chars: int = FIRST_MAX_CHARS, max_phonemes: int = MAX_PHONEMES,
                 after_run: Callable[[], None] | None = None) -> None:
        """``after_run``: called after each sentence's ONNX runs (the wiring passes the memory trim,
        ``kiosk_app.core.memory.release_memory``: glibc keeps the run's freed buffers otherwise)."""
        model_path = Path(model_path)
        config_path = Path(config_path) if config_path else model_path.with_name(model_path.name + ".json")
        for path, what in ((model_path, "Piper voice model (.onnx)"), (config_path, "Piper voice config")):
            if not path.is_file():
                raise ModelMissingError(model_path.stem, path, what)
        try:
            from piper import PiperVoice, SynthesisConfig
        except ImportError as err:
            raise TtsError("piper-tts is not installed; install it with: pip install piper-tts==1.8.0"
                           ) from err
        started = time.perf_counter()
        try:
            self._voice: Any = _load_voice(PiperVoice, model_path, config_path)
        except Exception as err:  # onnxruntime raises its own types for a corrupt model
            raise TtsError(f"cannot load Piper voice {model_path}: {err}") from err
        self._config_cls: Any = SynthesisConfig
        self._default_length = float(getattr(self._voice.config, "length_scale", 1.0) or 1.0)
        self.sample_rate = int(self._voice.config.sample_rate)
        espeak_voice = str(getattr(self._voice.config, "espeak_voice", "") or "")
        self.language = language or espeak_voice.split("-")[0] or "und"
        self.volume = volume
        self.model_path = model_path
        self._normalizer = normalizer
        self.first_max_chars = first_max_chars  # the first piece is cut at a clause pause past this
        self.max_phonemes = max_phonemes  # per ONNX run (memory grows with it)
        self._after_run = after_run
        self._run_lock = threading.Lock()  # one ONNX run at a time: the start-up prefill of answer
        # openings and an answer would otherwise hold two runs' buffers at once (and thrash 2 cores)
        log.info("Piper voice %s loaded in %.2f s (%d Hz, espeak voice %s)", model_path.name,
                 time.perf_counter() - started, self.sample_rate, espeak_voice or "-")

    def synthesize(self, text: str, *, rate: float = 1.0) -> Iterator[AudioChunk]:
        if rate <= 0:
            raise TtsError(f"speaking rate must be positive, got {rate}")
        config = self._config_cls(length_scale=self._default_length / rate, volume=self.volume)
        for sentence in split_sentences(text, first_max_chars=self.first_max_chars):
            spoken = self._normalizer(sentence) if self._normalizer else sentence
            if not spoken.strip():
                continue
            try:
                # Piper may split further; one AudioChunk per sentence of ours keeps on_sentence exact
                pcm = self._speak(spoken, config)
            except Exception as err:  # onnxruntime / phonemizer failures at the stage boundary
                raise TtsError(f"Piper synthesis failed with {self.model_path.name}: {err}") from err
            if self._after_run is not None:
                self._after_run()  # e.g. the run's freed buffers back to the system
            if pcm:
                yield AudioChunk(pcm, self.sample_rate, text=sentence)

    def _speak(self, text: str, config: Any) -> bytes:
        """16-bit PCM of ``text``: each of Piper's sentences in runs of at most ``max_phonemes``,
        post-processed as ``PiperVoice.synthesize`` does (peak-normalised per sentence, volume, clip)."""
        voice = self._voice
        pcm: list[bytes] = []
        for phonemes in voice.phonemize(text):
            runs = []
            for piece in cut_phonemes(phonemes, self.max_phonemes):
                with self._run_lock:
                    audio = voice.phoneme_ids_to_audio(voice.phonemes_to_ids(piece), config)
                runs.append(audio.reshape(-1))
            if runs:
                pcm.append(_to_pcm16(np.concatenate(runs), config.volume))
        return b"".join(pcm)

    def close(self) -> None:
        self._voice = None
