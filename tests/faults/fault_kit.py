"""Helpers for the fault tests: real recordings, an unplugged microphone, an event queue with timeouts."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk_app.core.errors import MicError
from kiosk_app.core.events import Event
from speech.audio import SAMPLE_RATE, SAMPLE_WIDTH, WavSource, read_wav

REPO = Path(__file__).resolve().parents[2]
VIENEU = REPO / "tests" / "fixtures" / "vieneu"
IN_SCOPE = "làm giấy khai sinh cho cháu cần những giấy tờ gì"

def recording(name: str = "Ly (nữ miền Bắc)") -> Path:
    wav = VIENEU / f"{name}.wav"
    if not wav.is_file():
        pytest.fail(f"{wav} missing: run .venv/bin/python scripts/fetch_fixtures.py")
    return wav


def lead_silence(seconds: float = 0.5) -> bytes:
    return b"\x00" * (round(seconds * SAMPLE_RATE) * SAMPLE_WIDTH)


class UnpluggedMic:
    """A microphone pulled out mid-sentence: delivers the recording for ``after_s`` seconds, then
    raises the ``MicError`` that ``speech.audio.MicStream.read`` raises when PortAudio's stream ends
    (tests/speech_in/test_mic.py::test_unplugged_mid_stream_is_a_mic_error proves MicStream does)."""

    def __init__(self, wav: Path, after_s: float) -> None:
        pcm, _ = read_wav(wav)
        self._src = WavSource(pcm16=lead_silence() + pcm)
        self._left = round(after_s * SAMPLE_RATE / 512)
        self.closed = False
        self.delivered_s = 0.0

    def read(self, timeout: float) -> bytes | None:
        if self._left <= 0:
            raise MicError("microphone 'USB PnP Sound Device' stopped delivering audio (unplugged?)")
        self._left -= 1
        chunk = self._src.read(timeout)
        self.delivered_s += len(chunk or b"") / (SAMPLE_RATE * SAMPLE_WIDTH)
        return chunk

    def close(self) -> None:
        self.closed = True


class EventQueue:
    """Events from a worker thread, with waits that time out instead of sleeping."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._cond = threading.Condition()

    def __call__(self, ev: Event) -> None:
        with self._cond:
            self.events.append(ev)
            self._cond.notify_all()

    def wait_for(self, pred: Callable[[list[Event]], bool], timeout: float = 60.0) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: pred(self.events), timeout)


def run_cli(argv: list[str]) -> int:
    """``kiosk ARGV`` in this process; the logging set-up it does is undone afterwards (pytest's
    capture handlers stay in place for the tests that follow)."""
    from kiosk_app.cli import main

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        return main(argv)
    finally:
        for h in list(root.handlers):
            if h not in handlers:
                root.removeHandler(h)
                h.close()
        for h in handlers:
            if h not in root.handlers:
                root.addHandler(h)
        root.setLevel(level)
