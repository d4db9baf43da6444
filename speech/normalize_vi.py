"""Vietnamese text normalisation for speech: what a synthesiser should say for a written answer.

``normalize_for_speech(text)`` is pure (no I/O, no state) and idempotent. It rewrites what a
Vietnamese listener would otherwise hear spelled out or misread:

* numbers with the spoken rules: mười / mươi, mốt (21), tư (24), lăm (15, 25), linh (105),
  "không trăm" inside a larger number (2025 -> "hai nghìn không trăm hai mươi lăm"), "5.000" is
  five thousand (dot = thousands separator), "2,5" is "hai phẩy năm";
* money ("15.000 đ" -> "mười lăm nghìn đồng"), per-unit prices ("8.000 đ/bản" -> "... đồng một bản"),
  percentages, ranges ("3-5 ngày" -> "ba đến năm ngày"), dates ("01/7/2025"), times ("7h30"),
  ordinals ("thứ 2" -> "thứ hai", "thứ 4" -> "thứ tư", "thứ 1" -> "thứ nhất");
* phone numbers digit by digit in groups ("0912 345 678", "tổng đài 1022");
* legal references in a short form: "Nghị định 123/2015/NĐ-CP" -> "Nghị định một trăm hai mươi ba
  năm hai nghìn không trăm mười lăm" (the issuing-body code is not read);
* administrative abbreviations (UBND, CCCD, BHYT, VNeID, NLV, TTHC ...) and symbols (≤, ≥, %, /, &);
* URLs and e-mail addresses are never read aloud: "địa chỉ trên màn hình".

Northern (Hà Nội) forms are used: "nghìn" (not "ngàn"), "linh" (not "lẻ").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
_SCALES = ("", "nghìn", "triệu")
BILLION = 1_000_000_000

# ------------------------------------------------------------------------------------------------
# numbers


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


# ------------------------------------------------------------------------------------------------
# tables

# Whole-token abbreviations, case-sensitive. Order does not matter (matched as whole tokens).
ABBREVIATIONS: dict[str, str] = {
    "UBND": "Ủy ban nhân dân",
    "HĐND": "Hội đồng nhân dân",
    "UBTVQH": "Ủy ban thường vụ Quốc hội",
    "MTTQ": "Mặt trận Tổ quốc",
    "CCCD": "căn cước công dân",
    "CMND": "chứng minh nhân dân",
    "CMTND": "chứng minh nhân dân",
    "BHYT": "bảo hiểm y tế",
    "BHXH": "bảo hiểm xã hội",
    "BHTN": "bảo hiểm thất nghiệp",
    # the national identity app: officials and VTV read the letters "Vê en e ai đi"
    "VNeID": "vê en e ai đi",
    "VNEID": "vê en e ai đi",
    "NĐ-CP": "nghị định chính phủ",
    "NĐ": "nghị định",
    "QĐ": "quyết định",
    "NLV": "ngày làm việc",
    "TTHC": "thủ tục hành chính",
    "DVCQG": "dịch vụ công quốc gia",
    "DVC": "dịch vụ công",
    "PVHCC": "phục vụ hành chính công",
    "TTĐT": "thông tin điện tử",
    "CSDL": "cơ sở dữ liệu",
    "GCN": "giấy chứng nhận",
    "GKS": "giấy khai sinh",
    "QSDĐ": "quyền sử dụng đất",
    "GPLX": "giấy phép lái xe",
    "GPKD": "giấy phép kinh doanh",
    "HKD": "hộ kinh doanh",
    "THCS": "trung học cơ sở",
    "THPT": "trung học phổ thông",
    "SĐT": "số điện thoại",
    "ĐT": "điện thoại",
    "TP.HCM": "thành phố Hồ Chí Minh",
    "TPHCM": "thành phố Hồ Chí Minh",
    "HCM": "Hồ Chí Minh",
    "TP": "thành phố",
    "CN": "chủ nhật",
    "VNĐ": "đồng",
    "VND": "đồng",
    "vnđ": "đồng",
    "v.v.": "vân vân",
    "v.v": "vân vân",
    "vd": "ví dụ",
    "VD": "ví dụ",
    "Vd": "ví dụ",
    "ĐKKS": "đăng ký khai sinh",
    "km": "ki lô mét",
    "kg": "ki lô gam",
    "cm": "xăng ti mét",
    "m2": "mét vuông",
    "m²": "mét vuông",
    "Email": "thư điện tử",
    "email": "thư điện tử",
}

# Document type read in front of a bare legal code ("theo 123/2015/NĐ-CP").
_CODE_DOCTYPE = (("NĐ", "Nghị định"), ("TT", "Thông tư"), ("QĐ", "Quyết định"), ("NQ", "Nghị quyết"),
                 ("QH", "Luật"), ("CV", "Công văn"), ("CT", "Chỉ thị"))

# Letter names used to spell an unknown acronym ("CT01" -> "xê tê không một").
LETTER_NAMES: dict[str, str] = {
    "A": "a", "B": "bê", "C": "xê", "D": "dê", "Đ": "đê", "E": "e", "F": "ép", "G": "giê", "H": "hát",
    "I": "i", "J": "gi", "K": "ca", "L": "lờ", "M": "mờ", "N": "nờ", "O": "o", "P": "pê", "Q": "quy",
    "R": "rờ", "S": "ét", "T": "tê", "U": "u", "V": "vê", "W": "vê kép", "X": "ích", "Y": "i", "Z": "dét",
}

_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "X": 10,
          "XI": 11, "XII": 12, "XIII": 13, "XIV": 14, "XV": 15, "XVI": 16, "XVII": 17, "XVIII": 18,
          "XIX": 19, "XX": 20}

# Words after which a number is a phone number, read digit by digit.
_PHONE_CONTEXT = (r"tổng đài|đường dây nóng|đường dây|hotline|gọi(?: số| tới| đến| điện)?|số điện thoại"
                  r"|điện thoại|SĐT|ĐT|số máy|fax|zalo|nhắn tin(?: tới| đến)?")
# Units that make "3-5 <unit>" a range and "≥14 <unit>" read "từ ... trở lên".
_UNITS = (r"ngày|tháng|năm|tuần|giờ|phút|tuổi|lần|bản|trang|người|đồng|nghìn|triệu|tỷ|NLV|ngày làm việc"
          r"|bộ|hồ sơ|việc|km|kg|m2|mét|cm|%")
_DATE_CONTEXT = r"(?:ngày|từ|đến|tới|trước|sau|hết|kể từ|hạn|hôm)"
_FRACTION_CONTEXT = r"(?:giảm|bằng|còn|chiếm|thu|nộp|mức)"

_W = r"[^\W\d_]"  # a letter (Unicode), used in look-arounds
_NUM = r"\d{1,3}(?:\.\d{3})+|\d+"  # 1.000.000 or 15000

# ------------------------------------------------------------------------------------------------
# rules: each a (compiled pattern, replacement) applied in order


def _num(token: str) -> str:
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


def _phone(number: str) -> str:
    """Digits in the groups they were written in, separated by commas (short pauses)."""
    groups = [g for g in re.split(r"[\s.\-]+", number.strip()) if g]
    if len(groups) == 1 and len(groups[0]) >= 9:  # 0912345678 -> 0912 345 678
        g = groups[0]
        groups = [g[:4], g[4:7], g[7:]] if len(g) == 10 else [g[:3], g[3:6], g[6:]]
    return ", ".join(read_digits(g) for g in groups)


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


def _spell(m: re.Match[str]) -> str:
    token = m.group(0)
    out = [LETTER_NAMES.get(ch, "") if ch.isalpha() else DIGITS[int(ch)] for ch in token]
    return " ".join(w for w in out if w)


def _abbr(m: re.Match[str]) -> str:
    return ABBREVIATIONS[m.group(0)]


def _money_per(m: re.Match[str]) -> str:
    return f"{m.group('amount')} đồng một {m.group('unit')}"


_ABBR_RE = re.compile(
    r"(?<![\w.])(" + "|".join(re.escape(k) for k in sorted(ABBREVIATIONS, key=len, reverse=True))
    + r")(?![\w])")

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
     lambda m: m.group("ctx") + _phone(m.group("num"))),
    # mobile / landline / 1900-1800 numbers anywhere
    (re.compile(r"(?<![\d.,/])(?P<num>0\d{2,3}[ .]\d{3,4}[ .]\d{3,4}|0\d{9,10}"
                r"|1[89]00[ .]?\d{3,4}(?:[ .]\d{2,4})?)(?![\d.,/])"), lambda m: _phone(m.group("num"))),
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
    (re.compile(r"(?P<amount>" + _NUM + r")\s*(?:đồng|đ|VNĐ|VND)\s*/\s*(?P<unit>" + _W + r"+(?: hồ sơ)?)"),
     _money_per),
    # currency after a number: "15.000 đ", "5.000đ"
    (re.compile(r"(?P<amount>" + _NUM + r")\s*(?:đ|VNĐ|VND|vnđ)(?![\w])"),
     lambda m: f"{m.group('amount')} đồng"),
    (re.compile(r"đồng\s*/\s*(?P<unit>" + _W + r"+)"), lambda m: f"đồng một {m.group('unit')}"),
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
    (re.compile(r"(?P<n>\d+(?:,\d+)?)\s*%"), lambda m: f"{_num(m.group('n'))} phần trăm"),
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
    (_ABBR_RE, _abbr),
    # numbers glued to letters: "03NLV" is rare; "lần1" never. Split digits from a following word.
    # unknown acronyms with digits or 2-5 capitals: spell ("CT01" -> "xê tê không một")
    (re.compile(r"(?<![\w])[A-ZĐ]{1,4}\d{1,3}(?![\w])|(?<![\w.])[A-ZĐ]{2,4}(?![\w])"), _spell),
    # remaining numbers: "1.000.000", "2,5", "15000", "01"
    (re.compile(r"(?<![\w])(?:\d{1,3}(?:\.\d{3})+(?!\d)|\d+[,.]\d+|\d+)(?![\w])"),
     lambda m: _num(m.group(0))),
    (re.compile(r"(?<=\d)(?=" + _W + r")|(?<=" + _W + r")(?=\d)"), " "),  # "lần1" -> "lần 1" (second pass)
]

_BRACKETS = re.compile(r"\[[^\[\]]*\]")  # source markers "[S22]" never read (innermost first)
_DROP = re.compile(r"[*_#\"“”«»|•▪►●`\[\]{}]")
_QUOTE_MARK = re.compile(r"(?m)^\s*>+\s*")
_PARENS = re.compile(r"\s*[()]\s*")
_ELLIPSIS = re.compile(r"\s*(?:…|\.\.\.)")
_SLASH_WORDS = re.compile(r"(?<=" + _W + r")\s*/\s*(?=" + _W + r")")
_SPACES = re.compile(r"[ \t]+")
_PUNCT_SPACE = re.compile(r"\s+([,.;:!?])")
_DOUBLE_PUNCT = re.compile(r"([,;:])(?:\s*[,;:])+")
_COMMA_BEFORE_STOP = re.compile(r"[,;:]\s*([.!?])")
_STOP_BEFORE_COMMA = re.compile(r"([.!?])(?:\s*[,;:])+")
_LEADING_PUNCT = re.compile(r"^[\s,;:.]+")
_BULLET = re.compile(r"(?m)^\s*[-–—+]\s+")


def normalize_for_speech(text: str) -> str:
    """Rewrite written Vietnamese into the words a speaker says. Pure and idempotent."""
    if not text:
        return ""
    s = unicodedata.normalize("NFC", text).replace("\u00a0", " ").replace("\u202f", " ")
    s = _BULLET.sub("", s)
    while True:
        s, n = _BRACKETS.subn("", s)
        if not n:
            break
    s = _QUOTE_MARK.sub("", s)
    for pattern, repl in RULES[:-2]:
        s = pattern.sub(repl, s)
    s = RULES[-1][0].sub(RULES[-1][1], s)  # "lần1" -> "lần 1" ...
    s = RULES[-2][0].sub(RULES[-2][1], s)  # ... then read what is left
    s = _SLASH_WORDS.sub(" hoặc ", s)  # "cha/mẹ" -> "cha hoặc mẹ"
    s = _ELLIPSIS.sub(",", s)
    s = _DROP.sub(" ", s)
    s = _PARENS.sub(", ", s)
    s = s.replace("/", " ").replace("–", ", ").replace("—", ", ")
    s = re.sub(r"(?<=\s)-(?=\s)", ",", s)
    s = _SPACES.sub(" ", s)
    s = _PUNCT_SPACE.sub(r"\1", s)
    s = _DOUBLE_PUNCT.sub(r"\1", s)
    s = _COMMA_BEFORE_STOP.sub(r"\1", s)
    s = _STOP_BEFORE_COMMA.sub(r"\1", s)
    s = _LEADING_PUNCT.sub("", s)
    s = re.sub(r"[,;:]\s*$", "", s.strip())
    s = re.sub(r",(?=\S)", ", ", s)
    return "\n".join(line.strip() for line in s.splitlines() if line.strip())
