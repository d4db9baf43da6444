"""Endpointing state machine, from tables: (chunk seconds, speech probability) in, events out."""

from __future__ import annotations

import pytest

from speech.vad.endpoint import EndpointConfig, Endpointer, EndpointKind

K = EndpointKind
CFG = EndpointConfig(threshold=0.5, hangover_s=0.7, min_speech_s=0.25, max_utterance_s=3.0,
                     no_speech_timeout_s=2.0)


def run(script: list[tuple[float, float]], cfg: EndpointConfig = CFG, step: float = 0.1
        ) -> list[tuple[EndpointKind, float]]:
    """script: (seconds, probability) segments, fed in ``step`` chunks; returns (event, t) pairs."""
    ep = Endpointer(cfg)
    events = []
    for seconds, prob in script:
        for _ in range(round(seconds / step)):
            ev = ep.process(step, prob)
            if ev is not None:
                events.append((ev.kind, round(ev.t, 3)))
    return events


@pytest.mark.parametrize(("script", "want"), [
    pytest.param([(0.5, 0), (1.0, 1), (1.0, 0)], [(K.ONSET, 0.5), (K.START, 0.5), (K.END, 1.5)],
                 id="speech-then-silence ends after the hang-over"),
    pytest.param([(0.5, 0), (1.0, 1), (0.6, 0)], [(K.ONSET, 0.5), (K.START, 0.5)],
                 id="0.6 s of silence is not yet the end"),
    pytest.param([(0.3, 0), (0.8, 0.9), (0.4, 0.1), (0.8, 0.9), (0.7, 0.0)],
                 [(K.ONSET, 0.3), (K.START, 0.3), (K.END, 2.3)],
                 id="a 400 ms pause inside a sentence is no end"),
    pytest.param([(0.5, 0), (0.1, 1), (0.7, 0), (1.0, 0)],
                 [(K.ONSET, 0.5), (K.DISCARD, 1.3), (K.NO_SPEECH, 2.0)],
                 id="a 100 ms click is ignored, then the timeout"),
    pytest.param([(0.2, 0), (0.2, 1), (0.7, 0), (0.5, 1), (0.7, 0)],
                 [(K.ONSET, 0.2), (K.DISCARD, 1.1), (K.ONSET, 1.1), (K.START, 1.1), (K.END, 1.6)],
                 id="a cough shorter than min_speech_s, then a real question"),
    pytest.param([(0.2, 0), (0.1, 1), (0.1, 0), (0.1, 1), (0.1, 0), (0.1, 1), (0.7, 0)],
                 [(K.ONSET, 0.2), (K.START, 0.2), (K.END, 0.7)],
                 id="choppy speech adds up to min_speech_s"),
    pytest.param([(2.5, 0)], [(K.NO_SPEECH, 2.0)], id="nothing said: timeout after the button press"),
    pytest.param([(2.5, 0.49)], [(K.NO_SPEECH, 2.0)], id="just below the threshold is silence"),
    pytest.param([(0.5, 0), (5.0, 1)], [(K.ONSET, 0.5), (K.START, 0.5), (K.MAX_LENGTH, 3.5)],
                 id="endless speech is cut at max_utterance_s"),
    pytest.param([(1.9, 0), (1.0, 1), (1.0, 0)], [(K.ONSET, 1.9), (K.START, 1.9), (K.END, 2.9)],
                 id="speech just before the timeout is taken"),
])
def test_endpointer_table(script: list[tuple[float, float]], want: list[tuple[EndpointKind, float]]) -> None:
    events = run(script)
    assert [(k, pytest.approx(t)) for k, t in events] == want


@pytest.mark.parametrize(("hangover", "silence_s", "ends"), [
    (0.7, 0.6, False), (0.7, 0.7, True), (0.3, 0.4, True), (1.0, 0.9, False),
])
def test_hangover_is_configurable(hangover: float, silence_s: float, ends: bool) -> None:
    cfg = EndpointConfig(hangover_s=hangover, min_speech_s=0.2)
    events = run([(0.2, 0), (1.0, 1), (silence_s, 0)], cfg)
    assert (EndpointKind.END in [k for k, _ in events]) is ends


def test_nothing_after_the_end() -> None:
    ep = Endpointer(CFG)
    kinds = [ev.kind for ev in (ep.process(0.1, p) for p in [1, 1, 1] + [0] * 7 + [1] * 5) if ev]
    assert kinds == [K.ONSET, K.START, K.END]
    assert ep.done and not ep.in_speech


def test_32ms_chunks_accumulate_without_float_drift() -> None:
    ep = Endpointer(EndpointConfig(hangover_s=0.704, min_speech_s=0.256, no_speech_timeout_s=6.0))
    evs = [ep.process(0.032, p) for p in [0.0] * 10 + [0.9] * 30 + [0.1] * 22]
    got = [(e.kind, round(e.t, 3)) for e in evs if e]
    assert got == [(K.ONSET, 0.32), (K.START, 0.32), (K.END, 1.28)]
