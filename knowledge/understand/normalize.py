"""Vietnamese text normalisation for retrieval. Pure functions: no I/O, no state.

Questions arrive from speech recognition (lowercase, no punctuation, numbers spelled out, words
sometimes merged or split) or from a plain keyboard (no diacritics, decomposed Unicode). Everything
that compares text goes through these functions on both sides (records and questions):

* ``normalize_vi``: NFC, lowercase, zero-width characters removed, punctuation to spaces.
* ``strip_fillers``: drops hesitation sounds and politeness formulas ("ờ", "cho bác hỏi", "ạ").
* ``fold_diacritics``: "Đăng ký" -> "dang ky", so questions typed without diacritics match.
* ``syllables`` / ``features``: folded syllable unigrams, bigrams and joined bigrams
  ("khai sinh" also yields "khaisinh"), so "khaisinh" typed as one word still matches.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence

# Invisible characters some keyboards, copy-paste and ASR post-processing leave in text.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"), None)
_NON_WORD = re.compile(r"[^\w]+|_")
_SPACES = re.compile(r"\s+")
_DIGIT_SEP = re.compile(r"(?<=\d)[.,](?=\d{3}\b)")  # "5.000" -> "5000" before punctuation goes


def normalize_vi(text: str) -> str:
    """NFC, lowercase, punctuation and invisible characters removed, single spaces.

    Thousands separators inside numbers are dropped ("5.000" -> "5000") so numbers stay one token.
    """
    if not text:
        return ""
    s = unicodedata.normalize("NFC", text).translate(_INVISIBLE).lower()
    s = _DIGIT_SEP.sub("", s)
    s = _NON_WORD.sub(" ", s)
    return _SPACES.sub(" ", s).strip()


def _fold_table() -> dict[int, int | None]:
    table: dict[int, int | None] = {ord("đ"): ord("d"), ord("Đ"): ord("D")}
    for cp in [*range(0x00C0, 0x0250), *range(0x1E00, 0x1F00)]:
        base = "".join(c for c in unicodedata.normalize("NFD", chr(cp)) if not unicodedata.combining(c))
        if len(base) == 1 and base != chr(cp):
            table[cp] = ord(base)
    for cp in range(0x0300, 0x0370):  # combining marks left after NFC (unusual sequences)
        table[cp] = None
    return table


_FOLD = _fold_table()


def fold_diacritics(text: str) -> str:
    """Remove Vietnamese diacritics ("đ" -> "d" too): "Đăng ký khai sinh" -> "Dang ky khai sinh"."""
    return unicodedata.normalize("NFC", text).translate(_FOLD)


# Hesitations, politeness formulas and sentence particles of spoken (Northern and Southern)
# Vietnamese. Matched as whole syllable sequences on the normalised text, longest first.
FILLER_PHRASES: tuple[str, ...] = (
    "cho bác hỏi", "cho tôi hỏi", "cho cháu hỏi", "cho em hỏi", "cho con hỏi", "cho chú hỏi",
    "cho cô hỏi", "cho ông hỏi", "cho bà hỏi", "cho mình hỏi", "cho tui hỏi", "cho tớ hỏi",
    "cho anh hỏi", "cho chị hỏi", "cho hỏi", "xin hỏi", "xin cho hỏi", "làm ơn", "vui lòng",
    "cháu ơi", "con ơi", "em ơi", "cô ơi", "chú ơi", "bác ơi", "anh ơi", "chị ơi", "ông ơi",
    "bà ơi", "bạn ơi", "máy ơi", "ơi", "dạ vâng", "dạ", "vâng", "ừ", "ờ", "ừm", "ừ thì", "à", "ạ",
    "ấy", "nhé", "nhá", "nha", "nhỉ", "hả", "hử", "thế", "với", "đấy", "đó nha", "ha", "hen", "nghen",
    "vậy", "vầy", "thì", "mà", "là", "ý là", "kiểu là", "tức là",
)
# "với" and "thế" are particles in "cho bác hỏi với", "làm thế nào thế"; they carry no topic.


def _phrase_pattern(phrases: Iterable[str]) -> re.Pattern[str]:
    alts = sorted({normalize_vi(p) for p in phrases}, key=len, reverse=True)
    return re.compile(r"(?<!\S)(?:" + "|".join(re.escape(a) for a in alts) + r")(?!\S)")


# Without diacritics many particles collide with content words ("o" = "ở", "the" = "thẻ",
# "ma" = "mã", "la" = "lá", "ha" = "Hà"), so text typed without diacritics only loses the
# fillers whose folded form is unambiguous.
_FOLDED_AMBIGUOUS = frozenset({"o", "the", "thi", "ma", "la", "ha", "vay", "a", "nha", "day", "hen"})
_FILLERS = _phrase_pattern(FILLER_PHRASES)
_FILLERS_FOLDED = _phrase_pattern(
    f for f in {fold_diacritics(normalize_vi(p)) for p in FILLER_PHRASES} if f not in _FOLDED_AMBIGUOUS
)
_EDGE_A = re.compile(r"(?:^a\s+|\s+a$)")  # "a" at an edge is "à"/"ạ" typed without diacritics


def _has_diacritics(s: str) -> bool:
    return fold_diacritics(s) != s


def strip_fillers(text: str) -> str:
    """Normalise then drop filler/politeness phrases: "Ờ cho bác hỏi, khai sinh ạ?" -> "khai sinh"."""
    s = normalize_vi(text)
    pattern = _FILLERS if _has_diacritics(s) else _FILLERS_FOLDED
    # Repeated substitution: removing one phrase can expose another ("ờ ờ à").
    for _ in range(4):
        new = _SPACES.sub(" ", pattern.sub(" ", s)).strip()
        if not _has_diacritics(s):
            new = _EDGE_A.sub("", new).strip()
        if new == s:
            break
        s = new
    return s


def normalize_query(text: str) -> str:
    """The form retrieval compares: normalised, fillers dropped, diacritics folded."""
    return fold_diacritics(strip_fillers(text))


def fold(text: str) -> str:
    """Normalised and folded, fillers kept (used for records and for phrase lexicons)."""
    return fold_diacritics(normalize_vi(text))


def syllables(folded: str) -> list[str]:
    """Split folded text into syllables; runs of single letters are joined ("v n e i d" -> "vneid")."""
    out: list[str] = []
    run: list[str] = []
    for tok in folded.split():
        if len(tok) == 1 and tok.isalpha():
            run.append(tok)
            continue
        if run:
            out.append("".join(run))
            run = []
        out.append(tok)
    if run:
        out.append("".join(run))
    return out


def features(sylls: Sequence[str], stop: frozenset[str] = frozenset()) -> list[str]:
    """Lexical features of a syllable sequence: unigrams ("u:"), bigrams ("b:") and joined bigrams ("j:").

    A joined bigram ("khai sinh" -> "j:khaisinh") lets the same text written as one word
    ("khaisinh", as ASR or a hurried typist may produce) match: the scorer looks a unigram up
    among joined bigrams and the other way round. Stop-syllables give no
    unigram but still count inside bigrams ("báo tử" = "bao tu" is two stop-syllables but a strong pair).
    """
    feats = [f"u:{s}" for s in sylls if s not in stop]
    for a, b in itertools.pairwise(sylls):
        feats.append(f"b:{a}_{b}")
        feats.append(f"j:{a}{b}")
    return feats


def split_merged(token: str, vocab: frozenset[str] | set[str]) -> list[str] | None:
    """Split a token the ASR merged ("khaisinh") into two known syllables, or None.

    Prefers the split whose parts are both longest-known; only splits into exactly two parts
    (three-way merges are rare and ambiguous).
    """
    if token in vocab or len(token) < 4:
        return None
    best: list[str] | None = None
    for i in range(2, len(token) - 1):
        left, right = token[:i], token[i:]
        if left in vocab and right in vocab:
            cand = [left, right]
            if best is None or min(map(len, cand)) > min(map(len, best)):
                best = cand
    return best


def contains_phrase(folded_text: str, folded_phrase: str) -> bool:
    """Whole-syllable containment on folded text ("ho chieu" in "lam ho chieu o dau")."""
    return f" {folded_phrase} " in f" {folded_text} "
