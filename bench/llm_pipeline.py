"""A kiosk pipeline for benchmarks (``bench/bench_facts.py --first-audio``, ``bench/bench_llm.py``).

Question text → ``Pipeline.ask_text`` → hybrid retrieval over the sample bundle → the answerer (the
evidence answerer, or the LLM choosing facts in its spawned llama.cpp child, with the kiosk's time
limits) → sentences → espeak-ng (or a silent synthesiser, ``fake_tts``) → the real
``speech.audio.playback.Player`` writing to a sound card that accepts audio at once and notes when the
first block arrives. *First audio* = question text in → first block at the sound card: what a
resident waits for.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any


class SilentVoice:
    """``--fake-tts``: 0.2 s of silence per sentence, synthesised instantly."""

    def synthesize(self, text: str, *, rate: float = 1.0) -> Iterator[Any]:
        from speech.tts.base import AudioChunk

        yield AudioChunk(b"\x00\x00" * 3200, 16000, text)


class _NoRecognizer:
    """Typed questions only: the recogniser is never asked."""

    def start(self, sample_rate: int) -> Any:
        raise RuntimeError("bench pipeline: no microphone")

    def transcribe(self, pcm16: bytes, sample_rate: int) -> Any:
        raise RuntimeError("bench pipeline: no microphone")


def kiosk_bundle(dest: Path, records: list[Any]) -> Path:
    """The sample bundle unpacked with its semantic index, as bundle import leaves it (built once)."""
    from knowledge.bundle.sample import SAMPLE_DIR, sample_vectors
    from knowledge.bundle.schema import load_out_of_scope_dir
    from knowledge.service import prepare_bundle_dir

    out_of_scope = load_out_of_scope_dir(SAMPLE_DIR)
    # Reused only while the records it was built from are unchanged: a bundle kept from older
    # records would answer from their facts (a stale /tmp copy once hid a records change).
    text = "\n".join([r.model_dump_json() for r in records] + [repr(out_of_scope)])
    digest = hashlib.sha256(text.encode()).hexdigest()
    stamp = dest / "records.sha256"
    fresh = (dest / "manifest.json").is_file() and (dest / "index").is_dir()
    if not fresh or not stamp.is_file() or stamp.read_text() != digest:
        if dest.exists():
            shutil.rmtree(dest)
        prepare_bundle_dir(records, dest, bundle_id="sample", version="bench",
                           out_of_scope=out_of_scope, vectors=sample_vectors())
        stamp.write_text(digest)
    return dest


class KioskRig:
    """A kiosk pipeline around one ``Knowledge`` (with the LLM answerer); see the module docstring."""

    def __init__(self, settings: Any, knowledge: Any, *, fake_tts: bool = False) -> None:
        from bench.sound_card import bench_player
        from kiosk_app.pipeline import Pipeline
        from kiosk_app.wiring import build_synthesizer, build_vad

        self.events: list[Any] = []
        self.marks: dict[str, float] = {}
        voice: Any = SilentVoice() if fake_tts else build_synthesizer(settings, "vi")
        self.voice = "silent (--fake-tts)" if fake_tts else type(voice).__name__
        self.pipeline = Pipeline(settings, source_factory=self._no_mic, vad=build_vad(settings),
                                 recognizer=_NoRecognizer(),  # type: ignore[arg-type]
                                 knowledge=knowledge, synthesizer=voice,
                                 player=bench_player(self.marks),
                                 on_event=self.events.append)

    @staticmethod
    def _no_mic() -> Any:
        raise RuntimeError("bench pipeline: no microphone")

    def ask(self, text: str) -> tuple[float, Any]:
        """(seconds from question text to the first block at the sound card, the final answer)."""
        from kiosk_app.core.events import AnswerFinal

        self.events.clear()
        self.marks.clear()
        t0 = time.monotonic()
        shown = self.pipeline.ask_text(text)
        final = next((e.answer for e in self.events if isinstance(e, AnswerFinal)), shown)
        first = self.marks.get("first_write")
        return (first - t0 if first is not None else float("nan")), final

    def close(self) -> None:
        self.pipeline.close()


def peak_rss_mb(pid: int | None) -> float:
    """Peak resident memory (VmHWM) of a running process, in MiB."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (OSError, TypeError):
        return float("nan")
    m = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(m.group(1)) / 1024 if m else float("nan")
