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

The tables live beside it: ``vi_numbers`` (number words), ``vi_abbreviations`` (abbreviations,
acronyms) and ``vi_rules`` (the ordered rewrite rules for dates, money, units, references ...); here
the rules run in order, then brackets, markdown marks and punctuation are cleaned up.
"""

from __future__ import annotations

import re
import unicodedata

from speech.text.vi_rules import LETTER, RULES

_BRACKETS = re.compile(r"\[[^\[\]]*\]")  # source markers "[S22]" never read (innermost first)
_DROP = re.compile(r"[*_#\"“”«»|•▪►●`\[\]{}]")
_QUOTE_MARK = re.compile(r"(?m)^\s*>+\s*")
_PARENS = re.compile(r"\s*[()]\s*")
_ELLIPSIS = re.compile(r"\s*(?:…|\.\.\.)")
_SLASH_WORDS = re.compile(r"(?<=" + LETTER + r")\s*/\s*(?=" + LETTER + r")")
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
