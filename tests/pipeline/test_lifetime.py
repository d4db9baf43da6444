"""Closing the pipeline: background work stops first, then the engines close; the process exits cleanly."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from kiosk_app.core.settings import Settings
from tests.fakes import Rig

REPO = Path(__file__).resolve().parents[2]


def test_close_stops_background_work_before_closing_engines(settings: Settings) -> None:
    rig = Rig(settings)
    order: list[str] = []
    started = threading.Event()

    def warm_up(stop: threading.Event) -> None:  # like the English voice's prefill: piece by piece
        started.set()
        while not stop.wait(0.01):
            pass
        order.append("warm-up stopped")

    rig.synth.close = lambda: order.append("synthesizer closed")  # type: ignore[method-assign]
    rig.pipeline.start_background("warm-up", warm_up)
    assert started.wait(2)
    rig.pipeline.close()
    assert order == ["warm-up stopped", "synthesizer closed"]
    assert not any(t.name == "warm-up" for t in threading.enumerate())
    rig.pipeline.close()  # idempotent: a second close (worker stop after a reload) is harmless


def test_close_closes_every_engine_in_order_even_when_one_fails(settings: Settings,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    from kiosk_app.pipeline import PerLanguage

    order: list[str] = []

    class Engine:
        def __init__(self, name: str, fails: bool = False) -> None:
            self.name, self.fails = name, fails

        def close(self) -> None:
            order.append(self.name)
            if self.fails:
                raise OSError("device gone")

    voices: PerLanguage[Engine] = PerLanguage(lambda lang: Engine(f"voice-{lang}"))
    voices.get("vi")
    voices.get("en")
    rig = Rig(settings, player=Engine("player", fails=True), recognizer_engine=Engine("asr"),
              synthesizer_engine=voices)
    rig.knowledge.close = lambda: order.append("knowledge")  # type: ignore[method-assign]
    rig.pipeline.close()
    assert order == ["player", "knowledge", "asr", "voice-vi", "voice-en"]
    assert "closing Engine failed" in caplog.text


CHILD = """
import sys
from kiosk_app.core.settings import Settings
from kiosk_app.wiring import build_kiosk_pipeline
s = Settings(data_dir=sys.argv[1])
p = build_kiosk_pipeline(s, lambda e: None)
p.close()  # at once: the English voice is still warming up in the background
print("closed", flush=True)
"""


@pytest.mark.engine
def test_kiosk_exits_cleanly_when_closed_during_english_warm_up(tmp_path: Path) -> None:
    # Before the fix the process aborted at exit (C++ "terminate called without an active exception",
    # exit 134): the warm-up thread was still inside ONNX Runtime when the interpreter shut down.
    proc = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path / "data")], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "closed" in proc.stdout
    assert "terminate called" not in proc.stderr


@pytest.mark.parametrize("detect", [True, False])
def test_english_detection_model_loads_at_start_not_at_the_first_question(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, detect: bool) -> None:
    # With English detection on, every Vietnamese question runs Whisper: loading it at the first
    # question made that question slower and the screen stutter. It now loads in the background at
    # start; with detection off it stays unloaded until someone switches to English.
    import knowledge.bundle.importer
    import knowledge.service
    import speech.audio
    from kiosk_app import wiring

    built: list[str] = []

    def recognizer(_s: Settings, language: str, **_kw: object) -> object:
        built.append(f"asr-{language}")
        return object()

    class Voice:
        def synthesize(self, _text: str) -> list[bytes]:
            return []

    def voice(_s: Settings, language: str, recordings: object = None) -> Voice:
        built.append(f"tts-{language}")
        return Voice()

    class Knowledge:
        bundle = type("B", (), {"records": {}})()

        def close(self) -> None:
            pass

    monkeypatch.setattr(knowledge.bundle.importer, "ensure_sample", lambda _s: None)
    monkeypatch.setattr(knowledge.service, "open_current", lambda _s, answerer=None: Knowledge())
    monkeypatch.setattr(speech.audio, "mic_available", lambda _s: None)
    monkeypatch.setattr(wiring, "build_recognizer", recognizer)
    monkeypatch.setattr(wiring, "build_kiosk_voice", voice)
    s = Settings(data_dir=tmp_path, asr={"detect_english": detect})
    pipeline = wiring.build_kiosk_pipeline(s, lambda _e: None)
    try:
        assert built[:2] == ["asr-vi", "tts-vi"]  # the Vietnamese engines: before the kiosk is ready
        for thread in threading.enumerate():  # the English warm-up, left to finish on its own
            if thread.name == "english-engines":
                thread.join(10)
        assert ("asr-en" in built) is detect
        assert "tts-en" in built
    finally:
        pipeline.close()
