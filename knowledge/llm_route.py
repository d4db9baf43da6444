"""Which answerer speaks: the local LLM only for questions a template cannot answer. Pure.

Owns ``route_question`` and its ``Route``: yes/no ("ông bà đi thay được không"), conditional
("không có giấy chứng sinh thì sao") and short follow-up ("còn nộp trên mạng?") questions go to the
model; direct fee / documents / time / place questions, and questions that carry an instruction to
the model (``QUESTION_INJECTION_MARKERS``), stay on the template answerer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.guard import QUESTION_INJECTION_MARKERS
from knowledge.normalize import normalize_vi
from knowledge.types import Aspect


@dataclass(frozen=True, slots=True)
class Route:
    use_llm: bool
    kind: str  # "yes-no" | "conditional" | "follow-up" | "direct" | "suspicious"
    reason: str  # goes into Answer.reason when the template speaks


_TRAILING_PARTICLES = {"ạ", "à", "nhỉ", "nhé", "nha", "vậy", "thế", "hả", "hử", "ha", "chứ", "đấy", "đó",
                       "không", "ko", "hông", "chưa", "ạ?"}
_CONDITIONAL = re.compile(
    r"\b(?:thì sao|thì thế nào|thì làm sao|thì làm thế nào|thì phải làm gì|thì làm gì|thì có sao|"
    r"thì được không|thì có được không|nếu|trường hợp|lỡ|giả sử|bị mất|làm mất|mất giấy|mất rồi|"
    r"không có .+ thì|chưa có .+ thì|quá hạn thì|muộn thì)\b")
_YES_NO = re.compile(r"(?:\b(?:được không|được ko|được hông|được chưa|có phải|phải không|đúng không|"
                     r"có được|có cần|có bắt buộc|bắt buộc không|có thể|có .+ không|.+ chưa)$)")
_FOLLOW_UP = re.compile(r"^(?:còn|thế còn|vậy còn|thế thì|vậy thì|rồi|thế|vậy|nhưng|mà)\b")
# Yes/no questions that merely ask the aspect itself: the template answers them directly.
_DIRECT_YES_NO = re.compile(
    r"\b(?:có )?(?:mất|tốn|phải trả|phải nộp|phải đóng|thu) (?:lệ phí|phí|tiền)(?: gì| nào)?(?: không)?$|"
    r"\bcó (?:lâu|nhanh|lâu lắm) không$|\bcần (?:những )?giấy tờ gì không$|\bcó miễn phí không$")
_WH = re.compile(r"\b(?:bao nhiêu|mấy|bao lâu|bao giờ|khi nào|ở đâu|chỗ nào|nơi nào|giấy tờ gì|cần gì|"
                 r"những gì|gì|thế nào|như thế nào|làm sao|ra sao|các bước|ai)\b")


def route_question(question: str, aspect: Aspect = Aspect.GENERAL) -> Route:
    """Decide who answers: the LLM only for yes/no, conditional and follow-up questions."""
    q = normalize_vi(question)
    if not q:
        return Route(False, "direct", "template-direct-question")
    if any(f" {normalize_vi(m)} " in f" {q} " for m in QUESTION_INJECTION_MARKERS):
        return Route(False, "suspicious", "template-suspicious-question")
    words = q.split()
    core = list(words)
    while len(core) > 1 and core[-1] in _TRAILING_PARTICLES - {"không", "ko", "hông", "chưa"}:
        core.pop()
    core_text = " ".join(core)
    if _CONDITIONAL.search(q):
        return Route(True, "conditional", "")
    if _DIRECT_YES_NO.search(core_text):
        return Route(False, "direct", "template-direct-question")
    if _YES_NO.search(core_text):
        return Route(True, "yes-no", "")
    if _FOLLOW_UP.search(q) and len(words) <= 8 and not _WH.search(q):
        return Route(True, "follow-up", "")
    if _FOLLOW_UP.search(q) and len(words) <= 5:
        return Route(True, "follow-up", "")
    return Route(False, "direct", "template-direct-question")
