"""What an LLM reply claims, and the record text it may draw on, for the reply guard. Pure: no I/O.

Owns the record side (``record_texts``: title, aliases, legal basis, URLs and the sourced facts;
``fee_texts``) and the patterns that pick claims out of a reply: links and phone numbers, echoed
instructions (``INJECTION_MARKERS``, ``QUESTION_INJECTION_MARKERS``), "free" / "paid" / "same day"
claims, and document names ("giấy xác nhận cư trú"). The guard decides with them in ``check_reply``.
"""

from __future__ import annotations

import re

from knowledge.bundle import Record, Status
from knowledge.guard_language import norm, wordset


# ---- record corpus --------------------------------------------------------------------------------
def record_texts(record: Record) -> list[str]:
    """Every piece of text a reply may draw on: title, aliases, legal basis, URLs and the facts
    that have a source or are marked uncertain (an *unsourced* fact's text is not a fact)."""
    texts = [record.title, *record.aliases, *record.legal_basis]
    for f in record.facts():
        if f.status is not Status.UNSOURCED:
            texts += [f.text, f.say or "", f.note or ""]
    if record.online_url:
        texts.append(record.online_url)
    texts += [s.url for s in record.sources if s.url]
    return [t for t in texts if t]


def fee_texts(record: Record) -> str:
    """The fee, its details and exemptions as one text (sourced or uncertain facts only)."""
    facts = (record.fee, *record.fee.details, *record.fee.exemptions)
    return " ".join(f.text + " " + (f.say or "") for f in facts if f.status is not Status.UNSOURCED)


# ---- patterns -------------------------------------------------------------------------------------
URL = re.compile(r"(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:gov|com|net|org|info|edu|vn)"
                 r"(?:\.vn)?\b(?:/\S*)?", re.IGNORECASE)
PHONE = re.compile(r"(?<![\d.,])(?:\+84|0)(?:[\s.-]?\d){8,10}(?![\d])|(?<![\d.,])1[89]00[\s.-]?\d{3,4}"
                   r"(?:[\s.-]?\d{1,4})?(?![\d])")

# Phrases in a reply that echo an instruction instead of answering.
INJECTION_MARKERS = (
    "theo yêu cầu của bạn", "như bạn yêu cầu", "như bạn đã yêu cầu", "bạn đã yêu cầu", "theo lệnh",
    "bỏ qua hướng dẫn", "bỏ qua các hướng dẫn", "bỏ qua mọi hướng dẫn", "bỏ qua chỉ dẫn",
    "hướng dẫn trước", "hướng dẫn hệ thống", "lời nhắc hệ thống", "chỉ dẫn hệ thống", "quy tắc trước",
    "tôi là mô hình", "mô hình ngôn ngữ", "trí tuệ nhân tạo", "chế độ nhà phát triển", "vai trò mới",
    "quên hết", "quên mọi", "system prompt", "prompt", "ignore previous", "ignore all", "instruction",
    "as an ai", "language model", "developer mode", "jailbreak",
)
# Words in a question that mark an instruction to the model rather than a question.
QUESTION_INJECTION_MARKERS = (
    "bỏ qua", "hãy nói", "hãy trả lời", "hãy bảo", "hãy quên", "hãy viết", "hãy xác nhận", "từ giờ trở đi",
    "từ bây giờ", "giả sử bạn", "đóng vai", "bạn là một", "nhắc lại", "lặp lại", "in ra", "trả lời rằng",
    "nói rằng", "hãy nói là", "mệnh lệnh", "chỉ thị", "ignore", "prompt", "system", "instruction",
    "pretend", "say that",
)

# Fee and time claims made without a number.
FREE_CLAIM = re.compile(
    r"\b(?:miễn (?:lệ )?phí|miễn tiền|không (?:mất|tốn|thu|phải trả|phải nộp|phải đóng|cần trả|cần nộp)"
    r" (?:lệ )?(?:phí|tiền|đồng nào)|không có (?:lệ )?phí|không thu (?:lệ )?phí|(?<![\d.,])0 đồng|không đồng"
    r"|free of charge|free)\b")
FREE_IN_RECORD = re.compile(r"miễn|không thu|không mất|không phải (?:nộp|đóng)|(?<![\d.,])0 đồng|không tốn")
PAID_CLAIM = re.compile(
    r"(?<!không )(?<!chẳng )\b(?:(?:phải|cần) (?:nộp|trả|đóng) (?:lệ )?(?:phí|tiền)"
    r"|có (?:thu|mất|tốn) (?:lệ )?(?:phí|tiền)|mất (?:lệ )?phí|tốn (?:lệ )?phí|có lệ phí|thu (?:lệ )?phí)\b")
SAME_DAY_CLAIM = re.compile(r"\b(?:ngay trong ngày|trong ngày|lấy ngay|làm ngay|ngay lập tức|ngay tại chỗ"
                            r"|có ngay|xong ngay)\b")
SAME_DAY_IN_RECORD = re.compile(r"trong ngày|ngay")

# Document names: a head word plus the words after it must be a phrase of the record.
_DOC_HEADS = (
    "giấy tờ", "giấy", "sổ", "thẻ", "tờ khai", "hộ chiếu", "căn cước", "cccd", "cmnd", "chứng minh nhân dân",
    "văn bản", "hợp đồng", "bản sao", "bản chính", "trích lục", "đơn", "ảnh", "bằng lái", "bằng cấp",
    "bằng tốt nghiệp", "chứng chỉ", "biên lai", "hóa đơn", "học bạ", "lý lịch", "quyết định", "sơ yếu",
    "phiếu",
)
DOC_GENERIC = frozenset({"giấy tờ", "đơn giản", "đơn vị", "ảnh hưởng", "bằng cách", "bằng nhau",
                         "bằng không", "thẻ này", "mẫu này", "sổ này", "đơn này", "giấy này", "văn bản này",
                         "bản sao", "bản chính", "hợp đồng", "văn bản", "quyết định", "phiếu"})
_FUNCTION_WORDS = wordset("""của và hoặc hay thì cho để là này đó không nếu khi với tại ở trong ra vào
đã đang sẽ được bị có cũng mà nhưng nên vì do bởi theo từ đến lên xuống rồi nhé ạ nữa luôn thôi các những
một hai ba bản chính sao cần gì nào khác như sau trên dưới""")
# "bản"/"chính"/"sao" end a document name: "giấy chứng sinh bản chính" is checked as "giấy chứng sinh".


_CLAUSE = re.compile(r"[.,;:!?()\[\]\n/]+")


def doc_mentions(reply: str) -> list[str]:
    """Document names in ``reply``: a head word and up to two content words after it, per clause."""
    found: list[str] = []
    for clause in _CLAUSE.split(reply):
        found += _doc_mentions_clause(norm(clause))
    return found


def _doc_mentions_clause(clause_norm: str) -> list[str]:
    words = clause_norm.split()
    found: list[str] = []
    heads = sorted(((h.split(), h) for h in _DOC_HEADS), key=lambda x: -len(x[0]))
    i = 0
    while i < len(words):
        for hw, _h in heads:
            if words[i:i + len(hw)] == hw:
                j = i + len(hw)
                tail: list[str] = []
                while j < len(words) and len(tail) < 2 and words[j] not in _FUNCTION_WORDS:
                    tail.append(words[j])
                    j += 1
                found.append(" ".join(hw + tail))
                i = j
                break
        else:
            i += 1
    return found

