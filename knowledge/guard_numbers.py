"""Numbers in Vietnamese text, for the reply guard. Pure: no I/O.

Owns finding numbers written with digits ("5.000", "1,5") or spelled out ("năm nghìn", "sáu mươi
ngày", "hai triệu rưỡi"), each with the word after it (its unit), the rules that keep a lone
spelled digit from counting as a number ("một người thân" is an article), and sorting units into
money / time / other so that a fee or a deadline in a reply must match one of the record's.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

_DIGITS = {"không": 0, "một": 1, "mốt": 1, "hai": 2, "ba": 3, "bốn": 4, "tư": 4, "năm": 5, "lăm": 5,
           "nhăm": 5, "sáu": 6, "bảy": 7, "bẩy": 7, "tám": 8, "chín": 9}
_SCALES = {"nghìn": 1000, "ngàn": 1000, "triệu": 1_000_000, "tỷ": 1_000_000_000, "tỉ": 1_000_000_000}
_MONEY_UNITS = {"đồng", "đ", "vnđ", "vnd", "nghìn", "ngàn", "triệu", "tỷ", "tỉ", "k"}
_TIME_UNITS = {"ngày", "tháng", "năm", "tuần", "giờ", "phút", "buổi", "h"}
_COUNT_UNITS = {"bản", "lần", "tuổi", "trang", "người", "bộ", "tờ", "việc", "cái"}
# A single spelled digit is a number only before a unit; "một" only before time/money units
# ("một người thân" is an article), "không" only in "không đồng", "tư"/"mốt"/"lăm" never alone.
_SINGLE_UNITS = _MONEY_UNITS | _TIME_UNITS | _COUNT_UNITS
_MOT_UNITS = _MONEY_UNITS | _TIME_UNITS
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+", re.UNICODE)
_THOUSANDS = re.compile(r"^\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*$")


def _digit_value(tok: str) -> float:
    if _THOUSANDS.match(tok):
        return float(re.sub(r"[.,]", "", tok))
    if re.fullmatch(r"\d+[.,]\d+", tok):
        return float(tok.replace(",", "."))
    return float(re.sub(r"[.,]", "", tok))


def _fmt(v: float) -> str:
    return str(int(v)) if v == int(v) else f"{v:g}"


def _below_1000(toks: Sequence[str], i: int) -> tuple[float, int] | None:
    """Parse a spelled number below 1000 starting at ``toks[i]``: (value, next index)."""
    n = len(toks)

    def digit(j: int, allowed: Iterable[str] = ("một", "hai", "ba", "bốn", "năm", "sáu", "bảy",
                                                 "bẩy", "tám", "chín")) -> int | None:
        return _DIGITS[toks[j]] if j < n and toks[j] in allowed else None

    value = 0.0
    j = i
    hundreds = digit(j)
    if hundreds is not None and j + 1 < n and toks[j + 1] == "trăm":
        value += hundreds * 100
        j += 2
        if j + 1 < n and toks[j] in ("linh", "lẻ") and digit(j + 1) is not None:
            return value + (digit(j + 1) or 0), j + 2
    elif j < n and toks[j] == "trăm":  # "trăm nghìn" = 100 000 in speech
        value += 100
        j += 1
    after_tens = ("một", "hai", "ba", "bốn", "lăm", "nhăm", "sáu", "bảy", "bẩy", "tám", "chín")
    if j < n and toks[j] == "mười":
        value += 10
        j += 1
        u = digit(j, after_tens)
        if u is not None:
            value += u
            j += 1
    else:
        t = digit(j, ("hai", "ba", "bốn", "năm", "sáu", "bảy", "bẩy", "tám", "chín"))
        if t is not None and j + 1 < n and toks[j + 1] in ("mươi", "chục"):
            value += t * 10
            j += 2
            u = digit(j, (*after_tens, "mốt", "tư"))
            if u is not None:
                value += u
                j += 1
        else:  # a lone digit, or the units after "trăm" ("hai trăm năm" is 200 years, not 205)
            u = digit(j) if j == i else digit(j, after_tens)
            if u is not None:
                value += u
                j += 1
    return (value, j) if j > i else None


def _parse_number(toks: Sequence[str], i: int) -> tuple[float, int] | None:
    """A number made of spelled words and/or digits with scales ("5 nghìn", "hai triệu rưỡi")."""
    total = 0.0
    j = i
    n = len(toks)
    while j < n:
        if toks[j][0].isdigit():
            if j > i:  # "năm 2025": the digit group is a separate number
                break
            part, k = _digit_value(toks[j]), j + 1
        else:
            parsed = _below_1000(toks, j)
            if parsed is None:
                break
            part, k = parsed
        if k < n and toks[k] in _SCALES:
            scale = _SCALES[toks[k]]
            k += 1
            if k < n and toks[k] == "rưỡi":
                part += 0.5
                k += 1
            total += part * scale
            j = k
            continue
        total += part
        j = k
        break
    return (total, j) if j > i else None


@dataclass(frozen=True, slots=True)
class NumberMention:
    value: str
    unit: str  # the word after the number ("" if none)


def numbers_mentioned(text: str) -> list[NumberMention]:
    """Numbers in ``text``, written with digits or spelled out in Vietnamese, with the next word."""
    toks = [t.lower() for t in _TOKEN.findall(unicodedata.normalize("NFC", text))]
    out: list[NumberMention] = []
    i = 0
    while i < len(toks):
        tok = toks[i]
        if tok == "không" and i + 1 < len(toks) and toks[i + 1] in ("đồng", "đ"):
            out.append(NumberMention("0", toks[i + 1]))
            i += 2
            continue
        if tok[0].isdigit() or tok in _DIGITS or tok in ("mười", "trăm"):
            parsed = _parse_number(toks, i)
            if parsed is not None:
                value, j = parsed
                unit = toks[j] if j < len(toks) else ""
                if unit not in _SINGLE_UNITS and toks[j - 1] in (*_SCALES, "rưỡi"):
                    unit = "nghìn"  # "năm nghìn", "1,5 triệu": money in practice
                words = j - i
                spelled_single = not tok[0].isdigit() and words == 1
                keep = True
                if spelled_single:
                    if tok == "không":
                        keep = unit in ("đồng", "đ")
                    elif tok in ("tư", "mốt", "lăm", "nhăm"):
                        keep = False
                    elif tok == "một":
                        keep = unit in _MOT_UNITS
                    elif tok == "năm":
                        keep = unit in _SINGLE_UNITS and unit != "năm"
                    elif tok == "trăm":
                        keep = False
                    else:
                        keep = unit in _SINGLE_UNITS
                if keep:
                    out.append(NumberMention(_fmt(value), unit))
                    i = j
                    continue
        i += 1
    return out


def category(unit: str) -> str:
    """The kind of amount a unit marks: "money", "time" or "other"."""
    return "money" if unit in _MONEY_UNITS else "time" if unit in _TIME_UNITS else "other"


def record_numbers(texts: Iterable[str]) -> dict[str, set[str]]:
    """value -> categories ("money", "time", "other") of the unit it is used with in the record."""
    out: dict[str, set[str]] = {}
    for t in texts:
        for m in numbers_mentioned(t):
            out.setdefault(m.value, set()).add(category(m.unit))
    return out
