"""A small classifier over the partial transcript: does the question sound complete? Pure.

``speech.vad.turn.p_complete(text, language)`` is a logistic regression over a few word features of
the transcript so far: its last word, last two words, the word before the last, its first word (a
fronted "nếu …", "khi …", "trong …" wants a main clause), its length (bucketed) and the word rules'
verdict (``speech.vad.turn.ending``). Its weights are DATA per language in ``turn_weights``, trained
from text only by ``python -m speech.vad.turn_training --write``.

``speech.vad.turn`` uses it only for words the rules leave open (neither a question word nor a
filler): at or above the language's threshold (``TURN_THRESHOLDS``) the turn waits
``complete_wait_s`` instead of the middle wait (``[endpoint] turn_end = "model"``). It leans on the
length, so a long clause sounds complete; the default stays ``"words"`` (docs/benchmarks.md,
"End of turn").
"""

from __future__ import annotations

import math
from collections.abc import Sequence

_BUCKETS = (1, 2, 3, 4, 6, 9, 13, 18)


def _bucket(n: int) -> str:
    for b in _BUCKETS:
        if n <= b:
            return str(b)
    return "more"


def features(words: Sequence[str], rule: str) -> list[str]:
    """The binary features of the words so far (``rule``: ``speech.vad.turn.Ending`` value)."""
    n = len(words)
    out = ["bias", f"rule={rule}", f"len={_bucket(n)}"]
    if n:
        out += [f"w1={words[-1]}", f"first={words[0]}"]
    if n >= 2:
        out += [f"w2={words[-2]} {words[-1]}", f"p1={words[-2]}"]
    return out


def score(weights: dict[str, float], words: Sequence[str], rule: str) -> float:
    """Probability that the turn is complete after ``words``."""
    z = sum(weights.get(f, 0.0) for f in features(words, rule))
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
