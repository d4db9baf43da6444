"""What kinds of value a fact unit states, read from its own text. Pure: no I/O.

The learned fact ranker (``knowledge.answer.learned``) pairs the words of a question with these
descriptions of a unit, so "hạn là mấy ngày" can learn to prefer a unit that states a duration
counted from an event (a deadline) over one that states working days (a processing time), without
a rule that names the question's wording. A unit is described by

* its field (``f:summary``, ``f:processing_time``, ``f:fee/details``…),
* the kinds of value its text states (``k:deadline``: a duration counted from an event;
  ``k:workdays``; ``k:validity``; ``k:age``; ``k:money``; ``k:free``; ``k:form``: a form code;
  ``k:weekday`` / ``k:clock``; ``k:ward`` / ``k:police`` / ``k:insurance``: an office; ``k:url``;
  ``k:mail``; ``k:proxy``: someone going on another's behalf; ``k:presence``…),
* the measures it counts (``m:ngay``, ``m:thang``, ``m:dong``, ``m:ban``… from ``rank.measures``),
* ``say``: a curated spoken form (or a one-sentence fact), ``sent``: one sentence of a longer text.

Vietnamese units are read from their Vietnamese text, English units (``…@en``) from their English
text, with patterns that name the same kinds.
"""

from __future__ import annotations

import re

from knowledge.answer.facts import FactUnit
from knowledge.understand.normalize import fold_diacritics, normalize_vi

# Vietnamese patterns run on the unit's text normalised (no punctuation: "5.000" → "5000",
# ".gov.vn" → "gov vn") and folded ("kể từ" → "ke tu"); English ones on the lower-cased text.
_VI: dict[str, str] = {
    "deadline": r"ke tu (?:ngay|khi)|trong (?:vong )?\d+ (?:ngay|thang)(?! lam viec)|cham nhat|"
                r"co trach nhiem|thoi han (?:gia dinh|phai|dang ky|khai)|qua han|dung han|\d+ ngay tro len",
    "workdays": r"ngay lam viec|lam ngay|ngay trong ngay|ngay sau khi|tra ket qua|ngay tiep theo|"
                r"khong qua \d+ ngay|giai quyet",
    "validity": r"gia tri|hieu luc|het han|thoi han su dung",
    "period": r"\d+ (?:thang|nam)\b|tro len|toi da|khong qua|thoi han",
    "age": r"\d+ tuoi|\btuoi\b",
    "money": r"\d+ ?(?:dong|d\b)|nghin dong|trieu dong|muc chuan|he so",
    "free": r"\bmien\b|khong mat|khong thu|khong phai nop",
    "fee": r"le phi|\bphi\b",
    "copies": r"\d+ ban\b|ban sao|ban chinh|ban photo|chung thuc|doi chieu|cong chung",
    "form": r"\bmau\b|to khai|\b[a-z]{1,3}\d{1,3}[a-z]?\b",
    "weekday": r"thu (?:hai|ba|tu|nam|sau|bay|[2-7])\b|chu nhat|ngay le|ngay nghi",
    "clock": r"\d+ ?(?:gio|h)\b|\d+h\d+|\bsang\b|\bchieu\b|gio lam viec",
    "ward": r"ubnd|uy ban|bo phan mot cua|trung tam phuc vu|phuong noi|xa noi",
    "police": r"cong an",
    "insurance": r"bao hiem xa hoi|bhxh|bao hiem y te|bhyt",
    "office": r"ngan hang|kho bac|thue|toa an|phong tu phap|benh vien|so tu phap|so xay dung|van phong",
    "url": r"https?|gov vn|dichvucong|\bvn\b|cong dich vu cong|dvcqg|website|trang web",
    "app": r"vneid|ung dung|\bapp\b|dien thoai",
    "online": r"truc tuyen|qua mang|online|dien tu",
    "mail": r"buu chinh|buu dien|gui qua|chuyen phat",
    "proxy": r"uy quyen|\bthay\b(?! the)|nguoi than|dai dien|\bnho\b|giam ho|ong hoac ba|ong ba",
    "presence": r"co mat|truc tiep|den ky|(?<!dang )\bky\b",
    "kin": r"\b(?:cha|me|vo|chong|con|ong|ba|anh|chi|em)\b",
    "document": r"\bgiay\b|to khai|\bso\b|\bthe\b|\bban\b|ho so",
    "result": r"ket qua|duoc cap|trich luc|giay chung nhan|nhan duoc",
    "condition": r"\bneu\b|truong hop|\bchi\b|dieu kien|doi tuong|thuoc",
    "deny": r"khong duoc|khong can|khong phai|khong the|khong ",
    "allow": r"\bduoc\b|\bco the\b",
    "percent": r"%|phan tram",
    "number": r"\d",
}
_EN: dict[str, str] = {
    "deadline": r"within \d+ (?:days?|months?)(?! working)|of the (?:death|birth)|no later than|"
                r"\bmust (?:register|report|do)|deadline|overdue|on time|\blate\b",
    "workdays": r"working days?|same day|immediately|next working day|no more than \d+ (?:working )?days",
    "validity": r"\bvalid|expir",
    "period": r"\d+ (?:months?|years?)\b|or more|at most|maximum|up to \d+",
    "age": r"\d+ years? old|\baged? \d+|\bunder \d+|\bage\b",
    "money": r"\d[\d,]* ?vnd|\bvnd\b|dong\b|standard rate|coefficient",
    "free": r"\bfree\b|no fee|exempt|not charged",
    "fee": r"\bfees?\b|\bcharge",
    "copies": r"\d+ cop(?:y|ies)|\bcop(?:y|ies)\b|original|certif|notari",
    "form": r"\bforms?\b|declaration|\b[a-z]{1,3}\d{1,3}[a-z]?\b",
    "weekday": r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|holiday|weekend",
    "clock": r"\d+ ?(?:am|pm|h)\b|\d+:\d+|morning|afternoon|office hours|working hours",
    "ward": r"people's committee|one-stop|public administrative service|ward|commune",
    "police": r"police",
    "insurance": r"social insurance|health insurance",
    "office": r"\bbank|treasury|\btax|court|justice|hospital|department",
    "url": r"https?|\.gov\.vn|dichvucong|portal|website|\.vn\b",
    "app": r"vneid|\bapp\b|phone",
    "online": r"online|electronic",
    "mail": r"\bpost\b|postal|mail|deliver",
    "proxy": r"authori[sz]|on (?:his|her|their|your|my) behalf|\binstead\b|relative|representative|"
             r"guardian|grandparent",
    "presence": r"in person|present|\bsign",
    "kin": r"\b(?:father|mother|parents?|wife|husband|spouse|child(?:ren)?|son|daughter|grand\w*)\b",
    "document": r"paper|certificate|\bcard\b|\bbook\b|document|file",
    "result": r"result|issued|extract|receive",
    "condition": r"\bif\b|\bonly\b|condition|eligib|\bcase\b",
    "deny": r"\bnot\b|\bno\b|cannot|n't",
    "allow": r"\bmay\b|\bcan\b|allowed",
    "percent": r"%|percent",
    "number": r"\d",
}
KINDS = tuple(_VI)
_VI_RX = {k: re.compile(v) for k, v in _VI.items()}
_EN_RX = {k: re.compile(v) for k, v in _EN.items()}
_UNIT_MEASURE = re.compile(r"\d+(?:[.,]\d+)*\s*(%|[a-z]+)")
_MEASURE_WORDS = """ngay thang nam tuoi dong d ban bo lan nguoi trang gio phan
day month year old vnd copy set time person page hour percent"""
_MEASURES = frozenset(_MEASURE_WORDS.split())


def is_english(unit: FactUnit) -> bool:
    return "@en" in unit.id


def _folded(text: str) -> str:
    return fold_diacritics(normalize_vi(text))


def unit_kinds(text: str, *, english: bool = False) -> frozenset[str]:
    """The kinds of value ``text`` states (``KINDS``)."""
    t = text.lower() if english else _folded(text)
    rxs = _EN_RX if english else _VI_RX
    return frozenset(k for k, rx in rxs.items() if rx.search(t))


def unit_measures(text: str, *, english: bool = False) -> frozenset[str]:
    t = fold_diacritics(text.lower())
    found = {m[:-1] if english and len(m) > 3 and m.endswith("s") else m for m in _UNIT_MEASURE.findall(t)}
    return frozenset({"phan" if m == "%" else m for m in found} & _MEASURES)


def describe(unit: FactUnit) -> frozenset[str]:
    """The unit's descriptors: field, kinds of value, measures, and whether it is a say form."""
    en = is_english(unit)
    text = unit.spoken
    out = {f"f:{unit.field}", "say" if not re.search(r"#|@en\d", unit.id) else "sent"}
    out |= {f"k:{k}" for k in unit_kinds(text, english=en)}
    out |= {f"m:{m}" for m in unit_measures(unit.spoken, english=en)}
    return frozenset(out)
