"""Which entry of a record's legal basis answers "which law / decree / article?". Pure: no I/O.

A question about the legal basis (``select.Ask.LEGAL``: "theo nghị định nào", "căn cứ pháp lý",
"which decree governs …") is answered with the record's own ``legal_basis`` entries
(``facts.legal_units``), never with a summary. An entry is scored by

* the kind of document the question names ("thông tư nào" → a Thông tư, "which decree" → a Nghị
  định), the strongest cue;
* a number the question quotes that the entry states ("giai đoạn 2022–2025", "Decree 69");
* the wording shared by the question and what the document is about: the entry's own words and the
  facts of the record that cite it in their ``sources`` ("Nghị định 07/2021/NĐ-CP" cited by the
  poverty-line fact answers "which decree sets the poverty line").

The best entry is spoken; when nothing in the question tells the entries apart, the first two (the
record lists the main law first) are.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from knowledge.answer.facts import FactUnit, fact_paths
from knowledge.answer.rank import english_overlap
from knowledge.answer.select import ARTICLE_ASK, lexical_overlap
from knowledge.bundle.schema import Record, numbers_in
from knowledge.understand.normalize import fold_diacritics, normalize_vi

# The kinds of legal document, as a question names them and as an entry begins.
_TYPES_VI: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("bộ luật", ("Bộ luật",)), ("luật", ("Luật", "Bộ luật")), ("nghị định", ("Nghị định",)),
    ("thông tư", ("Thông tư",)), ("quyết định", ("Quyết định",)), ("nghị quyết", ("Nghị quyết",)),
)
_TYPES_EN: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("code", ("Bộ luật",)), ("law", ("Luật", "Bộ luật")), ("decree", ("Nghị định",)),
    ("circular", ("Thông tư",)), ("decision", ("Quyết định",)), ("resolution", ("Nghị quyết",)),
)
W_TYPE, W_NUMBER, W_WORDS = 2.0, 1.0, 1.0
MAX_LEGAL = 2


# "which article": the ``select`` / ``rank`` legal-ask wording for an article (fact method 8)
_ARTICLE_VI = re.compile(rf"\b{ARTICLE_ASK}\b")
_ARTICLE_FOLDED = re.compile(rf"\b{fold_diacritics(ARTICLE_ASK)}\b")
_ARTICLE_EN = re.compile(r"\barticles?\b")


def asks_article(question: str, english: bool = False) -> bool:
    """The question asks which article sets a rule ("điều mấy", "which article"): answered by the
    asked fact's own citation (``facts.citation_unit``), not by the record's list of laws."""
    if english:
        return bool(_ARTICLE_EN.search(question.lower()))
    q = normalize_vi(question)
    return bool(_ARTICLE_VI.search(q) or (fold_diacritics(q) == q and _ARTICLE_FOLDED.search(q)))


def cites_what_is_named(question: str, record: Record, citations: Sequence[str], *,
                        english: bool = False) -> bool:
    """Whether a fact's ``citations`` name the document the question names, if it names one (fact
    method 9): "which article of Decree 123/2015 …" is not answered by a fact that cites another
    decree; the record's legal-basis entry for Decree 123/2015 is. The question names a document by
    its kind ("nghị định", "law") and by a number of three or more digits that one of the record's
    legal-basis entries states ("123", "2015")."""
    types = _named_types(question, english)
    known = {n for entry in record.legal_basis for n in numbers_in(entry)}
    quoted = {n for n in numbers_in(question) if len(n) >= 3} & known
    return any((not types or any(c.startswith(t) for t in types))
               and (not quoted or bool(quoted & numbers_in(c))) for c in citations)


def _named_types(question: str, english: bool) -> set[str]:
    if english:
        q = question.lower()
        return {p for word, prefixes in _TYPES_EN if re.search(rf"(?<!-)\b{word}s?\b", q) for p in prefixes}
    q = normalize_vi(question)
    folded = fold_diacritics(q) == q
    out: set[str] = set()
    for word, prefixes in _TYPES_VI:
        w = fold_diacritics(word) if folded else word
        if re.search(rf"\b{w}\b", q) and not re.search(rf"\b{w} (?:cho|công nhận|hưởng)\b", q):
            out.update(prefixes)
    return out


def _cited_texts(record: Record, entry: str, english: bool) -> list[str]:
    """The texts of the record's facts whose sources name the entry's document."""
    out: list[str] = []
    for _path, _field, fact in fact_paths(record):
        heads = {s.split(",")[0].strip() for s in fact.sources}
        if any(len(h) >= 6 and entry.startswith(h) for h in heads):
            text = (fact.text_en or "") if english else fact.text
            if text:
                out.append(text)
    return out


def _words(question: str, text: str, english: bool) -> float:
    if english:
        return english_overlap(question, text)
    q = normalize_vi(question)
    if fold_diacritics(q) == q:  # typed without diacritics
        return lexical_overlap(q, fold_diacritics(normalize_vi(text)))
    return lexical_overlap(question, text)


def legal_scores(question: str, record: Record, units: Sequence[FactUnit], *,
                 english: bool = False) -> list[tuple[FactUnit, float]]:
    """Every legal-basis unit with its score, best first (ties keep the record's order)."""
    types = _named_types(question, english)
    q_numbers = numbers_in(question)
    scored: list[tuple[FactUnit, float, int]] = []
    for pos, u in enumerate(units):
        entry = u.sources[0] if u.sources else u.text
        s = W_TYPE * float(any(entry.startswith(t) for t in types))
        s += W_NUMBER * float(bool(q_numbers & numbers_in(entry)))
        texts = [u.match, *_cited_texts(record, entry, english)]
        s += W_WORDS * max(_words(question, t, english) for t in texts)
        scored.append((u, s, pos))
    scored.sort(key=lambda x: (-x[1], x[2]))
    return [(u, s) for u, s, _ in scored]


def choose_legal(question: str, record: Record, units: Sequence[FactUnit], *,
                 english: bool = False) -> list[FactUnit]:
    """The entries to speak: the best one, or the first two when the question tells none apart."""
    ranked = legal_scores(question, record, units, english=english)
    if not ranked:
        return []
    best = ranked[0][1]
    if len(ranked) > 1 and ranked[1][1] >= best:  # nothing in the question prefers one entry
        return [u for u, _ in ranked[:MAX_LEGAL]]
    return [ranked[0][0]]
