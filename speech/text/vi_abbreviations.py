"""Administrative abbreviations and acronyms, as a Vietnamese listener expects to hear them.

The whole-token abbreviation table (UBND, CCCD, BHYT, VNeID, NLV, TTHC ...), the
letter names used to spell an unknown acronym ("CT01" -> "xê tê không một"), and the two
replacements the rewrite rules use for them: ``expand_abbreviation`` (with ``ABBREVIATION_RE``, which
matches any table key as a whole token, longest first) and ``spell_acronym``.
"""

from __future__ import annotations

import re

from speech.text.vi_numbers import DIGITS

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

# Letter names used to spell an unknown acronym ("CT01" -> "xê tê không một").
LETTER_NAMES: dict[str, str] = {
    "A": "a", "B": "bê", "C": "xê", "D": "dê", "Đ": "đê", "E": "e", "F": "ép", "G": "giê", "H": "hát",
    "I": "i", "J": "gi", "K": "ca", "L": "lờ", "M": "mờ", "N": "nờ", "O": "o", "P": "pê", "Q": "quy",
    "R": "rờ", "S": "ét", "T": "tê", "U": "u", "V": "vê", "W": "vê kép", "X": "ích", "Y": "i", "Z": "dét",
}


def spell_acronym(m: re.Match[str]) -> str:
    token = m.group(0)
    out = [LETTER_NAMES.get(ch, "") if ch.isalpha() else DIGITS[int(ch)] for ch in token]
    return " ".join(w for w in out if w)


def expand_abbreviation(m: re.Match[str]) -> str:
    return ABBREVIATIONS[m.group(0)]


ABBREVIATION_RE = re.compile(
    r"(?<![\w.])(" + "|".join(re.escape(k) for k in sorted(ABBREVIATIONS, key=len, reverse=True))
    + r")(?![\w])")
