"""Aspect-only follow-ups (understanding method 6): what is left of a question once the words that
only say *what* is asked are taken out.

"Có làm qua điện thoại được không?" after an answer about a birth registration asks about an aspect
(online) of that procedure; its aspect words also score the online-submission record, so retrieval
alone may move the conversation there. ``aspect_free`` removes the aspect and ask vocabulary the
code already has (``decide.ASPECT_PHRASES``, ``lexical.ASPECT_PHRASES``,
``knowledge.answer.select``'s ask patterns, ``knowledge.understand.english.ASPECTS_EN``) and function words;
``own_evidence`` is the most a single remaining word (or word pair, never across a removed span)
says for a procedure other than the conversation's (IDF x field weight, ``LexicalIndex.evidence``).
Below ``FollowUpRule.residual`` (fitted by leave-one-set-out CV on the dev follow-ups,
``bench/tune_understand.py``) the question names no procedure of its own and the conversation's
procedure answers. No new phrases: only the existing tables.

``named_apart_from_aspects`` (method 7) measures whether a follow-up names another procedure on
the same pieces, so the aspect words that are also a procedure's alias do not name it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Protocol

from knowledge.answer.select import _ASK_PATTERNS, _FOLDED_PATTERNS
from knowledge.understand.decide import _FIRST, ASPECT_PHRASES, _compile
from knowledge.understand.english import ASPECTS_EN, STOP, words
from knowledge.understand.lexical import ASPECT_PHRASES as RETRIEVAL_ASPECTS
from knowledge.understand.lexical import STOP_SYLLABLES
from knowledge.understand.normalize import fold_diacritics, normalize_vi


def _alternation(phrases: Iterable[str]) -> re.Pattern[str]:
    alts = sorted({p for p in phrases if p}, key=len, reverse=True)
    return re.compile(r"(?<!\S)(?:" + "|".join(re.escape(a) for a in alts) + r")(?!\S)")


_VI_TABLES = [_compile([p for _a, ps in ASPECT_PHRASES.items() for p in ps]),
              _compile([p for _a, ps in _FIRST for p in ps])]
# retrieval's aspect phrases are folded already; the English tables are in ``words`` form
_FOLDED_ASPECTS = _alternation(RETRIEVAL_ASPECTS)
_EN_ASPECTS = _alternation(" ".join(words(p)) for _a, ps in ASPECTS_EN for p in ps)
_EN_STOP = STOP | STOP_SYLLABLES


class Evidence(Protocol):
    def evidence(self, text: str) -> dict[str, float]: ...


class Names(Protocol):
    def name_coverage(self, text: str) -> dict[str, float]: ...


_CUT = " | "  # where words were taken out: no word pair is formed across it


def _strip(pattern: re.Pattern[str], text: str) -> str:
    return " ".join(pattern.sub(_CUT, text).split())


def aspect_free(question: str, language: str = "vi") -> tuple[str, ...]:
    """The question's pieces left once its aspect/ask words (and English function words) are taken
    out, folded: "nếu 3 giờ chiều tôi đến thì trong ngày có xong không" -> ("neu 3 gio chieu toi
    den thi", "co xong khong"). Empty when nothing is left."""
    if language == "en":
        text = _strip(_EN_ASPECTS, " ".join(words(question)))
        text = _strip(_FOLDED_ASPECTS, text)
        text = " ".join(w if w not in _EN_STOP else "|" for w in text.split())
    else:
        norm = normalize_vi(question)[:2000]
        plain = fold_diacritics(norm) == norm  # typed without diacritics: the folded tables
        for exact, folded in _VI_TABLES:
            norm = _strip(folded if plain else exact, norm)
        for (_ask, rx), (_ask2, frx) in zip(_ASK_PATTERNS, _FOLDED_PATTERNS, strict=True):
            norm = _strip(frx if plain else rx, norm)
        # Vietnamese function words are left to the lexical index (it never counts them alone):
        # folded, many collide with content syllables ("tử" -> "tu", "đăng" -> "dang")
        text = _strip(_FOLDED_ASPECTS, fold_diacritics(norm))
    return tuple(p for p in (" ".join(part.split()) for part in text.split("|")) if p)


def own_evidence(scorer: Evidence, pieces: Sequence[str], previous: str) -> float:
    """The most the question's remaining pieces say for a procedure other than ``previous``
    (``scorer``: the language's lexical index; 0 when nothing remains)."""
    return max((v for piece in pieces for pid, v in scorer.evidence(piece).items() if pid != previous),
               default=0.0)


def named_apart_from_aspects(names: Names, pieces: Sequence[str]) -> dict[str, float]:
    """Per procedure, the name coverage (``LexicalIndex.name_coverage``) of the best of the
    question's aspect-free ``pieces``: inside a follow-up, a procedure alias that is also an aspect
    word ("qua mạng", "trực tuyến") says what is asked, not which procedure (method 7)."""
    best: dict[str, float] = {}
    for piece in pieces:
        for pid, v in names.name_coverage(piece).items():
            best[pid] = max(best.get(pid, 0.0), v)
    return best
