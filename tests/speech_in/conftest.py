"""Voice-in fixtures: one viet-asr engine shared by the whole directory, a real sentence."""

from __future__ import annotations

import pytest

from tests.speech_in.voice_in_signals import VIENEU


@pytest.fixture(scope="session")
def vietasr():  # type: ignore[no-untyped-def]
    from speech.asr.vietasr_engine import VietAsrRecognizer

    rec = VietAsrRecognizer()
    yield rec
    rec.close()


@pytest.fixture(scope="session")
def speech_pcm() -> bytes:
    """One real sentence at 16 kHz ('chúng ta có thể áp dụng logic tương tự với người khác')."""
    from speech.audio import read_wav

    return read_wav(VIENEU / "Ly (nữ miền Bắc).wav")[0]
