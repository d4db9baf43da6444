"""A question's clauses (method 5's clause-level refusal scoring, evaluated and NOT adopted).

"Chứng thực bản sao bằng tốt nghiệp mà điểm đã sửa lại" names a real procedure; the intent to
cheat is in its last clause, which the whole question's words and E5 vector drown out. Splitting
at punctuation and at the connectives that start a new clause ("mà", "để", "nhưng", "rồi", "thì";
"but", "so that", "without") lets ``understand.examples.ExampleIndex.words`` score each clause on its
own: a clause of five words that is typical of the harmful examples is a strong signal even in a
question of forty words. Pure text, no model: clause scoring costs microseconds, not an embedding.

Leave-one-set-out over the dev sets (bench/tune_understand.py, options clause_tanh / clause_hinges),
the best clause's typical words traded answered in-scope questions for refusals about one for one
(Vietnamese 1,008 → 1,005 answered, 433 → 435 refused), and separated in-scope from harmful
questions no better than the whole question's words, so the kiosk does not use it.
"""

from __future__ import annotations

import re

from knowledge.understand.normalize import fold_diacritics, normalize_vi

# Connectives (one or two syllables) that open a new clause, Vietnamese and English. Matched with
# diacritics when the question has them ("mà", not "má"), folded when it is typed without.
CONNECTIVES: frozenset[str] = frozenset(normalize_vi(c) for c in (
    "mà", "để", "nhưng", "rồi", "thì", "nhưng mà", "để mà", "mà không", "sao cho", "sau đó",
    "vì", "bởi vì", "tại vì", "còn", "chứ", "với lại", "kể cả", "miễn là",
    "but", "so that", "so", "without", "because", "then", "and then", "while", "although", "though",
    "even though", "in order to", "whose", "which", "who",
))
# Folded, only for questions typed without diacritics: the ambiguous ones ("con", "chu") left out.
_FOLDED = frozenset(fold_diacritics(c) for c in CONNECTIVES) - {"con", "chu", "vi"}
_PUNCT = re.compile(r"[,.;:!?…()\[\]\"“”\-–—/]+")
MIN_WORDS = 2  # a clause shorter than this is joined to its neighbour


def clauses(text: str, max_clauses: int = 8) -> list[str]:
    """The question split into clauses (normalised, without punctuation); the whole question when
    it has one. At most ``max_clauses`` (the rest joins the last one)."""
    out: list[list[str]] = []
    plain = fold_diacritics(normalize_vi(text[:2000])) == normalize_vi(text[:2000])
    table = _FOLDED if plain else CONNECTIVES
    for piece in _PUNCT.split(text[:2000]):
        words = normalize_vi(piece).split()
        cur: list[str] = []
        i = 0
        while i < len(words):
            two = " ".join(words[i:i + 2])
            step = 2 if two in table else 1 if words[i] in table else 0
            if step and cur:
                out.append(cur)
                cur = []
            cur.extend(words[i:i + max(step, 1)])
            i += max(step, 1)
        if cur:
            out.append(cur)
    merged: list[list[str]] = []
    for c in out:
        if merged and len(merged[-1]) < MIN_WORDS:
            merged[-1].extend(c)
        else:
            merged.append(c)
    if len(merged) > 1 and len(merged[-1]) < MIN_WORDS:
        merged[-2].extend(merged.pop())
    if len(merged) > max_clauses:
        merged[max_clauses - 1:] = [[w for c in merged[max_clauses - 1:] for w in c]]
    return [" ".join(c) for c in merged]
