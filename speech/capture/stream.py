"""The stream loop of ``capture_utterance``: audio source → VAD frames → endpointer → recogniser
session, with the end of the turn decided from the words. What ``Utterance.timings`` holds and how the
turn ends: the ``speech.capture`` package notes.
"""

from __future__ import annotations

import collections
import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kiosk_app.core.errors import CancelledError, MicError, NoSpeechError
from speech.asr.base import Recognizer, RecognizerSession, Transcript
from speech.audio import SAMPLE_RATE, SAMPLE_WIDTH, AudioSource, seconds
from speech.capture.preparing import Preparing
from speech.vad.base import VoiceDetector
from speech.vad.endpoint import EndpointConfig, Endpointer, EndpointKind
from speech.vad.energy import level_db, level_meter
from speech.vad.turn import Turn, TurnContext, decide, turn_wait, words_of

if TYPE_CHECKING:
    from kiosk_app.core.settings import EndpointSettings

log = logging.getLogger(__name__)

PREROLL_S = 0.3  # audio before the onset fed to the recogniser; an engine may ask for more (preroll_s)
READ_TIMEOUT_S = 0.1
STALL_S = 2.0  # a source that delivers nothing for this long has failed
RESETTLE_AFTER_S = 0.15  # after the pause's first decode, decode again this much later (last word)


@dataclass(frozen=True, slots=True)
class Utterance:
    transcript: Transcript
    speech_s: float  # onset to end of the last speech frame
    timings: dict[str, float] = field(default_factory=dict)


class _Clock:
    """Latency bookkeeping: audio position plus the lag since the current data was read."""

    def __init__(self) -> None:
        self.audio_t = 0.0  # seconds of audio consumed (end of the current frame)
        self.read_at = time.perf_counter()

    def latency_since(self, audio_moment: float) -> float:
        return max(0.0, self.audio_t - audio_moment) + (time.perf_counter() - self.read_at)


def capture_utterance(source: AudioSource, vad: VoiceDetector, recognizer: Recognizer,
                      endpoint: EndpointSettings | EndpointConfig, *,
                      on_partial: Callable[[str], None] | None = None,
                      on_level: Callable[[float], None] | None = None,
                      cancel: threading.Event | None = None,
                      turn: TurnContext | None = None) -> Utterance:
    """Listen until the person stops speaking; return the final transcript.

    ``turn``: end the turn from the words (see the module notes); default: from ``endpoint`` when it
    is the settings section, the fixed hang-over when it is an ``EndpointConfig``.
    Raises ``NoSpeechError`` (nothing but silence/noise before the timeout, or no words recognised),
    ``CancelledError`` (``cancel`` set), ``MicError`` (the source failed or went silent).
    """
    if isinstance(endpoint, EndpointConfig):
        cfg = endpoint
    else:
        cfg = EndpointConfig.from_settings(endpoint)
        turn = turn if turn is not None else TurnContext.from_settings(endpoint)
    if turn is not None:  # the endpointer's own hang-over is only the longest wait, a safety net
        cfg = dataclasses.replace(cfg, hangover_s=turn.waits.long_s, pause_s=turn.speculate_s,
                                  discard_s=turn.waits.mid_s)
    ep = Endpointer(cfg)
    vad.reset()
    frame_samples = int(vad.chunk_samples)
    frame_bytes = frame_samples * SAMPLE_WIDTH
    frame_s = frame_samples / SAMPLE_RATE
    preroll_s = float(getattr(recognizer, "preroll_s", PREROLL_S))
    preroll: collections.deque[bytes] = collections.deque(maxlen=max(1, round(preroll_s / frame_s)))
    clock = _Clock()
    timings: dict[str, float] = {"asr_s": 0.0, "asr_audio_s": 0.0, "vad_s": 0.0, "speculations": 0.0,
                                 "dropped": 0.0}
    session: RecognizerSession | None = None
    fed: list[bytes] = []  # audio given to the session (to re-feed one that final() closed)
    session_spent = False  # final() closed the session: a resumed utterance needs a new one
    spec: Transcript | None = None  # settled during the current pause (None: none, or speech resumed)
    preparing: Preparing | None = None  # the answer for ``spec``, made in its own thread
    live = bool(getattr(source, "realtime", True))  # False: a file read as fast as it goes
    resettled = False  # the current pause was decoded a second time
    preparing_from_t = 0.0  # when it started (audio clock, as a live microphone would see it)
    wordless_s = 0.0  # sound heard that had no words (forgotten at a pause)
    last_partial = ""
    pending = b""
    waited = 0.0

    def feed(pcm: bytes) -> None:
        nonlocal last_partial
        assert session is not None
        t0 = time.perf_counter()
        session.accept(pcm)
        text = session.partial()
        timings["asr_s"] += time.perf_counter() - t0
        timings["asr_audio_s"] += seconds(pcm)
        fed.append(pcm)
        if text and text != last_partial:
            last_partial = text
            timings.setdefault("first_partial_s", clock.latency_since(ep.onset))
            if on_partial is not None:
                on_partial(text)

    def drop_session() -> None:
        nonlocal session, last_partial, session_spent
        if session is not None:
            closer: Any = getattr(session, "close", None)
            if callable(closer):
                closer()
        session, last_partial, session_spent = None, "", False
        fed.clear()
        timings.pop("first_partial_s", None)
        timings["asr_audio_s"] = 0.0

    def settle() -> Transcript:
        """The transcript so far, decoded to the end; the session stays usable when it can."""
        nonlocal session_spent
        assert session is not None
        t0 = time.perf_counter()
        settler: Any = getattr(session, "settle", None)
        if callable(settler):
            transcript: Transcript = settler()
        else:
            transcript, session_spent = session.final(), True
        dt = time.perf_counter() - t0
        timings["asr_s"] += dt
        timings["settle_s"] = dt
        return transcript

    def forget_speculation() -> None:
        nonlocal preparing
        if preparing is not None:
            preparing.wait()  # never drop under a prepare still writing its result
            preparing = None
        if turn is not None and turn.speculation is not None:
            turn.speculation.drop()

    def resume() -> None:
        """Speech after a settled pause: drop the speculation; reopen a session final() closed."""
        nonlocal spec, session, session_spent
        spec = None
        timings["dropped"] += 1
        forget_speculation()
        if session_spent:
            old = b"".join(fed)
            fed.clear()
            session, session_spent = recognizer.start(SAMPLE_RATE), False
            feed(old)

    def finish(end_t: float) -> Utterance:
        assert session is not None
        timings["decided_mono"] = time.monotonic()
        timings["speech_end_t"] = end_t
        timings["turn_end_t"] = ep.now
        lag = time.perf_counter() - clock.read_at
        t0 = time.perf_counter()
        # No speech since the pause was settled: its words are the question (the decoder may still
        # respell the last word over the silence that followed, which would throw the prepared answer
        # away for nothing); final() still closes the session and decides the language (English
        # detection), and a switched language wins. After a fallback settle final() already ran.
        # But words the decoder added at the end are the question's last word, which it emits only
        # after enough trailing audio (viet-asr: ~0.3 s after a pause settled mid-utterance): the
        # longer transcript wins and the answer is made for it.
        transcript = spec if spec is not None and session_spent else session.final()
        if spec is not None and transcript.language == spec.language and not _extends(transcript, spec):
            transcript = spec
        timings["final_s"] = time.perf_counter() - t0
        timings["asr_s"] += timings["final_s"]
        timings["audio_s"] = clock.audio_t
        timings["ready_t"] = ep.now + lag + timings["final_s"]
        if preparing is not None:
            preparing.wait()  # the answer for the pause's words: the pipeline takes it at once
            timings["prepare_s"] = preparing.spent_s
            spec_ready_t = preparing_from_t + preparing.spent_s
            if spec is not None and (transcript.text, transcript.language) == (spec.text, spec.language):
                timings["ready_t"] = max(timings["ready_t"], spec_ready_t)
                timings["speculated"] = 1.0
        speech_s = max(0.0, end_t - ep.onset)
        if not transcript.text.strip():
            raise NoSpeechError(f"{speech_s:.1f} s of sound but no words recognised (noise?)")
        log.debug("heard %.1f s: %s", speech_s, transcript.text)
        return Utterance(transcript, speech_s, timings)

    def on_pause() -> bool:
        """Short silence reached: settle, speculate, maybe end now. True: the turn is over."""
        nonlocal spec, preparing, preparing_from_t, wordless_s, resettled
        resettled = False
        assert turn is not None
        settled = settle()
        if not settled.text.strip():  # a door, a cough, a chair: no words, not a question
            log.debug("ignored %.2f s of sound without words", ep.speech_s)
            wordless_s += ep.speech_s
            drop_session()
            ep.forget()
            return False
        spec = settled
        if turn.speculation is not None:
            timings["speculations"] += 1
            preparing_from_t = clock.audio_t + (time.perf_counter() - clock.read_at)
            preparing = Preparing(turn.speculation, settled)
        return over()

    def resettle() -> None:
        """Later in the pause, decode again: the last word may have come out only now; if the words
        changed, the answer is prepared again for them (and the turn decided on them)."""
        nonlocal spec, preparing, preparing_from_t, resettled
        assert turn is not None and spec is not None
        resettled = True
        again = settle()
        if not again.text.strip() or words_of(again.text) == words_of(spec.text):
            return
        timings["resettled"] = timings.get("resettled", 0.0) + 1
        forget_speculation()
        spec = again
        if turn.speculation is not None:
            timings["speculations"] += 1
            preparing_from_t = clock.audio_t + (time.perf_counter() - clock.read_at)
            preparing = Preparing(turn.speculation, again)

    def matters_if_matched(text: str) -> bool:
        assert turn is not None
        kw: dict[str, Any] = {"slow": turn.slow, "waits": turn.waits, "model": turn.model}
        return turn_wait(text, turn.language, matched=True, **kw) != turn_wait(text, turn.language, **kw)

    def over() -> bool:
        """The turn is over after this much silence, for these words, and whether the prepared
        answer names a procedure and an aspect (the short wait for an open ending): live, as soon as
        it is made (listening never waits for it before the turn ends); from a file read faster
        than real time, waited for at the short wait, so the file decides as a live microphone
        would on a fast machine, however fast it is read."""
        assert turn is not None and spec is not None
        matched = False
        if preparing is not None and (preparing.done or (
                not live and ep.silence_s + 1e-9 >= turn.waits.short_s and matters_if_matched(spec.text))):
            preparing.wait()
            matched = preparing.matched
        return decide(ep.silence_s, spec.text, turn.language, slow=turn.slow, matched=matched,
                      waits=turn.waits, model=turn.model) is Turn.END

    try:
        while True:
            if cancel is not None and cancel.is_set():
                raise CancelledError("listening cancelled")
            data = source.read(READ_TIMEOUT_S)
            if data is None:
                waited += READ_TIMEOUT_S
                if waited >= STALL_S:
                    raise MicError(f"audio source delivered nothing for {waited:.1f} s")
                continue
            waited = 0.0
            if data == b"":  # the source ended (a file ran out)
                if session is not None and ep.in_speech and ep.speech_s + 1e-9 >= cfg.min_speech_s:
                    timings["end_detected_s"] = clock.latency_since(ep.last_speech_end)
                    return finish(ep.last_speech_end)
                raise NoSpeechError(_nothing_said("the audio ended without speech", wordless_s))
            clock.read_at = time.perf_counter()
            pending += data
            while len(pending) >= frame_bytes:
                frame, pending = pending[:frame_bytes], pending[frame_bytes:]
                clock.audio_t += frame_s
                t0 = time.perf_counter()
                prob = vad(frame)
                timings["vad_s"] += time.perf_counter() - t0
                if on_level is not None:
                    on_level(level_meter(level_db(frame)))
                ev = ep.process(frame_s, prob)
                kind = ev.kind if ev is not None else None
                if spec is not None and ep.silence_s == 0.0 and ep.in_speech:
                    resume()  # the speaker went on after the pause
                if kind in (EndpointKind.ONSET, EndpointKind.START) and session is None:
                    timings["speech_start_s"] = ep.onset
                    session = recognizer.start(SAMPLE_RATE)
                    feed(b"".join(preroll) + frame)
                elif kind is EndpointKind.DISCARD:
                    log.debug("ignored a %.2f s burst (click/cough)", ep.now - ep.onset)
                    drop_session()
                elif kind is EndpointKind.NO_SPEECH:
                    raise NoSpeechError(_nothing_said(
                        f"no speech within {cfg.no_speech_timeout_s:.0f} s", wordless_s))
                elif session is not None and session_spent:
                    fed.append(frame)  # the pause, for the session reopened if speech resumes
                elif session is not None:
                    feed(frame)
                preroll.append(frame)
                if kind is None and spec is not None and not resettled and not session_spent \
                        and turn is not None and ep.silence_s + 1e-9 >= turn.speculate_s + RESETTLE_AFTER_S:
                    resettle()
                if (kind is EndpointKind.PAUSE and turn is not None and on_pause()) or (
                        kind is None and spec is not None and over()):
                    ev = ep.end()
                    kind = ev.kind
                if kind in (EndpointKind.END, EndpointKind.MAX_LENGTH):
                    assert ev is not None
                    if kind is EndpointKind.MAX_LENGTH:
                        log.info("utterance cut at the %.0f s maximum", cfg.max_utterance_s)
                    timings["end_detected_s"] = clock.latency_since(ev.t)
                    return finish(ev.t)
    finally:
        if session is not None and not ep.done:
            drop_session()
        if spec is not None and not ep.done:
            forget_speculation()  # cancelled or failed while a speculation was held


def _extends(longer: Transcript, shorter: Transcript) -> bool:
    """``longer``'s words are ``shorter``'s and more after them."""
    a, b = words_of(longer.text), words_of(shorter.text)
    return len(a) > len(b) and a[:len(b)] == b


def _nothing_said(why: str, wordless_s: float) -> str:
    return f"{why}; {wordless_s:.1f} s of sound but no words recognised (noise?)" if wordless_s else why
