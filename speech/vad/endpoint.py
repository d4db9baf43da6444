"""Endpointing: when did the person start and stop speaking. A pure state machine, no clock, no I/O.

Feed ``process(chunk_seconds, speech_probability)`` once per VAD chunk, starting at the button press;
it returns at most one ``Endpoint`` per chunk:

- ``ONSET``: a chunk crossed the speech threshold after silence: a candidate utterance begins
  (the caller may start streaming into the recogniser, pre-roll included).
- ``DISCARD``: the candidate had less than ``min_speech_s`` of speech before ``discard_s`` (default
  ``hangover_s``) of silence (a click, a cough): forget it and keep waiting.
- ``START``: the candidate reached ``min_speech_s`` of speech: it is an utterance.
- ``PAUSE``: ``pause_s`` of silence after an utterance (only when ``pause_s`` > 0, once per pause):
  the caller may decode and prepare an answer speculatively, and end the turn early with ``end()``
  when the words say the question is over (``speech.vad.turn``); speech resuming cancels nothing
  here, the caller drops its speculation.
- ``END``: ``hangover_s`` of silence after an utterance; ``t`` = end of its last speech chunk.
- ``MAX_LENGTH``: the utterance reached ``max_utterance_s``; it ends here.
- ``NO_SPEECH``: ``no_speech_timeout_s`` passed with nothing but silence (or discarded noise).

Times ``t`` are seconds since the first chunk (the button press). A chunk counts as speech when its
probability is >= ``threshold``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

EPS = 1e-9  # float sums of chunk durations


class EndpointKind(StrEnum):
    ONSET = "onset"
    PAUSE = "pause"
    DISCARD = "discard"
    START = "start"
    END = "end"
    MAX_LENGTH = "max-length"
    NO_SPEECH = "no-speech"


@dataclass(frozen=True, slots=True)
class Endpoint:
    kind: EndpointKind
    t: float  # ONSET/START: onset of the speech; END/MAX_LENGTH: end of the last speech; else: now


class _State(StrEnum):
    WAITING = "waiting"
    CANDIDATE = "candidate"
    SPEECH = "speech"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class EndpointConfig:
    threshold: float = 0.5
    hangover_s: float = 0.7
    min_speech_s: float = 0.25
    max_utterance_s: float = 15.0
    no_speech_timeout_s: float = 6.0
    pause_s: float = 0.0  # > 0: report PAUSE after this much silence (speculation, early end)
    discard_s: float = 0.0  # silence that ends a too-short candidate; 0: hangover_s

    @classmethod
    def from_settings(cls, s: object) -> EndpointConfig:
        """From ``settings.endpoint`` (``EndpointSettings``) or anything with the same fields."""
        d = cls()
        return cls(threshold=float(getattr(s, "speech_threshold", d.threshold)),
                   hangover_s=float(getattr(s, "hangover_s", d.hangover_s)),
                   min_speech_s=float(getattr(s, "min_speech_s", d.min_speech_s)),
                   max_utterance_s=float(getattr(s, "max_utterance_s", d.max_utterance_s)),
                   no_speech_timeout_s=float(getattr(s, "no_speech_timeout_s", d.no_speech_timeout_s)))


class Endpointer:
    def __init__(self, config: EndpointConfig | None = None) -> None:
        self.cfg = config or EndpointConfig()
        self.now = 0.0
        self._state = _State.WAITING
        self._onset = 0.0  # start of the candidate / utterance
        self._last_speech_end = 0.0
        self._voiced = 0.0  # speech seconds inside the candidate / utterance
        self._silence = 0.0  # seconds of silence since the last speech chunk
        self._paused = False  # PAUSE reported for the current silence

    @property
    def in_speech(self) -> bool:
        """True from ONSET until DISCARD/END: audio belongs to a (candidate) utterance."""
        return self._state in (_State.CANDIDATE, _State.SPEECH)

    @property
    def done(self) -> bool:
        return self._state is _State.DONE

    @property
    def onset(self) -> float:
        return self._onset

    @property
    def silence_s(self) -> float:
        """Seconds of silence since the last speech chunk of the current (candidate) utterance."""
        return self._silence

    @property
    def last_speech_end(self) -> float:
        return self._last_speech_end

    def end(self) -> Endpoint:
        """The caller ends the utterance now (its words say the turn is over): ``END`` at the end
        of the last speech chunk. Only valid in an utterance (after ``START``)."""
        if self._state is not _State.SPEECH:
            raise RuntimeError(f"end() in state {self._state}")
        self._state = _State.DONE
        return Endpoint(EndpointKind.END, self._last_speech_end)

    def forget(self) -> None:
        """The utterance was noise after all (no words in it): wait for speech again, as after
        ``DISCARD``; the button-press timeout keeps running."""
        if self._state is not _State.DONE:
            self._state = _State.WAITING
            self._voiced = self._silence = 0.0

    @property
    def speech_s(self) -> float:
        """Speech seconds counted in the current or finished utterance."""
        return self._voiced

    def process(self, chunk_s: float, probability: float) -> Endpoint | None:
        if self._state is _State.DONE:
            return None
        start, self.now = self.now, self.now + chunk_s
        speech = probability >= self.cfg.threshold
        cfg = self.cfg

        if self._state is _State.WAITING:
            if speech:
                self._state = _State.CANDIDATE
                self._onset, self._voiced, self._silence = start, chunk_s, 0.0
                self._paused = False
                self._last_speech_end = self.now
                if self._voiced + EPS >= cfg.min_speech_s:
                    self._state = _State.SPEECH
                    return Endpoint(EndpointKind.START, self._onset)
                return Endpoint(EndpointKind.ONSET, self._onset)
            if self.now + EPS >= cfg.no_speech_timeout_s:
                self._state = _State.DONE
                return Endpoint(EndpointKind.NO_SPEECH, self.now)
            return None

        # CANDIDATE or SPEECH
        if speech:
            self._voiced += chunk_s
            self._silence = 0.0
            self._paused = False
            self._last_speech_end = self.now
        else:
            self._silence += chunk_s
        if self._state is _State.CANDIDATE:
            if speech and self._voiced + EPS >= cfg.min_speech_s:
                self._state = _State.SPEECH
                return Endpoint(EndpointKind.START, self._onset)
            if self._silence + EPS >= (cfg.discard_s or cfg.hangover_s):
                self._state = _State.WAITING
                self._voiced = 0.0
                return Endpoint(EndpointKind.DISCARD, self.now)
            return None
        if self._silence + EPS >= cfg.hangover_s:
            self._state = _State.DONE
            return Endpoint(EndpointKind.END, self._last_speech_end)
        if self.now - self._onset + EPS >= cfg.max_utterance_s:
            self._state = _State.DONE
            return Endpoint(EndpointKind.MAX_LENGTH, self._last_speech_end)
        if cfg.pause_s > 0 and not self._paused and self._silence + EPS >= cfg.pause_s:
            self._paused = True
            return Endpoint(EndpointKind.PAUSE, self._last_speech_end)
        return None
