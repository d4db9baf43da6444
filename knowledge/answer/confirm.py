"""The yes/no check: a "Được" / "Không" is spoken only when the chosen fact proves it. Pure.

``yes_no_frame(question)`` says whether the question wants a yes or a no, and which words answer it
("được không" → "Được." / "Không được."; "có cần … không" → "Có." / "Không."; "phải không" →
"Đúng." / "Không đúng."). ``confirm(question, fact_text)`` returns "yes", "no" or "" (cannot tell):

* an age threshold in the fact ("nữ từ đủ 18 tuổi", "dưới 14 tuổi", "từ đủ 70 đến dưới 75 tuổi")
  compared with the age in the question ("con gái tôi 17 tuổi"), choosing the clause for the
  question's sex when the fact names both; outside the range is "no", inside it "yes" only when the
  fact states no other condition (a pension, consent, "nếu …");
* the same for other amounts with a unit (ngày, tháng, năm, đồng) when the question states a value
  and asks whether it is so ("có giá trị 6 tháng phải không");
* an explicit "không được" / "không phải" / "không cần" (no) or "được" / "có thể" / a leading "Có."
  (yes) in the fact, when the question's predicate words are in that fact.

``spoken_word(question, proposed, fact_text)``: the word to say, or "" when the check does not
confirm ``proposed`` (the LLM's label) — a flipped yes/no is never spoken.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from knowledge.understand.normalize import normalize_vi

_FRAME_DUOC = re.compile(r"\b(?:được không|được ko|được hông|được chưa|có được|có thể .+ không|được phép)\b")
_FRAME_DUNG = re.compile(r"\b(?:phải không|đúng không|có phải|đúng là|có đúng)\b")
_FRAME_CO = re.compile(r"\b(?:có cần|cần .+ không|có phải .+ không|có mất|có .+ không|bắt buộc không|"
                       r"phải .+ không)$")

_FEMALE = re.compile(r"\b(?:nữ|con gái|cô|chị|bà|vợ|em gái|cháu gái)\b")
_MALE = re.compile(r"\b(?:nam|con trai|anh|chú|ông|chồng|em trai|cháu trai)\b")
_AGE_Q = re.compile(r"\b(\d{1,3}) tuổi\b")
_VALUE = re.compile(r"\b(\d+(?:[.,]\d+)*) (ngày|tháng|năm|tuổi|đồng|bản)\b")
_NEG = re.compile(r"\bkhông (?:được|phải|cần|thể|có|thu|mất)\b|\bchưa được\b|\bkhông giải quyết\b")
_POS = re.compile(r"^có\b|\b(?:được|có thể)\b")
_OTHER_CONDITION = re.compile(r"\b(?:không|chưa|nếu|trừ|thuộc|đang|tự nguyện|điều kiện|và|hoặc)\b")
_STOP_WORDS = ("tôi bác cháu em anh chị mình cho hỏi thì là có không được phải cần ạ à nhé nha vậy "
               "thế đi làm này đó một các những của và hay hoặc với")
_STOP = frozenset(_STOP_WORDS.split())


@dataclass(frozen=True, slots=True)
class Frame:
    yes: str
    no: str


FRAMES = {"duoc": Frame("Được.", "Không được."), "dung": Frame("Đúng.", "Không đúng."),
          "co": Frame("Có.", "Không.")}


def yes_no_frame(question: str) -> Frame | None:
    q = normalize_vi(question)
    for particle in (" ạ", " nhé", " nha", " vậy", " thế", " hả", " à"):
        while q.endswith(particle):
            q = q[: -len(particle)]
    if _FRAME_DUOC.search(q):
        return FRAMES["duoc"]
    if _FRAME_DUNG.search(q):
        return FRAMES["dung"]
    if _FRAME_CO.search(q) and not re.search(r"\b(?:bao nhiêu|mấy|gì|nào|đâu|bao lâu)\b", q):
        return FRAMES["co"]
    return None


def _num(s: str) -> float:
    return float(re.sub(r"[.,]", "", s))


def _sex(q: str) -> str:
    if _FEMALE.search(q) and not _MALE.search(q):
        return "f"
    if _MALE.search(q) and not _FEMALE.search(q):
        return "m"
    return ""


def _age_rule(clause: str) -> tuple[float | None, float | None, bool]:
    """(minimum, maximum, inclusive-max) ages stated in a clause; Nones when it states none."""
    lo = hi = None
    incl = False
    m = re.search(r"\btừ (?:đủ )?(\d+) (?:tuổi )?đến (?:dưới )?(\d+) tuổi", clause)
    if m:
        return float(m.group(1)), float(m.group(2)), "dưới" not in m.group(0)
    m = re.search(r"\b(?:từ đủ|đủ|từ|ít nhất|tối thiểu) (\d+) tuổi", clause)
    if m:
        lo = float(m.group(1))
    m = re.search(r"\btrên (\d+) tuổi", clause)
    if m:
        lo = float(m.group(1)) + 1
    m = re.search(r"\b(?:dưới|chưa đủ|chưa tới) (\d+) tuổi", clause)
    if m:
        hi, incl = float(m.group(1)), False
    m = re.search(r"\b(?:không quá|tối đa) (\d+) tuổi", clause)
    if m:
        hi, incl = float(m.group(1)), True
    return lo, hi, incl


def _confirm_age(q: str, fact: str) -> str:
    """``fact`` raw (with punctuation): its clauses are compared one by one."""
    m = _AGE_Q.search(q)
    if not m:
        return ""
    age = float(m.group(1))
    raw = unicodedata.normalize("NFC", fact).lower()
    clauses = [normalize_vi(c) for c in re.split(r"[;,]|\.\s", raw) if "tuổi" in c]
    sex = _sex(q)
    if sex:
        sexed = [c for c in clauses if (_FEMALE if sex == "f" else _MALE).search(c)]
        other = [c for c in clauses if (_MALE if sex == "f" else _FEMALE).search(c)]
        clauses = sexed or [c for c in clauses if c not in other]
    verdicts = set()
    for c in clauses:
        lo, hi, incl = _age_rule(c)
        if lo is None and hi is None:
            continue
        ok = (lo is None or age >= lo) and (hi is None or (age <= hi if incl else age < hi))
        verdicts.add("yes" if ok else "no")
    verdict = verdicts.pop() if len(verdicts) == 1 else ""
    # An age outside the range settles "no"; an age inside it settles "yes" only when the age is the
    # fact's only condition ("không hưởng lương hưu", "tự nguyện", "nếu …" are others the question
    # may not meet).
    if verdict == "yes" and _OTHER_CONDITION.search(normalize_vi(fact)):
        return ""
    return verdict


def _confirm_value(q: str, fact: str) -> str:
    """The question states "N unit" and asks whether it is so: equal value in the fact → yes, only
    other values of that unit → no."""
    asked = [(_num(n), u) for n, u in _VALUE.findall(q) if u != "tuổi"]
    if len(asked) != 1:
        return ""
    value, unit = asked[0]
    stated = [_num(n) for n, u in _VALUE.findall(fact) if u == unit]
    if not stated:
        return ""
    return "yes" if value in stated else "no"


def _predicate_in(q: str, fact: str) -> bool:
    words = [w for w in q.split() if w not in _STOP]
    if not words:
        return False
    fw = set(fact.split())
    return sum(w in fw for w in words) / len(words) >= 0.5


def confirm(question: str, fact_text: str) -> str:
    """"yes", "no" or "" (the fact does not settle it)."""
    q, fact = normalize_vi(question), normalize_vi(fact_text)
    if not q or not fact:
        return ""
    if _AGE_Q.search(q):
        return _confirm_age(q, fact_text)  # an age question is settled by ages only
    frame = yes_no_frame(question)
    if frame is FRAMES["dung"]:
        return _confirm_value(q, fact)
    if not _predicate_in(q, fact):
        return ""
    lead = re.match(r"\s*(có|không)\s*[.!]", unicodedata.normalize("NFC", fact_text).lower())
    if lead:  # "Có. Có thủ tục liên thông…": the record answers yes/no itself
        return "yes" if lead.group(1) == "có" else "no"
    return _polarity(q, fact_text)


def _polarity(q: str, fact_text: str) -> str:
    """An explicit "không được" (no) or "được" / "có thể" (yes) in a clause of the fact that holds
    the question's words; a condition ("nếu cha mẹ không thể đi thì …") is not a verdict."""
    words = [w for w in q.split() if w not in _STOP]
    verdicts = set()
    for clause in re.split(r"[;,]|\.\s", unicodedata.normalize("NFC", fact_text).lower()):
        c = normalize_vi(clause)
        if " thì " in f" {c} ":
            c = c.rsplit("thì", 1)[1].strip()
        elif c.startswith("nếu "):
            continue
        cw = set(c.split())
        if not c or not words or sum(w in cw for w in words) / len(words) < 0.4:
            continue
        if _NEG.search(c):
            verdicts.add("no" if not _POS.search(_NEG.sub(" ", c)) else "")
        elif _POS.search(c):
            verdicts.add("yes")
    return verdicts.pop() if len(verdicts) == 1 else ""


def spoken_word(question: str, fact_text: str, proposed: str | None = None) -> str:
    """The yes/no word to say before the fact, or "".

    ``proposed`` None (evidence path): the check's own verdict. ``proposed`` "yes"/"no" (the LLM's
    label): said only when the check reaches the same verdict; anything else says no word."""
    frame = yes_no_frame(question)
    if frame is None:
        return ""
    verdict = confirm(question, fact_text)
    if not verdict or (proposed is not None and proposed != verdict):
        return ""
    return frame.yes if verdict == "yes" else frame.no
