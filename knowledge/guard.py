"""Guard for LLM replies: a reply may only say what the retrieved record says. Pure: no I/O.

``check_reply(reply, record, question, language)`` returns ``GuardResult(ok, reason, detail)``.
A reply is rejected (and the template answer speaks instead) when it

* is empty, too long (more than ``max_sentences`` sentences or ``max_chars`` characters) or not in
  the expected language (diacritics ratio, English function words, CJK characters);
* contains a number (digits or spelled-out Vietnamese: "năm nghìn", "sáu mươi ngày") that is not in
  the record; reasons ``fee`` / ``time`` / ``number`` by the unit next to it;
* claims the procedure is free, paid or done on the spot when the record does not say so;
* names a document ("giấy xác nhận cư trú") that the record does not name;
* names another procedure (title or alias of another record) that the record does not mention;
* contains a URL, domain or phone number that is not in the record;
* echoes injected instructions ("theo yêu cầu của bạn", "bỏ qua hướng dẫn", words copied from an
  instruction inside the question);
* is not fluent: words that are not Vietnamese syllables ("nhữt", "nghđi"), or a phrase repeated
  three times (a small model looping).

Reasons are stable strings: ``empty too-long not-vietnamese not-english repetitive injection url
phone other-procedure fee time number document``.

This module owns the decision (``check_reply``, ``GuardResult``): the order of the checks and the
reason each one gives. What it checks with lives beside it: ``knowledge.guard_claims`` (the record's
citable text and the claim patterns), ``knowledge.guard_numbers`` (numbers with their units) and
``knowledge.guard_language`` (language, Vietnamese syllables, repetition); their public names are
importable from here too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from knowledge.bundle import Record
from knowledge.guard_claims import (
    DOC_GENERIC,
    FREE_CLAIM,
    FREE_IN_RECORD,
    INJECTION_MARKERS,
    PAID_CLAIM,
    PHONE,
    QUESTION_INJECTION_MARKERS,
    SAME_DAY_CLAIM,
    SAME_DAY_IN_RECORD,
    URL,
    doc_mentions,
    fee_texts,
    record_texts,
)
from knowledge.guard_language import (
    contains_phrase,
    language_problem,
    malformed_words,
    nfc,
    ngrams,
    norm,
    repetition,
    split_reply_sentences,
    valid_syllable,
)
from knowledge.guard_numbers import NumberMention, category, numbers_mentioned, record_numbers

__all__ = ["INJECTION_MARKERS", "MAX_CHARS", "MAX_SENTENCES", "OK", "QUESTION_INJECTION_MARKERS",
           "GuardResult", "NumberMention", "check_reply", "numbers_mentioned", "record_numbers",
           "record_texts", "split_reply_sentences", "valid_syllable"]

MAX_SENTENCES = 3
MAX_CHARS = 350


@dataclass(frozen=True, slots=True)
class GuardResult:
    ok: bool
    reason: str = ""  # "" when ok
    detail: str = ""  # what triggered it (for logs/tests; never the question text)


OK = GuardResult(True)


def check_reply(reply: str, record: Record, question: str = "", language: str = "vi", *,
                others: Sequence[Record] = (), max_sentences: int = MAX_SENTENCES,
                max_chars: int = MAX_CHARS) -> GuardResult:
    """Accept ``reply`` only if everything it states can be found in ``record`` (see module doc)."""
    reply = nfc(reply or "").strip()
    if not reply or not re.search(r"\w", reply):
        return GuardResult(False, "empty")
    texts = record_texts(record)
    corpus = nfc("\n".join(texts))
    corpus_low = corpus.lower()
    corpus_norm = norm(corpus)
    reply_low = reply.lower()
    reply_norm = norm(reply)

    # instructions echoed back
    for marker in INJECTION_MARKERS:
        if contains_phrase(reply_norm, norm(marker)) and not contains_phrase(corpus_norm, norm(marker)):
            return GuardResult(False, "injection", marker)
    q_norm = norm(question)
    if q_norm and any(contains_phrase(q_norm, norm(m)) for m in QUESTION_INJECTION_MARKERS):
        q_words, r_words = q_norm.split(), reply_norm.split()
        for gram in ngrams(r_words, 4) & ngrams(q_words, 4):
            if not contains_phrase(corpus_norm, " ".join(gram)):
                return GuardResult(False, "injection", " ".join(gram))

    # links and phone numbers
    for m in URL.finditer(reply):
        url = m.group(0).rstrip(".,;:)!?").lower()
        bare = re.sub(r"^(?:https?://)?(?:www\.)?", "", url).rstrip("/")  # "https://x.gov.vn/" = "x.gov.vn"
        if bare not in corpus_low:
            return GuardResult(False, "url", url)
    corpus_digits = re.sub(r"\D", "", corpus)
    for m in PHONE.finditer(reply):
        digits = re.sub(r"\D", "", m.group(0))
        if digits not in corpus_digits:
            return GuardResult(False, "phone", m.group(0))

    problem = language_problem(reply, language)
    if problem:
        return GuardResult(False, problem)
    if language == "vi":
        bad = malformed_words(reply)
        if len(bad) >= 2 or (bad and len(bad) * 10 > len(reply.split())):
            return GuardResult(False, "not-vietnamese", " ".join(bad[:3]))
    sentences = split_reply_sentences(reply)
    if len(sentences) > max_sentences or len(reply) > max_chars:
        return GuardResult(False, "too-long", f"{len(sentences)} sentences, {len(reply)} chars")
    repeated = repetition(reply, corpus_norm)
    if repeated:
        return GuardResult(False, "repetitive", repeated)

    # other procedures
    for other in others:
        if other.id == record.id:
            continue
        for phrase in (other.title, *other.aliases):
            p = norm(phrase)
            if len(p.split()) < 2 or len(p) < 8:
                continue
            if contains_phrase(reply_norm, p) and not contains_phrase(corpus_norm, p):
                return GuardResult(False, "other-procedure", other.id)

    # numbers (digits and spelled-out), classified by the unit after them
    # A fee or time amount must be in the record as a fee or time amount ("07" of "Nghị định 07/2025"
    # does not allow "7 ngày").
    allowed = record_numbers(texts)
    for mention in numbers_mentioned(reply):
        cat = category(mention.unit)
        known = allowed.get(mention.value, set())
        if not known or (cat != "other" and cat not in known):
            reason = {"money": "fee", "time": "time"}.get(cat, "number")
            return GuardResult(False, reason, f"{mention.value} {mention.unit}".strip())

    # fee and time claims without numbers
    fee_low = nfc(fee_texts(record)).lower()
    if FREE_CLAIM.search(reply_low) and not FREE_IN_RECORD.search(fee_low):
        return GuardResult(False, "fee", "free")
    if PAID_CLAIM.search(reply_low) and FREE_IN_RECORD.search(fee_low) and not re.search(r"\d", fee_low):
        return GuardResult(False, "fee", "paid")
    if SAME_DAY_CLAIM.search(reply_low) and not SAME_DAY_IN_RECORD.search(corpus_low):
        return GuardResult(False, "time", "same-day")

    # document names
    for doc in doc_mentions(reply):
        if doc in DOC_GENERIC or contains_phrase(corpus_norm, doc):
            continue
        words = doc.split()
        # "giấy chứng sinh bản" etc.: accept when the longest prefix of >= 3 words is in the record
        if len(words) >= 3 and contains_phrase(corpus_norm, " ".join(words[:3])):
            continue
        if words[:2] == ["giấy", "tờ"]:  # "giấy tờ ..." is generic ("giấy tờ cần mang")
            continue
        return GuardResult(False, "document", doc)
    return OK
