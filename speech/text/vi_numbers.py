"""Reading Vietnamese numbers aloud: the spoken forms a synthesiser cannot guess.

The number words: cardinals with the spoken rules (mười / mươi, mốt, tư, lăm, linh,
"không trăm" inside a larger number), digit-by-digit reading (codes, phone numbers in their written
groups), decimals ("hai phẩy năm"), ordinals after "thứ", months after "tháng", and
``read_number_token`` for a number as written in Vietnamese (thousands dots, decimal comma, leading
zeros). Pure functions, Northern (Hà Nội) forms: "nghìn", "linh".
"""

from __future__ import annotations

import re

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
_SCALES = ("", "nghìn", "triệu")
BILLION = 1_000_000_000


def _read_group(n: int, *, full: bool) -> list[str]:
    """Read 0..999. ``full``: a higher group precedes, so hundreds and "linh" are always said."""
    hundreds, tens, units = n // 100, n // 10 % 10, n % 10
    words: list[str] = []
    if hundreds or full:
        words += [DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units:
            if words:
                words.append("linh")
            words.append(DIGITS[units])
    elif tens == 1:
        words.append("mười")
        if units:
            words.append("lăm" if units == 5 else DIGITS[units])
    else:
        words += [DIGITS[tens], "mươi"]
        if units:
            words.append({1: "mốt", 4: "tư", 5: "lăm"}.get(units, DIGITS[units]))
    return words


def read_number(n: int) -> str:
    """Spoken Vietnamese for a non-negative integer: 105 -> "một trăm linh năm"."""
    if n < 0:
        return "âm " + read_number(-n)
    if n == 0:
        return DIGITS[0]
    if n >= BILLION:
        high, rest = divmod(n, BILLION)
        words = read_number(high) + " tỷ"
        return words + (" " + _read_below_billion(rest, full=True) if rest else "")
    return _read_below_billion(n, full=False)


def _read_below_billion(n: int, *, full: bool) -> str:
    groups = [n // 1_000_000, n // 1000 % 1000, n % 1000]
    words: list[str] = []
    for g, scale in zip(groups, reversed(_SCALES), strict=True):
        if g == 0:
            continue
        words += _read_group(g, full=full or bool(words))
        if scale:
            words.append(scale)
    return " ".join(words)


def read_digits(digits: str) -> str:
    """Digit by digit: "1022" -> "một không hai hai"."""
    return " ".join(DIGITS[int(d)] for d in digits if d.isdigit())


def read_decimal(integer: str, fraction: str) -> str:
    """ "2,5" -> "hai phẩy năm"; "0,05" -> "không phẩy không năm"."""
    head = read_number(int(integer))
    zeros = len(fraction) - len(fraction.lstrip("0"))
    tail = [DIGITS[0]] * zeros
    if fraction.lstrip("0"):
        tail.append(read_number(int(fraction.lstrip("0"))))
    return f"{head} phẩy {' '.join(tail)}"


def read_ordinal(n: int) -> str:
    """After "thứ": 1 -> "nhất", 4 -> "tư", others as cardinals."""
    return {1: "nhất", 4: "tư"}.get(n, read_number(n))


def read_month(n: int) -> str:
    """After "tháng": April is "tháng tư"."""
    return "tư" if n == 4 else read_number(n)


def read_number_token(token: str) -> str:
    """A number token as written: thousands dots, decimal comma, leading zeros (codes)."""
    token = token.strip()
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", token):
        return read_number(int(token.replace(".", "")))
    m = re.fullmatch(r"(\d+)[,.](\d+)", token)
    if m:
        return read_decimal(m.group(1), m.group(2))
    digits = token.replace(".", "")
    if len(digits) >= 3 and digits.startswith("0"):
        return read_digits(digits)  # codes: "001203012345"
    if len(digits) >= 10:  # ids, never amounts (amounts are written with thousands dots)
        return ", ".join(read_digits(digits[i:i + 3]) for i in range(0, len(digits), 3))
    return read_number(int(digits))


def read_phone(number: str) -> str:
    """Digits in the groups they were written in, separated by commas (short pauses)."""
    groups = [g for g in re.split(r"[\s.\-]+", number.strip()) if g]
    if len(groups) == 1 and len(groups[0]) >= 9:  # 0912345678 -> 0912 345 678
        g = groups[0]
        groups = [g[:4], g[4:7], g[7:]] if len(g) == 10 else [g[:3], g[3:6], g[6:]]
    return ", ".join(read_digits(g) for g in groups)
