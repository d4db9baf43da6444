"""The numbers a sentence states, as values: digits, grouped digits, and numbers spoken in words.

``numbers_stated(text)`` returns every reading of ``text``'s numbers (a set of frozensets of
``Decimal``): "Đổi thẻ là năm mươi nghìn đồng" → {{50000}}, "200.000 đồng" → {{200000}},
"two hundred thousand dong" → {{200000}}. The bundle lint uses it to check that a fact's spoken
``say``/``say_en`` form states no number its ``text``/``text_en`` lacks (``unsupported_numbers``).

Words that are numbers only sometimes get more than one reading, and a say-form passes when ANY
reading fits, so ordinary wording is never refused while a spoken amount always counts:

* "năm" is five or "year": "năm 2014", "hai năm" (two years), "hằng năm" are not fives; "năm ngày",
  "năm mươi", "năm trăm" are;
* "một" is one or "a/per": "một số", "8.000 đồng một bản" are not ones; "một ngày" (after no
  amount), "một triệu", "hai mươi một" are;
* "không" is zero or "not": only "không trăm", "không phẩy", "không đồng" and digit-by-digit
  readings ("một không hai hai" = 1022) are zeros;
* "tư" (four, or "private" in "tư pháp"), "ba" ("ba mẹ"), "mốt", "lăm", "linh", "lẻ" likewise, and
  "hai bên" / "cả hai" (both) are not counts.

Digit words in a row are also read as one digit string ("không chín một hai" = 0912), and an
amount said colloquially ("hai nghìn rưỡi" = 2500, "ba triệu hai" = 3,200,000) as its value.
Written numbers: "200.000" / "200,000" / "200 000" = 200000, "0,5" = 0.5, "01/01/2026" = 1, 1, 2026,
"15:00" = 15. Full-width and other Unicode digits count as digits (NFKC first).
Pure; Vietnamese in Northern and Southern forms (nghìn/ngàn, linh/lẻ, tỷ/tỉ), English cardinals.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from functools import cache

Reading = frozenset[Decimal]

VI_DIGITS: dict[str, int] = {"không": 0, "một": 1, "hai": 2, "ba": 3, "bốn": 4, "tư": 4, "năm": 5, "sáu": 6,
                             "bảy": 7, "bẩy": 7, "tám": 8, "chín": 9}
_AFTER_TENS = {"mốt": 1, "lăm": 5, "nhăm": 5}  # only after mười/mươi: 21 = hai mươi mốt, 15 = mười lăm
VI_SCALES: dict[str, int] = {"nghìn": 1000, "ngàn": 1000, "triệu": 1_000_000, "tỷ": 1_000_000_000,
                             "tỉ": 1_000_000_000}
VI_WORDS = frozenset({*VI_DIGITS, *_AFTER_TENS, *VI_SCALES, "mười", "mươi", "trăm", "linh", "lẻ", "chục",
                      "rưỡi", "phẩy"})
# a word before these is a number: "năm ngày" (five days), "một triệu"
_UNITS = frozenset({"ngày", "tuần", "tháng", "năm", "giờ", "phút", "tuổi", "đồng", "lần", "bản", "bộ",
                    "trang", "người", "việc", "tiếng", "buổi", "km", "mét", "vnd", "vnđ", "đ"})
_TIME_MONEY = frozenset({"ngày", "tuần", "tháng", "năm", "giờ", "phút", "tuổi", "đồng", "tiếng"})
# continuing a number: a word right before one of these is part of the number, never a plain word
_JOINERS = frozenset({"mươi", "trăm", "chục", "phẩy", "rưỡi", "linh", "lẻ", *VI_SCALES})
_VAGUE_BEFORE = frozenset({"hàng", "vài", "mấy", "dăm", "phần", "bao", "mươi"})  # "hàng trăm", "phần trăm"
_NUMBER_TOKEN = re.compile(r"\d+(?:[.,:/ ]\d+)*")

EN_ONES: dict[str, int] = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
EN_TENS: dict[str, int] = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
                           "eighty": 80, "ninety": 90}
EN_SCALES: dict[str, int] = {"thousand": 1000, "million": 1_000_000, "billion": 1_000_000_000}
EN_WORDS = frozenset({*EN_ONES, *EN_TENS, *EN_SCALES, "hundred"})

MAX_RUN = 14  # number words in a row read as numbers; longer runs are read in pieces of this size
_MAX_READINGS = 64


def _tokens(text: str) -> list[str]:
    """Words and written numbers, lower case; punctuation other than inside numbers splits runs."""
    text = unicodedata.normalize("NFKC", text).casefold()
    out: list[str] = []
    for m in re.finditer(r"\d+(?:[.,:/]\d+)*(?: \d{3}(?!\d))*|[^\W\d_]+|[^\s\w]", text):
        out.append(m.group(0))
    return out


# ---- written numbers ------------------------------------------------------------------------------
def written_values(token: str) -> list[Decimal]:
    """A written number: "200.000" → [200000]; "0,5" → [0.5]; "01/01/2026" → [1, 1, 2026]; "15:00" → [15]."""
    if ":" in token:  # a time: 15:00 is 15 o'clock, 15:30 also states 30
        parts = token.split(":")
        return [Decimal(int(p)) for i, p in enumerate(parts) if p.isdigit() and (i == 0 or int(p))]
    if "/" in token:
        return [v for part in token.split("/") for v in written_values(part)]
    if re.fullmatch(r"\d{1,3}(?:([., ])\d{3})(?:\1\d{3})*", token):
        return [Decimal(re.sub(r"[., ]", "", token))]
    if re.fullmatch(r"\d+[.,]\d+", token):
        return [Decimal(token.replace(",", "."))]
    if " " in token:
        return [v for part in token.split(" ") for v in written_values(part)]
    if token.isdigit():
        return [Decimal(int(token))]
    return [v for part in re.split(r"[.,]", token) if part for v in written_values(part)]


# ---- Vietnamese words ------------------------------------------------------------------------------
def _vi_group(t: Sequence[str]) -> int | None:
    """0..999 from words: "năm trăm linh năm" 505, "hai mươi mốt" 21, "trăm rưỡi" 150, "mười lăm" 15."""
    if not t:
        return None
    if "trăm" in t:
        i = t.index("trăm")
        if i > 1 or (i == 1 and t[0] not in VI_DIGITS):
            return None
        head = VI_DIGITS[t[0]] if i == 1 else 1
        rest = list(t[i + 1:])
        if not rest:
            return head * 100
        if rest == ["rưỡi"]:
            return head * 100 + 50
        if len(rest) == 2 and rest[0] in ("linh", "lẻ") and rest[1] in VI_DIGITS and VI_DIGITS[rest[1]]:
            return head * 100 + VI_DIGITS[rest[1]]
        if len(rest) == 1 and rest[0] in VI_DIGITS and VI_DIGITS[rest[0]]:  # "trăm hai" = 120
            return head * 100 + VI_DIGITS[rest[0]] * 10
        tens = _vi_tens(rest)
        return None if tens is None or tens < 10 else head * 100 + tens
    return _vi_tens(t)


def _vi_tens(t: Sequence[str]) -> int | None:
    if len(t) == 1:
        return VI_DIGITS.get(t[0], 10 if t[0] == "mười" else None)
    if t[0] == "mười" and len(t) == 2:
        u = _AFTER_TENS.get(t[1]) if t[1] == "lăm" else VI_DIGITS.get(t[1])
        return None if u is None or u == 0 or t[1] == "năm" else 10 + u
    if len(t) in (2, 3) and t[0] in VI_DIGITS and VI_DIGITS[t[0]] >= 1 and t[1] in ("mươi", "chục"):
        if t[1] == "mươi" and VI_DIGITS[t[0]] == 1:
            return None
        if len(t) == 2:
            return VI_DIGITS[t[0]] * 10
        u = _AFTER_TENS.get(t[2], VI_DIGITS.get(t[2]) if t[2] != "năm" else None)
        return None if not u else VI_DIGITS[t[0]] * 10 + u
    return None


def vi_value(t: Sequence[str]) -> Decimal | None:
    """The value of a whole run of Vietnamese number words, or None when it is not one number."""
    if not t:
        return None
    if "phẩy" in t:
        i = t.index("phẩy")
        head, tail = vi_value(t[:i]), t[i + 1:]
        if head is None or not tail or any(w not in VI_DIGITS for w in tail):
            frac = vi_value(tail) if head is not None and tail else None
            return None if frac is None or head is None else Decimal(f"{head}.{int(frac)}")
        return Decimal(f"{head}." + "".join(str(VI_DIGITS[w]) for w in tail))
    for word, scale in sorted(VI_SCALES.items(), key=lambda kv: -kv[1]):
        if word not in t:
            continue
        i = len(t) - 1 - t[::-1].index(word)
        left, right = t[:i], t[i + 1:]
        high = vi_value(left) if left else Decimal(1)
        if high is None or high == 0:
            return None
        if not right:
            return high * scale
        if right == ["rưỡi"]:
            return high * scale + scale // 2
        if len(right) == 1 and right[0] in VI_DIGITS and VI_DIGITS[right[0]] and left:  # "ba triệu hai"
            return high * scale + VI_DIGITS[right[0]] * scale // 10
        if any(w in VI_SCALES and VI_SCALES[w] >= scale for w in right):
            return None
        low = vi_value(right)
        return None if low is None or low >= scale else high * scale + low
    g = _vi_group(t)
    return None if g is None else Decimal(g)


def _digit_string(t: Sequence[str]) -> Decimal | None:
    """ "một không hai hai" read digit by digit: 1022 (phone numbers, hotlines, codes)."""
    if len(t) < 2 or any(w not in VI_DIGITS for w in t):
        return None
    return Decimal("".join(str(VI_DIGITS[w]) for w in t))


def _may_be_plain_word(words: Sequence[str], i: int) -> bool:
    """May ``words[i]`` (a number word) be an ordinary word here ("năm" = year, "một" = a)?"""
    w = words[i]
    prev = words[i - 1] if i else ""
    nxt = words[i + 1] if i + 1 < len(words) else ""
    if nxt in _JOINERS and w != "lẻ":
        return False
    if w == "năm":
        if prev in ("linh", "lẻ", "phẩy"):
            return False
        return nxt not in _UNITS or prev in VI_WORDS or _NUMBER_TOKEN.fullmatch(prev) is not None
    if prev in ("mươi", "mười", "linh", "lẻ", "phẩy"):
        return False
    if w == "một":  # "một ngày" is a day, but "5.000 đồng một ngày" is per day
        return (nxt not in _TIME_MONEY or prev in _UNITS) and nxt not in VI_DIGITS
    if w == "không":
        if nxt == "đồng":
            return False
        return not (prev in VI_DIGITS and nxt in VI_DIGITS)
    if w == "hai" and (nxt == "bên" or prev == "cả"):  # "hai bên", "cả hai": both, not a count
        return True
    if w == "ba":
        return nxt in ("mẹ", "má")
    if w == "tư":
        return prev not in ("tháng", "thứ", "ngày")
    if w in ("mốt", "lăm", "nhăm", "linh", "lẻ", "rưỡi", "chục", "phẩy", "mươi"):
        return True
    if w in ("trăm", *VI_SCALES):
        return prev in _VAGUE_BEFORE
    return False


def _read_run(words: Sequence[str], start: int, end: int) -> set[Reading]:
    """Every reading of the number words ``words[start:end]`` (context: the words around them)."""

    @cache
    def from_(i: int) -> frozenset[Reading]:
        if i == end:
            return frozenset({frozenset()})
        out: set[Reading] = set()
        if _may_be_plain_word(words, i):
            out |= from_(i + 1)
        for j in range(i + 1, end + 1):
            if j < end and not _may_split(words, j):
                continue
            piece = words[i:j]
            whole = i == start and j == end  # digit by digit: the whole run ("một không hai hai")
            values = [v for v in (vi_value(piece), _digit_string(piece) if whole else None) if v is not None]
            for v in values:
                out |= {r | {v} for r in from_(j)}
            if len(out) > _MAX_READINGS:
                break
        return frozenset(out)

    readings = set(from_(start))
    if not readings:  # not readable as numbers: every word counts on its own (never less strict)
        readings = {frozenset(Decimal(_WORD_VALUE[w]) for w in words[start:end] if w in _WORD_VALUE)}
    return readings


_WORD_VALUE: dict[str, int] = {**VI_DIGITS, **_AFTER_TENS, **VI_SCALES, "mười": 10, "trăm": 100}


def _may_split(words: Sequence[str], j: int) -> bool:
    """May one number end before ``words[j]``? Not inside "hai trăm | nghìn", "mười | lăm",
    "một trăm linh | năm", "hai mươi | mốt"; yes in "hai mươi | năm" (twenty years)."""
    w, prev = words[j], words[j - 1]
    if w in _JOINERS or w in _AFTER_TENS or prev in ("linh", "lẻ", "phẩy"):
        return False
    return not (prev == "mươi" and w in VI_DIGITS and w != "năm")


# ---- English words --------------------------------------------------------------------------------
def en_value(t: Sequence[str]) -> Decimal | None:
    """ "two hundred thousand" → 200000; "twenty-five" arrives as ["twenty", "five"] → 25."""
    total, group, last = 0, 0, ""
    for w in t:
        if w in EN_ONES:
            if last in EN_ONES or (last in EN_TENS and not 0 < EN_ONES[w] < 10):
                return None
            group += EN_ONES[w]
        elif w in EN_TENS:
            if group % 100:
                return None
            group += EN_TENS[w]
        elif w == "hundred":
            if last == "hundred" or group >= 100:
                return None
            group = (group or 1) * 100
        elif w in EN_SCALES:
            if last in EN_SCALES:
                return None
            total += (group or 1) * EN_SCALES[w]
            group = 0
        else:
            return None
        last = w
    return Decimal(total + group) if last else None


_EN_UNITS = frozenset({"day", "days", "week", "weeks", "month", "months", "year", "years", "hour", "hours",
                       "dong", "vnd", "copy", "copies", "page", "pages", "time", "times"})


def _en_readings(piece: Sequence[str], nxt: str) -> set[Reading]:
    """English runs ("and" and hyphens removed): one number, else each word on its own ("two or
    three days"); "one" may also be the pronoun ("one of", "only one") unless a unit follows."""
    value = en_value(piece)
    if value is not None:
        readings = {frozenset({value})}
    else:
        readings = {frozenset(v for v in (en_value([w]) for w in piece) if v is not None)}
    if list(piece) == ["one"] and nxt not in _EN_UNITS:
        readings.add(frozenset())
    return readings


# ---- whole sentences --------------------------------------------------------------------------------
def numbers_stated(text: str) -> set[Reading]:
    """Every reading of the numbers ``text`` states (one set per reading; usually just one)."""
    words = _tokens(text)
    parts: list[set[Reading]] = []
    i = 0
    while i < len(words):
        w = words[i]
        if _NUMBER_TOKEN.fullmatch(w):
            parts.append({frozenset(written_values(w))})
            i += 1
            continue
        vocab = VI_WORDS if w in VI_WORDS else EN_WORDS if w in EN_WORDS else None
        if vocab is None:
            i += 1
            continue
        j = i
        while j < len(words) and j - i < MAX_RUN and (
                words[j] in vocab or (vocab is EN_WORDS and words[j] in ("and", "-") and j > i)):
            j += 1
        if vocab is VI_WORDS:
            parts.append(_read_run(words, i, j))
        else:
            clean = [x for x in words[i:j] if x not in ("-", "and")]
            parts.append(_en_readings(clean, words[j] if j < len(words) else "") if clean else {frozenset()})
        i = j
    readings: set[Reading] = {frozenset()}
    for options in parts:
        readings = {r | o for r, o in itertools.product(readings, options)}
        if len(readings) > _MAX_READINGS:  # keep the smallest readings: the most lenient ones
            readings = set(sorted(readings, key=len)[:_MAX_READINGS])
    return readings


FREE_WORDS = ("miễn", "không thu", "không mất", "không phải nộp", "không phải đóng", "không phải trả",
              "không có lệ phí", "không có phí", "free", "no fee", "no charge")


def values_in(texts: Iterable[str]) -> set[Decimal]:
    """Every number any reading of ``texts`` states (what a spoken form may use); "free" wording
    counts as 0, so "không đồng" may say "miễn lệ phí"."""
    out: set[Decimal] = set()
    for text in texts:
        for reading in numbers_stated(text):
            out |= reading
        if any(w in unicodedata.normalize("NFC", text).casefold() for w in FREE_WORDS):
            out.add(Decimal(0))
    return out


def unsupported_numbers(spoken: str, texts: Iterable[str]) -> list[Decimal]:
    """The numbers ``spoken`` states that ``texts`` do not, [] when every number is backed. With
    several readings, the one needing the fewest unbacked numbers is reported (empty if any fits)."""
    allowed = values_in(texts)
    best: list[Decimal] | None = None
    for reading in numbers_stated(spoken):
        extra = sorted(v for v in reading if v not in allowed)
        if best is None or len(extra) < len(best):
            best = extra
        if not extra:
            return []
    return best or []


def format_number(v: Decimal) -> str:
    """200000 → "200,000"; 0.5 → "0.5" (for messages)."""
    try:
        if v == v.to_integral_value():
            return f"{int(v):,}"
    except InvalidOperation:
        pass
    return str(v.normalize())
