"""Fault: the speech engine fails. The answer is always shown; speech falls back to espeak-ng, and
when espeak-ng itself is broken the screen says to read the answer (the answer stays on screen).

tests/pipeline/test_pipeline_events.py covers the event order with a fake synthesizer; these run the
real engines (Piper voice, espeak-ng program, FallbackSynthesizer) in the real pipeline.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk_app.core.errors import ErrorCode
from kiosk_app.core.events import AnswerReady, Failed, Speaking, SpeakingFinished
from kiosk_app.ui.messages import ERRORS, VOICE_ONLY
from speech.tts.espeak_engine import EspeakSynthesizer
from speech.tts.fallback import FallbackSynthesizer
from tests.faults.conftest import Run
from tests.faults.fault_kit import IN_SCOPE


@pytest.fixture
def crashing_espeak(tmp_path: Path) -> EspeakSynthesizer:
    """An espeak-ng binary that crashes on every sentence (as a broken install or library would)."""
    fake = tmp_path / "espeak-ng"
    fake.write_text("#!/bin/sh\necho 'Segmentation fault (core dumped)' >&2\nexit 139\n")
    fake.chmod(0o755)
    return EspeakSynthesizer("vi", binary=str(fake))


def test_espeak_broken_answer_still_shown_and_screen_says_read_it(
        make_run: Callable[..., Run], crashing_espeak: EspeakSynthesizer) -> None:
    run = make_run(synthesizer=crashing_espeak)
    run.pipeline.ask_text(IN_SCOPE)
    assert run.types() == ["transcribed", "thinking", "answer-ready", "failed", "idle"]
    shown = run.of(AnswerReady)[0].answer  # the answer is on screen before speech is attempted
    assert shown.procedure_id == "khai-sinh" and shown.sentences
    failed = run.of(Failed)[0]
    assert failed.code is ErrorCode.TTS_FAILED and "exit 139" in failed.detail
    # the screen keeps the answer and adds "Xin mời đọc câu trả lời trên màn hình"
    assert ErrorCode.TTS_FAILED in VOICE_ONLY
    assert "đọc câu trả lời trên màn hình" in ERRORS["vi"][ErrorCode.TTS_FAILED]
    assert not run.spoken.exists()
    # and the kiosk keeps working: the next question with a working voice is spoken
    run2 = Run(run.pipeline, run.spoken, run.events)
    run.events.clear()
    run2.pipeline.speaker.synthesizer = EspeakSynthesizer("vi")
    run2.pipeline.ask_text(IN_SCOPE)
    assert run2.types()[-2:] == ["speaking-finished", "idle"] and not run2.of(Failed)


@pytest.fixture(scope="module")
def joe() -> Iterator[Any]:
    from kiosk_app.core.models import require
    from kiosk_app.core.settings import Settings
    from speech.tts.piper_engine import PiperSynthesizer, find_voice

    model, config = find_voice(require(Settings(data_dir=Path(os.devnull)), "piper-en"))
    syn = PiperSynthesizer(model, config, language="en")
    yield syn
    syn.close()


def test_piper_crashes_mid_answer_espeak_finishes_it(make_run: Callable[..., Run], joe: Any,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The neural voice speaks the first sentence, then onnxruntime fails: espeak-ng says the rest."""
    real = joe._voice.phoneme_ids_to_audio  # the ONNX Runtime call
    calls = {"n": 0}

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] > 1:
            raise RuntimeError("[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION : Non-zero status code")
        return real(*args, **kwargs)

    monkeypatch.setattr(joe._voice, "phoneme_ids_to_audio", flaky)
    fallback = FallbackSynthesizer(joe, EspeakSynthesizer("en"))
    run = make_run(synthesizer=fallback)
    answer = run.pipeline.ask_text("How much does a birth certificate cost?", "en")
    assert answer is not None and answer.language == "en" and len(answer.sentences) >= 2
    assert not run.of(Failed)
    # every sentence of the answer was spoken, in order, the first by Piper and the rest by espeak-ng
    # (a long sentence may reach the player in more than one chunk, each a Speaking event)
    assert [s for s, _ in itertools.groupby(e.sentence for e in run.of(Speaking))] == list(answer.sentences)
    assert run.of(SpeakingFinished)[0].interrupted is False
    assert fallback.degraded and "RUNTIME_EXCEPTION" in fallback.reason
    assert fallback.name == "espeak-ng"  # what `kiosk doctor` / the staff screen report
    assert run.spoken.stat().st_size > 20_000
