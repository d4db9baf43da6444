"""Phrase list for grammar-constrained recognisers (Vosk) from the bundle's vocabulary. Pure text.

Vosk's grammar is a JSON list of phrases; the decoder recognises any sequence of them. We give it the
procedure titles and colloquial aliases (as phrases and as single words, so people can combine them
freely) plus the few function words people wrap a question in. Words the model does not know are
dropped by Vosk with a log line; ``[unk]`` (if the model has it) absorbs everything else.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# How residents frame a question at the counter (not procedure facts; just words to be recognised).
QUESTION_WORDS = (
    "cho tôi hỏi", "tôi muốn", "tôi cần", "làm", "làm thế nào", "thủ tục", "giấy tờ", "hồ sơ", "cần gì",
    "ở đâu", "bao lâu", "mất bao lâu", "bao nhiêu", "bao nhiêu tiền", "lệ phí", "có mất tiền không",
    "nộp", "đăng ký", "xin", "cấp", "cấp lại", "online", "trực tuyến", "được không", "như thế nào",
    "cho", "con", "mẹ", "bố", "ông", "bà", "của tôi", "ạ", "vâng", "không",
)

_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)


def normalize_phrase(text: str) -> str:
    """NFC, lowercase, punctuation to spaces, single spaces."""
    t = unicodedata.normalize("NFC", text).lower()
    return " ".join(_PUNCT.sub(" ", t).split())


def grammar_phrases(texts: Iterable[str], *, extra: Iterable[str] = QUESTION_WORDS,
                    unk: bool = False) -> list[str]:
    """Distinct phrases and their words, in first-seen order; ``[unk]`` last when ``unk``."""
    seen: dict[str, None] = {}
    for text in [*texts, *extra]:
        phrase = normalize_phrase(text)
        if not phrase:
            continue
        seen.setdefault(phrase, None)
        for word in phrase.split():
            seen.setdefault(word, None)
    phrases = list(seen)
    if unk:
        phrases.append("[unk]")
    return phrases


def bundle_texts(records: Iterable[object]) -> list[str]:
    """Titles and aliases of bundle records (``knowledge.bundle.schema.Record``), Vietnamese only."""
    out: list[str] = []
    for r in records:
        out.append(str(getattr(r, "title", "")))
        out.extend(str(a) for a in getattr(r, "aliases", ()))
    return [t for t in out if t]


def model_has_unk(model_dir: object) -> bool:
    """True when a Vosk model's word list contains ``[unk]`` (graph/words.txt, if shipped)."""
    from pathlib import Path

    words = Path(str(model_dir)) / "graph" / "words.txt"
    if not words.is_file():
        return False
    with words.open(encoding="utf-8", errors="replace") as f:
        return any(line.split(" ", 1)[0] == "[unk]" for line in f)
