"""End of turn from what was said, not only from silence. Pure: no clock, no I/O, no engine.

``decide(silence_s, text, language, slow, waits)`` → ``Turn.END`` or ``Turn.WAIT``: how long the
silence after the last word must last depends on how the words so far end (``ending``):

- ``FINISHED`` (a question word or final particle: "… bao nhiêu", "… không", "… ạ"; or the caller
  found a procedure and an aspect in it, ``matched``): the short wait (default 0.3 s);
- ``HANGING`` (a filler or connective: "… ờ", "… thì", "… cho bác hỏi", "… với cả"): the long wait
  (default 1.2 s), an elderly speaker is looking for the next word;
- ``OPEN`` (anything else, or no words yet): the middle wait (default 0.55 s); with ``model``
  (``[endpoint] turn_end = "model"``) an open ending that the classifier over the partial transcript
  (``speech.vad.turn_model``) scores as a complete turn waits ``complete_s`` instead (default
  0.42 s: longer than the 0.4 s pause inside a question that must never end a turn).

A resident in slow mode (pressed "Nói chậm hơn" in this conversation) always gets the long wait.
The word lists are data per language (``speech.vad.turn_words``); an unknown language falls back
to Vietnamese's. ``speech.capture`` asks this after each silent frame once the short wait passed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from speech.asr.base import Transcript
from speech.vad.turn_model import score
from speech.vad.turn_weights import TURN_THRESHOLDS, TURN_WEIGHTS
from speech.vad.turn_words import TURN_WORDS

EPS = 1e-9
# The transcript is settled and the answer prepared this long before the short wait is over, so a
# question that sounds finished has its answer ready when it ends (preparing takes ~0.1-0.2 s on two
# busy cores: decode to the end, retrieval, the first audio chunk).
SPECULATE_AHEAD_S = 0.1
MIN_SPECULATE_S = 0.1


class Turn(StrEnum):
    WAIT = "wait"
    END = "end"


class Ending(StrEnum):
    FINISHED = "finished"
    HANGING = "hanging"
    OPEN = "open"


@dataclass(frozen=True, slots=True)
class Waits:
    """Silence (seconds) after the last word that ends the turn, per kind of ending."""

    short_s: float = 0.3
    mid_s: float = 0.55
    long_s: float = 1.2
    complete_s: float = 0.42  # an open ending the classifier calls complete (``model`` only)

    def __post_init__(self) -> None:
        if not 0.0 < self.short_s <= self.complete_s <= self.mid_s <= self.long_s:
            raise ValueError(f"waits must be 0 < short <= complete <= mid <= long, got {self.short_s}/"
                             f"{self.complete_s}/{self.mid_s}/{self.long_s}")

    @classmethod
    def from_settings(cls, s: object) -> Waits:
        """From ``settings.endpoint`` (``EndpointSettings``) or anything with the same fields."""
        d = cls()
        return cls(short_s=float(getattr(s, "short_wait_s", d.short_s)),
                   mid_s=float(getattr(s, "mid_wait_s", d.mid_s)),
                   long_s=float(getattr(s, "long_wait_s", d.long_s)),
                   complete_s=float(getattr(s, "complete_wait_s", d.complete_s)))


_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def words_of(text: str) -> tuple[str, ...]:
    """Lowercase words, punctuation dropped (typed text and ASR text compare alike)."""
    return tuple(_WORD.findall(text.lower()))


def _table(language: str) -> tuple[dict[tuple[str, ...], Ending], int]:
    lists = TURN_WORDS.get(language) or TURN_WORDS["vi"]
    table: dict[tuple[str, ...], Ending] = {}
    for kind in (Ending.FINISHED, Ending.HANGING):  # HANGING written last: it wins a tie
        for entry in lists.get(str(kind), ()):
            table[words_of(entry)] = kind
    return table, max((len(k) for k in table), default=0)


_TABLES = {lang: _table(lang) for lang in TURN_WORDS}


def ending(text: str, language: str = "vi", *, matched: bool = False) -> Ending:
    """How the words so far end. ``matched``: the question already names a procedure and an aspect."""
    ws = words_of(text)
    table, longest = _TABLES.get(language) or _TABLES["vi"]
    for n in range(min(longest, len(ws)), 0, -1):  # longest match first
        kind = table.get(ws[-n:])
        if kind is not None:
            return kind
    return Ending.FINISHED if matched and ws else Ending.OPEN


def p_complete(text: str, language: str = "vi") -> float:
    """The classifier's probability that a turn whose words so far are ``text`` is complete."""
    weights = TURN_WEIGHTS.get(language) or TURN_WEIGHTS["vi"]
    return score(weights, words_of(text), str(ending(text, language)))


def sounds_complete(text: str, language: str = "vi") -> bool:
    """The classifier calls these words a complete turn (at its language's threshold)."""
    lang = language if language in TURN_WEIGHTS else "vi"
    return bool(words_of(text)) and p_complete(text, lang) >= TURN_THRESHOLDS.get(lang, 1.0)


def turn_wait(text: str, language: str = "vi", *, slow: bool = False, matched: bool = False,
              waits: Waits = Waits(), model: bool = False) -> float:
    """Seconds of silence after the last word that end a turn whose words so far are ``text``.
    ``model``: an open ending the classifier scores as complete waits ``waits.complete_s``."""
    if slow:
        return waits.long_s
    kind = ending(text, language, matched=matched)
    if kind is Ending.FINISHED:
        return waits.short_s
    if kind is Ending.HANGING:
        return waits.long_s
    if model and sounds_complete(text, language):
        return waits.complete_s
    return waits.mid_s


def decide(silence_s: float, text: str, language: str = "vi", *, slow: bool = False,
           matched: bool = False, waits: Waits = Waits(), model: bool = False) -> Turn:
    """``END`` when ``silence_s`` of silence after the last word is enough for these words."""
    need = turn_wait(text, language, slow=slow, matched=matched, waits=waits, model=model)
    return Turn.END if silence_s + EPS >= need else Turn.WAIT


class Speculation(Protocol):
    """Work done for a transcript during a pause, before the turn is known to be over."""

    def prepare(self, transcript: Transcript) -> bool:
        """Prepare the answer; True when it names a procedure and an aspect (the question sounds
        complete, ``speech.vad.turn``: short wait)."""
        ...

    def drop(self) -> None:
        """The speaker went on: forget what ``prepare`` made (never speak it)."""
        ...


@dataclass(frozen=True, slots=True)
class TurnContext:
    """How this capture decides the end of the turn from the words (see the module notes)."""

    waits: Waits = Waits()
    language: str = "vi"
    slow: bool = False  # "Nói chậm hơn" was pressed in this conversation: always the long wait
    speculation: Speculation | None = None
    model: bool = False  # the classifier may shorten an open ending's wait (turn_end = "model")

    @property
    def speculate_s(self) -> float:
        """Silence after which the transcript is settled and the answer prepared."""
        return max(MIN_SPECULATE_S, self.waits.short_s - SPECULATE_AHEAD_S)

    @classmethod
    def from_settings(cls, endpoint: object, **kw: Any) -> TurnContext | None:
        """None when ``[endpoint] turn_end = "silence"`` (the fixed hang-over)."""
        mode = str(getattr(endpoint, "turn_end", "words"))
        if mode not in ("words", "model"):
            return None
        return cls(Waits.from_settings(endpoint), model=mode == "model", **kw)
