"""A sentence's recording key, and splitting a composed sentence back into its recorded items.

Shared by the inventory (what the kiosk can say) and the player (``RecordingSet``); pure.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Mapping, Sequence
from typing import TypeVar

SEPARATORS = (": ", ", ")
_T = TypeVar("_T")


def sentence_key(text: str) -> str:
    """sha256 hex of the sentence: NFC, whitespace collapsed, stripped."""
    norm = " ".join(unicodedata.normalize("NFC", text).split()).strip()
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()


def loose(text: str) -> str:
    """The form pieces are matched in: NFC, single spaces, case-folded, no closing punctuation."""
    s = " ".join(unicodedata.normalize("NFC", text).split()).strip()
    return s.rstrip(" .;:,!?").casefold()


def decompose(sentence: str, known: Mapping[str, _T]) -> list[_T] | None:
    """The items ``sentence`` is made of (``known``: loose text -> item), or None.

    An item alone; an item followed by ": " or ", " and the rest; a "; "-separated list of items."""
    return _split(loose(sentence), known, 0)


def _split(s: str, known: Mapping[str, _T], depth: int) -> list[_T] | None:
    if not s or depth > 6:
        return None
    hit = known.get(s)
    if hit is not None:
        return [hit]
    for sep in SEPARATORS:
        at = s.find(sep)
        while at > 0:
            head = known.get(s[:at].rstrip(" .;:,"))
            if head is not None:
                rest = _split(s[at + len(sep):], known, depth + 1)
                if rest is not None:
                    return [head, *rest]
            at = s.find(sep, at + 1)
    if "; " in s:
        return _list(s.split("; "), known)
    return None


def _list(parts: Sequence[str], known: Mapping[str, _T]) -> list[_T] | None:
    """Items joined by "; " (an item may itself hold "; ")."""
    if not parts:
        return []
    for n in range(len(parts), 0, -1):
        hit = known.get("; ".join(parts[:n]).rstrip(" .;:,"))
        if hit is not None:
            rest = _list(parts[n:], known)
            if rest is not None:
                return [hit, *rest]
    return None
