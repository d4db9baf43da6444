"""The ordered rewrite rules of Vietnamese speech normalisation: written forms -> spoken words.

``RULES``, a list of (compiled pattern, replacement) applied in order, and the
replacements for written forms: URLs and e-mail addresses, legal references ("Nghị định
123/2015/NĐ-CP"), phone numbers, dates, months, times, fractions, ranges, money and per-unit prices,
"≥" with units, ordinals, Roman chapter numbers, percentages, photo sizes and symbols. Number words
come from ``speech.text.vi_numbers``, abbreviations from ``speech.text.vi_abbreviations``; the order of the
list is part of the behaviour (the last two rules are applied by ``normalize_for_speech`` itself).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from speech.text.vi_abbreviations import ABBREVIATION_RE, expand_abbreviation, spell_acronym
from speech.text.vi_numbers import read_month, read_number, read_number_token, read_ordinal, read_phone

# Document type read in front of a bare legal code ("theo 123/2015/NĐ-CP").
_CODE_DOCTYPE = (("NĐ", "Nghị định"), ("TT", "Thông tư"), ("QĐ", "Quyết định"), ("NQ", "Nghị quyết"),
                 ("QH", "Luật"), ("CV", "Công văn"), ("CT", "Chỉ thị"))

_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "X": 10,
          "XI": 11, "XII": 12, "XIII": 13, "XIV": 14, "XV": 15, "XVI": 16, "XVII": 17, "XVIII": 18,
          "XIX": 19, "XX": 20}

# Words after which a number is a phone number, read digit by digit.
_PHONE_CONTEXT = (r"tổng đài|đường dây nóng|đường dây|hotline|gọi(?: số| tới| đến| điện)?|số điện thoại"
                  r"|điện thoại|SĐT|ĐT|số máy|fax|zalo|nhắn tin(?: tới| đến)?")
# Units that make "3-5 <unit>" a range and "≥14 <unit>" read "từ ... trở lên".
_UNITS = (r"ngày|tháng|năm|tuần|giờ|phút|tuổi|lần|bản|trang|người|đồng|nghìn|triệu|tỷ|NLV|ngày làm việc"
          r"|bộ|hồ sơ|việc|km|kg|m2|mét|cm|%")
_FRACTION_CONTEXT = r"(?:giảm|bằng|còn|chiếm|thu|nộp|mức)"

LETTER = r"[^\W\d_]"  # a letter (Unicode), used in look-arounds
_NUM = r"\d{1,3}(?:\.\d{3})+|\d+"  # 1.000.000 or 15000


def _date(day: str | None, month: str | None, year: str | None, *, say_day_word: bool = True) -> str:
    parts: list[str] = []
    if day:
        parts.append(("ngày " if say_day_word else "") + read_number(int(day)))
    if month:
        parts.append("tháng " + read_month(int(month)))
    if year:
        parts.append("năm " + read_number(int(year)))
    return " ".join(parts)


def _valid_dm(d: str, m: str) -> bool:
    return 1 <= int(d) <= 31 and 1 <= int(m) <= 12


Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str] | str]


_DOCTYPE_ABBR = {"NĐ": "nghị định", "TT": "thông tư", "QĐ": "quyết định", "NQ": "nghị quyết"}


def _doc_ref(m: re.Match[str]) -> str:
    doctype, so, number, year = m.group("doctype"), m.group("so") or "", m.group("n"), m.group("year")
    words = f"{_DOCTYPE_ABBR.get(doctype, doctype)} {so}{read_number(int(number))}"
    return words + (f" năm {read_number(int(year))}" if year else "")


def _bare_code(m: re.Match[str]) -> str:
    code = m.group("code").upper()
    doctype = next((name for prefix, name in _CODE_DOCTYPE if code.startswith(prefix)), None)
    lead = f"{doctype} " if doctype and not m.group("pre") else ""
    year = m.group("year")
    return (m.group("pre") or "") + lead + read_number(int(m.group("n"))) + (
        f" năm {read_number(int(year))}" if year else "")


def _url(_m: re.Match[str]) -> str:
    return "địa chỉ trên màn hình"


def _date_dmy(m: re.Match[str]) -> str:
    d, mo, y = m.group("d"), m.group("m"), m.group("y")
    if not _valid_dm(d, mo):
        return m.group(0)
    return (m.group("pre") or "") + _date(d, mo, y, say_day_word=not m.group("pre"))


def _date_dm(m: re.Match[str]) -> str:
    ctx, d, mo = m.group("ctx") or "", m.group("d"), m.group("m")
    if re.search(_FRACTION_CONTEXT + r"\s*$", ctx, re.IGNORECASE) or not _valid_dm(d, mo):
        return ctx + f"{read_number(int(d))} phần {read_number(int(mo))}"
    say_day = not re.search(r"\bngày\s*$", ctx, re.IGNORECASE)
    return ctx + _date(d, mo, None, say_day_word=say_day)


def _time(m: re.Match[str]) -> str:
    h, mi = int(m.group("h")), m.group("mi") or m.group("mi2")
    if h > 24 or (mi and int(mi) > 59):
        return m.group(0)
    words = f"{read_number(h)} giờ"
    if mi and int(mi):
        words += f" {read_number(int(mi))}" + (" phút" if mi.startswith("0") else "")
    return words


def _range(m: re.Match[str]) -> str:
    return f"{m.group('a')} đến {m.group('b')}"


def _ge(m: re.Match[str]) -> str:
    unit = m.group("unit")
    return f"từ {m.group('n')} {unit} trở lên" if unit else f"không dưới {m.group('n')}"


def _roman(m: re.Match[str]) -> str:
    return f"{m.group('w')} {read_number(_ROMAN[m.group('r')])}"


def _money_per(m: re.Match[str]) -> str:
    return f"{m.group('amount')} đồng một {m.group('unit')}"


RULES: list[Rule] = [
    # URLs and e-mail addresses: never read aloud
    (re.compile(r"\bhttps?://\S+|\bwww\.\S+|\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
                r"|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:gov\.vn|com\.vn|org\.vn|edu\.vn|vn|com|org|net|info)"
                r"(?:/\S*)?(?![\w])", re.IGNORECASE), _url),
    # legal documents: "Nghị định (số) 123/2015/NĐ-CP" -> "Nghị định (số) <123> năm <2015>"
    (re.compile(r"(?P<doctype>\b(?:Nghị định|Thông tư liên tịch|Thông tư|Quyết định|Nghị quyết|Luật"
                r"|Công văn|Chỉ thị|Pháp lệnh|Hướng dẫn|Mẫu|NĐ|TT|QĐ|NQ)) (?P<so>số )?(?P<n>\d+)"
                r"(?:/(?P<year>(?:19|20)\d\d))?"
                r"(?:/[\wĐđ]+(?:-[\wĐđ]+)*)?(?![\w/])", re.IGNORECASE), _doc_ref),
    # bare code: "theo 120/2025/NĐ-CP", "1656/NQ-UBTVQH15"
    (re.compile(r"(?P<pre>\b(?:số|Số) )?(?<![\w/])(?P<n>\d+)(?:/(?P<year>(?:19|20)\d\d))?"
                r"/(?P<code>[A-ZĐ]{2,}\d*(?:-[A-ZĐ]+\d*)*)(?![\w/])"), _bare_code),
    # phone numbers: after a phone word, any digit run (with spaces / dots) is read digit by digit
    (re.compile(r"(?P<ctx>\b(?:" + _PHONE_CONTEXT + r")\s*:?\s*(?:số\s+)?)(?P<num>\d[\d .\-]{1,16}\d)(?!\d)",
                re.IGNORECASE),
     lambda m: m.group("ctx") + read_phone(m.group("num"))),
    # mobile / landline / 1900-1800 numbers anywhere
    (re.compile(r"(?<![\d.,/])(?P<num>0\d{2,3}[ .]\d{3,4}[ .]\d{3,4}|0\d{9,10}"
                r"|1[89]00[ .]?\d{3,4}(?:[ .]\d{2,4})?)(?![\d.,/])"), lambda m: read_phone(m.group("num"))),
    # dates with a year: 01/7/2025, 1-7-2025, 01.07.2025
    (re.compile(r"(?P<pre>\bngày\s+)?(?<!\d)(?P<d>\d{1,2})([/.-])(?P<m>\d{1,2})\3(?P<y>\d{4})(?!\d)",
                re.IGNORECASE), _date_dmy),
    # month/year: "7/2025" -> "tháng bảy năm ..."
    (re.compile(r"(?P<pre>\btháng\s+)?(?<![\d/])(?P<m>\d{1,2})/(?P<y>(?:19|20)\d\d)(?![\d/])", re.IGNORECASE),
     lambda m: _date(None, m.group("m"), m.group("y")) if 1 <= int(m.group("m")) <= 12 else m.group(0)),
    # document number/year without a code: "87/2020" -> "tám mươi bảy năm hai nghìn không trăm hai mươi"
    (re.compile(r"(?<![\d/.,])(?P<n>\d{2,4})/(?P<y>(?:19|20)\d\d)(?![\d/])"),
     lambda m: f"{read_number(int(m.group('n')))} năm {read_number(int(m.group('y')))}"),
    # round-the-clock: "24/7", "24/24"
    (re.compile(r"(?<![\d/])24/(7|24)(?![\d/])"),
     lambda m: f"hai mươi tư trên {read_number(int(m.group(1)))}"),
    # ranges of times: "7h30-11h30", "8h - 17h"
    (re.compile(r"(?<![\w])(?P<a>\d{1,2}(?:h\d{0,2}|:\d{2}| ?giờ))\s*[-–—]\s*"
                r"(?P<b>\d{1,2}(?:h\d{0,2}|:\d{2}| ?giờ))(?![\w])"), _range),
    # times: 7h30, 7h, 7:30, 17g
    (re.compile(r"(?<![\w:])(?P<h>\d{1,2})(?:h(?P<mi>\d{2})?|:(?P<mi2>\d{2}))(?![\w:])"), _time),
    (re.compile(r"(?<![\w])(?P<h>\d{1,2}) giờ (?P<mi>\d{1,2}) phút"),
     lambda m: f"{read_number(int(m.group('h')))} giờ {read_number(int(m.group('mi')))} phút"),
    # day/month: "từ 1/7", "ngày 01/7"; fractions "giảm 1/2"
    (re.compile(r"(?P<ctx>(?:\b\w+\s+)?)(?<![\d/])(?P<d>\d{1,2})/(?P<m>\d{1,2})(?![\d/])"), _date_dm),
    # remaining number/number: amounts are alternatives, small numbers a fraction or a scale
    (re.compile(r"(?<![\w/.,])(?P<a>" + _NUM + r")\s*/\s*(?P<b>" + _NUM + r")(?![\w/])"),
     lambda m: f"{m.group('a')} hoặc {m.group('b')}" if "." in m.group(0) or int(m.group("a")) >= 1000
     else f"{m.group('a')} phần {m.group('b')}"),
    # "≥14 tuổi" -> "từ mười bốn tuổi trở lên"
    (re.compile(r"[≥](?:\s*)(?P<n>" + _NUM + r")(?:\s+(?P<unit>" + _UNITS + r"))?"), _ge),
    # money per unit: "8.000 đ/bản", "50.000 đồng/lần"
    (re.compile(r"(?P<amount>" + _NUM + r")\s*(?:đồng|đ|VNĐ|VND)\s*/\s*(?P<unit>" + LETTER
                + r"+(?: hồ sơ)?)"), _money_per),
    # currency after a number: "15.000 đ", "5.000đ"
    (re.compile(r"(?P<amount>" + _NUM + r")\s*(?:đ|VNĐ|VND|vnđ)(?![\w])"),
     lambda m: f"{m.group('amount')} đồng"),
    (re.compile(r"đồng\s*/\s*(?P<unit>" + LETTER + r"+)"), lambda m: f"đồng một {m.group('unit')}"),
    # weekdays written T2..T7 -> "thứ 2" (read as an ordinal below)
    (re.compile(r"(?<![\w])T([2-7])(?![\w])"), r"thứ \1"),
    # ranges: "3-5 ngày", "từ 3 - 5", "thứ 2 - thứ 6", "2020-2025"
    (re.compile(r"(?<![\w/.,])(?P<a>" + _NUM + r")\s*[-–—]\s*(?P<b>" + _NUM + r")(?![\w/])"), _range),
    (re.compile(r"(?P<a>\bthứ\s+\d{1,2})\s*[-–—]\s*(?P<b>thứ\s+\d{1,2}|chủ nhật|CN)\b", re.IGNORECASE),
     _range),
    # ordinals: "thứ 2" -> "thứ hai", "thứ 4" -> "thứ tư", "thứ 1" -> "thứ nhất"
    (re.compile(r"\b(?P<w>[Tt]hứ)\s+(?P<n>\d{1,3})(?!\d|[.,]\d)"),
     lambda m: f"{m.group('w')} {read_ordinal(int(m.group('n')))}"),
    # roman numerals after chapter words: "Chương II" -> "Chương hai"
    (re.compile(r"\b(?P<w>[Cc]hương|[Mm]ục|[Pp]hần|[Pp]hụ lục|[Đđ]ợt|[Qq]uý)\s+(?P<r>" +
                "|".join(sorted(_ROMAN, key=len, reverse=True)) + r")\b"), _roman),
    # ward / district with a number: "P.5", "Q.1"
    (re.compile(r"(?<![\w.])([PQ])\.\s?(?=\d)"), lambda m: "phường " if m.group(1) == "P" else "quận "),
    # percentages
    (re.compile(r"(?P<n>\d+(?:,\d+)?)\s*%"), lambda m: f"{read_number_token(m.group('n'))} phần trăm"),
    # photo sizes "3x4", "4 x 6"
    (re.compile(r"(?<![\w])(?P<a>\d{1,2})\s*[x×]\s*(?P<b>\d{1,2})(?:\s*cm)?(?![\w])"),
     lambda m: f"{read_number(int(m.group('a')))} nhân {read_number(int(m.group('b')))}"),
    # symbols
    (re.compile(r"\s*≤\s*"), " không quá "),
    (re.compile(r"\s*<\s*(?=\d)"), " dưới "),
    (re.compile(r"\s*>\s*(?=\d)"), " trên "),
    (re.compile(r"\s*~\s*(?=\d)"), " khoảng "),
    (re.compile(r"\s*&\s*"), " và "),
    (re.compile(r"(?<=\d)\s*\+\s*(?=\d)"), " cộng "),
    (re.compile(r"\s+\+\s+"), " và "),
    (re.compile(r"[→⇒]"), ", "),
    (re.compile(r"#\s*(?=\d)"), "số "),
    # abbreviations (whole tokens)
    (re.compile(r"(?<![\w.])TP\.\s*(?=[A-ZĐ])"), "thành phố "),
    (ABBREVIATION_RE, expand_abbreviation),
    # numbers glued to letters: "03NLV" is rare; "lần1" never. Split digits from a following word.
    # unknown acronyms with digits or 2-5 capitals: spell ("CT01" -> "xê tê không một")
    (re.compile(r"(?<![\w])[A-ZĐ]{1,4}\d{1,3}(?![\w])|(?<![\w.])[A-ZĐ]{2,4}(?![\w])"), spell_acronym),
    # remaining numbers: "1.000.000", "2,5", "15000", "01"
    (re.compile(r"(?<![\w])(?:\d{1,3}(?:\.\d{3})+(?!\d)|\d+[,.]\d+|\d+)(?![\w])"),
     lambda m: read_number_token(m.group(0))),
    # "lần1" -> "lần 1" (second pass)
    (re.compile(r"(?<=\d)(?=" + LETTER + r")|(?<=" + LETTER + r")(?=\d)"), " "),
]
