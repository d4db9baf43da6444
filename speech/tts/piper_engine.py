"""Piper neural voice (piper-tts 1.8.0, onnxruntime). A voice is ``<name>.onnx`` + ``<name>.onnx.json``,
provisioned by a technician (Vietnamese) or shipped in a registry package (the English joe voice).

``piper`` and ``onnxruntime`` are imported when the synthesiser is built, never at module import.
Rate: ``length_scale = voice default / rate`` (rate 0.8 -> phonemes 25 % longer).
Piper synthesises a sentence in one go (RTF 0.07 idle, 0.2+ on a loaded 2-core machine), so a long
first sentence is cut at its first clause pause (``FIRST_MAX_CHARS``) to start speaking sooner.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from kiosk_app.errors import ModelMissingError, TtsError
from speech.tts.base import AudioChunk
from speech.tts.sentences import split_sentences

log = logging.getLogger(__name__)

FIRST_MAX_CHARS = 60  # about 3 s of speech: under 300 ms of synthesis even at RTF 0.1


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


def _release_memory() -> None:
    """Give freed synthesis buffers back to the system (glibc keeps them in its heap otherwise)."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _libc() -> Any:
    import ctypes
    import ctypes.util

    try:
        lib = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return lib if hasattr(lib, "malloc_trim") else None
    except OSError:  # not glibc: nothing to trim
        return None


_LIBC = _libc()


class PiperSynthesizer:
    """``Synthesizer`` backed by a Piper voice."""

    name = "piper"

    def __init__(self, model_path: Path, config_path: Path | None = None, *, volume: float = 1.0,
                 normalizer: Callable[[str], str] | None = None, language: str | None = None,
                 first_max_chars: int = FIRST_MAX_CHARS) -> None:
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
                pcm = b"".join(c.audio_int16_bytes for c in self._voice.synthesize(spoken, config))
            except Exception as err:  # onnxruntime / phonemizer failures at the stage boundary
                raise TtsError(f"Piper synthesis failed with {self.model_path.name}: {err}") from err
            _release_memory()
            if pcm:
                yield AudioChunk(pcm, self.sample_rate, text=sentence)

    def close(self) -> None:
        self._voice = None
