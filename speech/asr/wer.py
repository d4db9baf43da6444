"""Word error rate for checking recognisers (tests, benchmarks, `kiosk` diagnostics). Pure text.

Normalisation: NFC, lowercase, punctuation removed, and digits spelled out in Vietnamese (the
recognisers write "mười chín" where a transcript has "19").
"""

from __future__ import annotations

import re
import unicodedata

_DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)
_NUMBER = re.compile(r"\d+")


def spell_number(n: int) -> str:
    """Vietnamese reading of 0..999 999 (enough for transcripts); larger numbers digit by digit."""
    if n < 10:
        return _DIGITS[n]
    if n < 100:
        tens, unit = divmod(n, 10)
        head = "mười" if tens == 1 else f"{_DIGITS[tens]} mươi"
        if unit == 0:
            return head
        special = {1: "mốt" if tens > 1 else "một", 4: "tư" if tens > 1 else "bốn", 5: "lăm"}
        tail = special.get(unit, _DIGITS[unit])
        return f"{head} {tail}"
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        head = f"{_DIGITS[hundreds]} trăm"
        if rest == 0:
            return head
        return f"{head} lẻ {_DIGITS[rest]}" if rest < 10 else f"{head} {spell_number(rest)}"
    if n < 1_000_000:
        thousands, rest = divmod(n, 1000)
        head = f"{spell_number(thousands)} nghìn"
        if rest == 0:
            return head
        return f"{head} không trăm {spell_number(rest)}" if rest < 100 else f"{head} {spell_number(rest)}"
    return " ".join(_DIGITS[int(d)] for d in str(n))


def normalize_words(text: str) -> list[str]:
    t = unicodedata.normalize("NFC", text).lower()
    t = _NUMBER.sub(lambda m: f" {spell_number(int(m.group(0)))} ", t)
    return _PUNCT.sub(" ", t).split()


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1]


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(errors, reference word count) after normalisation."""
    ref, hyp = normalize_words(reference), normalize_words(hypothesis)
    return edit_distance(ref, hyp), len(ref)


def wer(reference: str, hypothesis: str) -> float:
    errors, n = word_errors(reference, hypothesis)
    return errors / max(n, 1)
