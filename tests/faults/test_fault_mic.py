"""Fault: the microphone is pulled out while someone is speaking, then plugged back in.

Real kiosk worker thread, real energy VAD + viet-asr + knowledge store + espeak-ng; only the audio
device is simulated (a real recording that stops with the ``MicError`` the real ``MicStream`` raises).
"""

from __future__ import annotations

from collections.abc import Callable

from kiosk_app import wiring
from kiosk_app.core.errors import ErrorCode
from kiosk_app.core.events import AnswerReady, Failed, Idle, Listening, SpeakingFinished, SpeechEnded
from kiosk_app.pipeline.worker import PipelineWorker
from kiosk_app.ui.messages import ERRORS
from knowledge.service import open_current
from speech.audio import WavSource
from tests.faults.conftest import Engines, Run
from tests.faults.fault_kit import EventQueue, UnpluggedMic, recording


def test_mic_removed_mid_utterance_then_back(make_run: Callable[..., Run], engines: Engines) -> None:
    mics: list[object] = []
    plugged = {"in": False}

    def open_mic() -> object:
        # first question: the cable comes out 1.5 s into the sentence; afterwards it is back
        mic = WavSource(recording(), tail_silence_s=1.5) if plugged["in"] else UnpluggedMic(recording(), 1.5)
        mics.append(mic)
        return mic

    q = EventQueue()
    # the worker closes its pipeline's engines when it stops: give it its own (the kiosk's wiring)
    s = engines.settings
    run = make_run(source_factory=open_mic, on_event=q, knowledge=open_current(s),
                   recognizer=wiring.build_recognizer(s), synthesizer=wiring.build_synthesizer(s))
    worker = PipelineWorker(lambda _sink: run.pipeline, q)
    worker.start(preload=False)
    try:
        worker.ask_voice()
        assert q.wait_for(lambda evs: any(isinstance(e, Idle) for e in evs), 60)
        first = [e for e in q.events if type(e).__name__ not in ("AudioLevel", "PartialTranscript")]
        # what the screen gets: listening, then the calm "micrô vừa bị gián đoạn" message, then idle
        assert [type(e).__name__ for e in first] == ["Listening", "Failed", "Idle"]
        failed = first[1]
        assert isinstance(failed, Failed) and failed.code is ErrorCode.MIC_FAILED
        assert "unplugged" in failed.detail
        assert "Micrô vừa bị gián đoạn" in ERRORS["vi"][ErrorCode.MIC_FAILED]
        assert isinstance(mics[0], UnpluggedMic) and mics[0].closed and mics[0].delivered_s >= 1.4
        assert not run.spoken.exists()  # nothing was said: no half-heard question was answered
        assert worker.alive

        # the microphone is back: the very next press works, no restart
        plugged["in"] = True
        q.events.clear()
        worker.ask_voice()
        assert q.wait_for(lambda evs: any(isinstance(e, Idle) for e in evs), 60)
        kinds = [type(e) for e in q.events]
        assert Failed not in kinds
        for needed in (Listening, SpeechEnded, AnswerReady, SpeakingFinished, Idle):
            assert needed in kinds, kinds
        assert run.spoken.stat().st_size > 10_000  # the answer was spoken
    finally:
        assert worker.stop(10)
