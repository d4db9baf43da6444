"""Sentence splitting for streamed synthesis: the first sentence plays while the rest is synthesised.

Splits after ``. ! ? …`` and line breaks, never inside numbers ("5.000", "01.7.2025") or after
abbreviations that end with a dot ("TP.", "v.v.", "Q."). Very long sentences are cut again at
``;`` or ``,`` so no chunk keeps the listener waiting (first audio must come fast). A slow engine
(Piper under load) may also ask for a short first piece (``first_max_chars``): the first sentence is
cut at its first clause pause so the first audio starts sooner.
"""

from __future__ import annotations

import re

MAX_CHARS = 200  # a longer sentence is split at ; or , (about 12 s of slow speech)

_NO_BREAK_BEFORE = ("TP.", "v.v.", "Q.", "P.", "TS.", "ThS.", "GS.", "PGS.", "Tp.", "St.", "Mr.", "Mrs.",
                    "Dr.", "e.g.", "i.e.", "No.")
# a sentence end: punctuation, closing quotes/brackets, then whitespace; or a line break
_BOUNDARY = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+|\n+")


def split_sentences(text: str, max_chars: int = MAX_CHARS, first_max_chars: int | None = None) -> list[str]:
    """Sentences of ``text`` in order, stripped, none empty, none longer than ``max_chars`` if avoidable.

    ``first_max_chars``: cut the first sentence at a clause pause (", " "; " ": ") if it is longer."""
    pieces: list[str] = []
    buf = ""
    pos = 0
    for m in _BOUNDARY.finditer(text):
        candidate = buf + text[pos:m.start()]
        pos = m.end()
        last_word = candidate.rsplit(None, 1)[-1] if candidate.strip() else ""
        if last_word in _NO_BREAK_BEFORE and m.group(0).strip("\n") == m.group(0):
            buf = candidate + " "
            continue
        if candidate.strip():
            pieces.append(candidate.strip())
        buf = ""
    tail = (buf + text[pos:]).strip()
    if tail:
        pieces.append(tail)
    out: list[str] = []
    for p in pieces:
        out.extend(_cut_long(p, max_chars))
    if first_max_chars and out and len(out[0]) > first_max_chars:
        out[:1] = _cut_first(out[0], first_max_chars)
    return out


def _cut_first(sentence: str, limit: int) -> list[str]:
    """Cut at the last clause pause within ``limit`` characters, else at the first pause after it;
    never leaving a piece under 12 characters."""
    pauses = [m.start() for m in re.finditer(r"[,;:] ", sentence) if 12 <= m.start() <= len(sentence) - 12]
    if not pauses:
        return [sentence]
    within = [p for p in pauses if p <= limit]
    cut = within[-1] if within else pauses[0]
    return [sentence[: cut + 1].strip(), sentence[cut + 1:].strip()]


def _cut_long(sentence: str, max_chars: int) -> list[str]:
    if len(sentence) <= max_chars:
        return [sentence]
    parts: list[str] = []
    rest = sentence
    while len(rest) > max_chars:
        window = rest[:max_chars]
        cut = max(window.rfind("; "), window.rfind(": "))
        if cut < max_chars // 3:
            cut = window.rfind(", ")
        if cut < max_chars // 3:
            cut = window.rfind(" ")
        if cut <= 0:
            break
        parts.append(rest[:cut + 1].strip())
        rest = rest[cut + 1:].strip()
    if rest:
        parts.append(rest)
    return parts
