"""A record's facts as sourced sentences with stable ids. Pure: no I/O.

Every statement the kiosk may speak is a ``FactUnit`` whose id is derived from the record's field
path, so it stays the same while the record's wording does not move between fields:

* ``khai-tu/summary``, ``khai-tu/who``, ``khai-tu/where``, ``khai-tu/processing_time``,
  ``khai-tu/fee``, ``khai-tu/online``: the fact's spoken form (``say``), or its only sentence;
* ``khai-tu/documents/1``, ``khai-tu/steps/0``, ``khai-tu/fee/details/0``,
  ``khai-tu/fee/exemptions/0``, ``khai-tu/notes/2``: the same for list items;
* ``…#i`` (``khai-tu/summary#1``): sentence ``i`` of the fact's written text, for a fact whose
  text holds several sentences or that has a ``say`` form;
* ``…@en`` / ``…@en<i>`` (``english_units``): the fact's English ``say_en``, or sentence ``i`` of its
  ``text_en``, for questions asked in English;
* ``khai-tu/legal_basis/0`` (``legal_units``, ``…@en`` in English): one entry of the record's
  ``legal_basis`` list ("Luật Hộ tịch 2014 (60/2014/QH13) Điều 11, 32"), spoken only for a question
  about the legal basis (``select.Ask.LEGAL``); an entry the record marks "chưa chắc chắn" /
  "chưa đối chiếu" is uncertain (spoken hedged), its sources are the entry itself.

A fact with a ``say`` form gives a unit spoken as ``say``; its written sentences give units too
(spoken as written), so a question about what the say form leaves out ("trong 15 ngày") or about
the second sentence is answered with that sentence. At most one unit per fact is spoken.
``status`` and ``sources`` come from the fact.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from knowledge.bundle.schema import Fact, Record, Status, citations

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÀ-Ỹ0-9Đ\"“(])")
MIN_SENTENCE_CHARS = 16  # "Có." alone is no fact: it is joined to the sentence after it
# a full stop after these ends no sentence: "Form No. 01", "e.g. the ID card"
_ABBREVIATION = re.compile(r"(?:^|\s)(?:No|Nos|Art|Cl|cf|e\.g|i\.e|vs|approx)\.$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class FactUnit:
    id: str  # "khai-tu/documents/1", "khai-tu/summary#1"
    field: str  # "summary", "documents", "fee/details", "notes", …
    spoken: str  # what the kiosk says (Vietnamese)
    match: str  # the text questions are compared with
    status: Status
    sources: tuple[str, ...]
    text: str  # the fact's full text (for the screen and the checks)
    spoken_en: str = ""

    @property
    def fact_id(self) -> str:
        """The fact this unit comes from (the id without its sentence index or language tag)."""
        return re.split(r"[#@]", self.id, maxsplit=1)[0]


def fact_paths(record: Record) -> Iterator[tuple[str, str, Fact]]:
    """(path, field, fact) for every fact of the record, in record order."""
    yield "summary", "summary", record.summary
    if record.who is not None:
        yield "who", "who", record.who
    yield "where", "where", record.where
    for i, f in enumerate(record.documents):
        yield f"documents/{i}", "documents", f
    for i, f in enumerate(record.steps):
        yield f"steps/{i}", "steps", f
    yield "processing_time", "processing_time", record.processing_time
    yield "fee", "fee", record.fee
    for i, f in enumerate(record.fee.details):
        yield f"fee/details/{i}", "fee/details", f
    for i, f in enumerate(record.fee.exemptions):
        yield f"fee/exemptions/{i}", "fee/exemptions", f
    if record.online is not None:
        yield "online", "online", record.online
    for i, f in enumerate(record.notes):
        yield f"notes/{i}", "notes", f


def sentences_of(text: str) -> list[str]:
    """The sentences of a fact's text; a very short one ("Có.") is joined to the next."""
    parts: list[str] = []
    for p in (p.strip() for p in _SENTENCE_END.split(" ".join(text.split()))):
        if parts and _ABBREVIATION.search(parts[-1]):
            parts[-1] = f"{parts[-1]} {p}".strip()
        elif p:
            parts.append(p)
    out: list[str] = []
    carry = ""
    for p in parts:
        p = f"{carry} {p}".strip() if carry else p
        if len(p) < MIN_SENTENCE_CHARS:
            carry = p
            continue
        carry = ""
        out.append(p)
    if carry:
        if out:
            out[-1] = f"{out[-1]} {carry}"
        else:
            out.append(carry)
    return out


def _units(record: Record) -> tuple[FactUnit, ...]:
    units: list[FactUnit] = []
    for path, field, fact in fact_paths(record):
        fid = f"{record.id}/{path}"
        sents = sentences_of(fact.text)
        en = (fact.say_en or "").strip()

        def unit(uid: str, spoken: str, match: str, en: str = en, fact: Fact = fact,
                 field: str = field) -> FactUnit:
            return FactUnit(uid, field, spoken.strip(), match, fact.status, fact.sources,
                            " ".join(fact.text.split()), en)

        if fact.say:
            units.append(unit(fid, fact.say, fact.say))
        elif len(sents) <= 1:
            units.append(unit(fid, sents[0] if sents else fact.text, fact.text))
        if len(sents) > 1 or (fact.say and sents):
            # the written sentences too: a say form may leave out what is asked
            units.extend(unit(f"{fid}#{i}", s, s, "") for i, s in enumerate(sents))
    return tuple(units)


@lru_cache(maxsize=256)
def _cached(record: Record) -> tuple[FactUnit, ...]:
    return _units(record)


def fact_units(record: Record) -> tuple[FactUnit, ...]:
    """Every speakable unit of the record (cached per record object; records are frozen)."""
    try:
        return _cached(record)
    except TypeError:  # an unhashable record (never for bundle records): no cache
        return _units(record)


def _english(record: Record) -> tuple[FactUnit, ...]:
    units: list[FactUnit] = []
    for path, field, fact in fact_paths(record):
        fid = f"{record.id}/{path}"
        text = " ".join((fact.text_en or "").split())
        sents = sentences_of(text) if text else []

        def unit(uid: str, spoken: str, fact: Fact = fact, field: str = field, text: str = text) -> FactUnit:
            return FactUnit(uid, field, spoken.strip(), spoken.strip(), fact.status, fact.sources,
                            text, spoken.strip())

        if fact.say_en:
            units.append(unit(f"{fid}@en", fact.say_en))
        elif len(sents) == 1:
            units.append(unit(f"{fid}@en", sents[0]))
        if len(sents) > 1 or (fact.say_en and sents):
            units.extend(unit(f"{fid}@en{i}", s) for i, s in enumerate(sents))
    return tuple(units)


@lru_cache(maxsize=256)
def _cached_en(record: Record) -> tuple[FactUnit, ...]:
    return _english(record)


def english_units(record: Record) -> tuple[FactUnit, ...]:
    """The units an English question is answered with: the facts' ``say_en`` and ``text_en``
    sentences (a fact without English text has none)."""
    try:
        return _cached_en(record)
    except TypeError:
        return _english(record)


LEGAL_FIELD = "legal_basis"
# an entry's own remark that it was not checked: the entry is spoken hedged, the remark left out
_UNCHECKED = re.compile(r"\s*\((?=[^()]*chưa)[^()]*\)|[;,]?\s*chưa (?:chắc chắn|đối chiếu|đọc)[^()]*$")
_EN_WORDS = (("văn bản sửa đổi", "amending documents"), ("Bộ luật", "Code"), ("Luật", "Law on"),
             ("Nghị định", "Decree"), ("Thông tư", "Circular"), ("Quyết định", "Decision"),
             ("Nghị quyết", "Resolution"), ("Điều", "Article"), ("Mẫu số", "Form No."),
             ("sửa đổi", "amending"), ("sửa bởi", "amended by"), ("thay", "replacing"), ("từ", "from"),
             ("và", "and"), ("hiệu lực", "in force from"), ("ngày", ""))
# a descriptive tail in Vietnamese ("về định danh…", "quy định chuẩn nghèo…"): not read in English
_EN_TAIL = re.compile(r"\s+(?:về|quy định|phân định|công bố|thủ tục|nhóm|lĩnh vực)\b[^()]*")


def _legal_en(entry: str) -> str:
    text = _EN_TAIL.sub(" ", _UNCHECKED.sub("", entry))
    text = re.sub(r"\s*\((?![^()]*\d)[^()]*\)", "", text)  # remarks without a number: Vietnamese words
    for vi, en in _EN_WORDS:
        text = re.sub(rf"\b{vi}\b", en, text)
    return " ".join(text.replace("(", " (").split()).strip(" ;,")


def _legal(record: Record, english: bool) -> tuple[FactUnit, ...]:
    units: list[FactUnit] = []
    for i, entry in enumerate(record.legal_basis):
        entry = " ".join(entry.split())
        status = Status.UNCERTAIN if re.search(r"chưa (?:chắc chắn|đối chiếu|đọc)", entry) else Status.SOURCED
        vi = _UNCHECKED.sub("", entry).strip(" ;,")
        uid = f"{record.id}/{LEGAL_FIELD}/{i}"
        if english:
            en = _legal_en(entry)
            units.append(FactUnit(f"{uid}@en", LEGAL_FIELD, f"The legal basis is {en}", en, status, (entry,),
                                  entry, f"The legal basis is {en}"))
        else:
            units.append(FactUnit(uid, LEGAL_FIELD, f"Căn cứ pháp lý là {vi}", vi, status, (entry,), entry))
    return tuple(units)


@lru_cache(maxsize=256)
def _cached_legal(record: Record, english: bool) -> tuple[FactUnit, ...]:
    return _legal(record, english)


def legal_units(record: Record, *, english: bool = False) -> tuple[FactUnit, ...]:
    """One unit per entry of the record's ``legal_basis`` (English: the entry with its document types
    in English, "Nghị định" → "Decree", its Vietnamese description left out)."""
    try:
        return _cached_legal(record, english)
    except TypeError:
        return _legal(record, english)


CITED = "/cited"  # the id suffix of a fact's citation unit ("khai-tu/fee/cited", "…/cited@en")


def citation_unit(unit: FactUnit, *, english: bool = False) -> FactUnit | None:
    """What the record cites for the fact ``unit`` speaks: its sources that are legal citations
    ("Luật Cư trú 2020, Điều 28"), not source keys ("S10"); None when it cites none. Spoken for
    "which article sets this" (fact method 8), with the fact's own status (an uncertain fact's
    citation is hedged too)."""
    cites = citations(unit.sources)
    if not cites:
        return None
    vi = "; ".join(" ".join(c.split()) for c in cites)
    uid = f"{unit.fact_id}{CITED}"
    if english:
        en = _legal_en(vi)
        return FactUnit(f"{uid}@en", LEGAL_FIELD, f"This is set by {en}", en, unit.status, cites, vi,
                        f"This is set by {en}")
    return FactUnit(uid, LEGAL_FIELD, f"Việc này được quy định tại {vi}", vi, unit.status, cites, vi)


def fact_id_of(record: Record, fact: Fact) -> str:
    """The stable id of ``fact`` (an object of ``record``): "khai-tu/fee/details/0"."""
    for path, _field, f in fact_paths(record):
        if f is fact:
            return f"{record.id}/{path}"
    raise KeyError("fact is not part of this record")


def unit_by_id(record: Record, uid: str) -> FactUnit | None:
    en = "@" in uid
    if CITED in uid:
        fid = uid.split(CITED, 1)[0]
        cited = next((u for u in fact_units(record) if u.fact_id == fid), None)
        return citation_unit(cited, english=en) if cited is not None else None
    pool = english_units(record) if en else fact_units(record)
    if f"/{LEGAL_FIELD}/" in uid:
        pool = legal_units(record, english=en)
    return next((u for u in pool if u.id == uid), None)
