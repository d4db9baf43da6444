"""Every sentence the kiosk can say, as recording items with stable ids. Pure: no I/O.

An item is one thing a clerk reads aloud once: a fact's spoken form (say-form, or its sourced
sentence) with the fact's stable id, a record's title, a fixed sentence (refusals per kind, the
closing hedge, "no official information" per record and topic) or a connective ("Theo thông tin
tham khảo,", "Được.", "Cần mang:"). Answers glue some of these into one spoken sentence
("Đăng ký khai tử: khai tử làm ở …", "Cần mang: a; b; c."): ``knowledge.recordings.sentences.decompose``
splits such a sentence back into items, so each is recorded once and the sentence is played as its
items back to back.

The inventory is made complete by construction: besides listing the items, ``inventory`` composes
every template answer (each record × aspect) and every evidence sentence (each fact unit, first or
not) with the answerers' own functions and adds any piece that does not split into known items as
an item of its own (kind ``extra``, id from the text's hash).

Sentence ids are file-name safe (``[a-z0-9._-]``): a fact unit id ``khai-tu/documents/1#0`` becomes
``khai-tu.documents.1.s0``; ``khai-tu.title``; ``khai-tu.noinfo.fee``; ``fixed.hedge-end``;
``word.khong-duoc``; ``khai-tu.x-1a2b3c4d`` (extra). English items start with ``en.``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from knowledge.answer.confirm import FRAMES
from knowledge.answer.evidence import (
    ASK_TOPIC_VI,
    REFER_END_EN,
    REFER_END_VI,
    EvidenceAnswerer,
    absence_text,
    no_info_sentence,
    speak_units,
)
from knowledge.answer.facts import english_units, fact_paths, fact_units, legal_units
from knowledge.answer.select import Ask
from knowledge.answer.template import (
    ASPECT_VI,
    HEDGE_END_EN,
    HEDGE_END_VI,
    HEDGE_PREFIX_EN,
    HEDGE_PREFIX_VI,
    REFER_EN,
    REFER_VI,
    TemplateAnswerer,
    _spoken,
)
from knowledge.bundle.schema import Record, Status
from knowledge.recordings.sentences import decompose, loose
from knowledge.types import Aspect

SENTENCE_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,159}$")
LIST_INTROS_VI = ("Cần mang:", "Các bước:")
LIST_INTROS_EN = ("You need:", "The steps:")
CARD_SHOWN_EN = "The Vietnamese card is shown on the screen."


class Kind(StrEnum):
    FACT = "fact"  # a fact unit's spoken form
    TITLE = "title"  # a record's title (said before the first fact)
    CONNECTIVE = "connective"  # hedge opening, yes/no words, list openings
    FIXED = "fixed"  # refusals, the closing hedge
    NO_INFO = "no-info"  # "Máy chưa có thông tin chính thức về … của thủ tục …"
    EXTRA = "extra"  # a composed piece no other item covers


KIND_VI: dict[Kind, str] = {
    Kind.FACT: "nội dung", Kind.TITLE: "tên thủ tục", Kind.CONNECTIVE: "từ nối",
    Kind.FIXED: "câu cố định", Kind.NO_INFO: "chưa có thông tin", Kind.EXTRA: "câu ghép",
}


@dataclass(frozen=True, slots=True)
class Item:
    id: str  # file-name safe sentence id
    kind: Kind
    text: str  # what the clerk reads (a whole sentence, capitalised, ending in punctuation)
    language: str = "vi"
    fact_id: str = ""  # the stable fact id ("khai-tu/documents/1#0") for facts
    record_id: str = ""


def _sentence(text: str) -> str:
    s = " ".join(text.split()).strip()
    if not s:
        return s
    s = s[0].upper() + s[1:]
    return s if s.endswith((".", "!", "?", ":", ",")) else s + "."


def unit_sentence_id(unit_id: str) -> str:
    """``khai-tu/documents/1#0`` -> ``khai-tu.documents.1.s0``."""
    sid = unit_id.replace("/", ".").replace("#", ".s")
    return sid.lower()


def _slug(text: str) -> str:
    folded = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    ascii_ = "".join(c for c in folded if unicodedata.category(c) != "Mn").lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_).strip("-")


def _hash_id(prefix: str, text: str) -> str:
    return f"{prefix}.x-{hashlib.sha256(loose(text).encode()).hexdigest()[:8]}"


def fixed_items(language: str = "vi") -> list[Item]:
    """Sentences and connectives that belong to no record."""
    en = language == "en"
    refer = REFER_EN if en else REFER_VI
    items = [Item(f"fixed.refer-{_slug(k)}", Kind.FIXED, v, language) for k, v in refer.items()]
    items.append(Item("fixed.hedge-end", Kind.FIXED, HEDGE_END_EN if en else HEDGE_END_VI, language))
    items.append(Item("fixed.refer-end", Kind.FIXED, REFER_END_EN if en else REFER_END_VI, language))
    items.append(Item("connective.hedge", Kind.CONNECTIVE,
                      (HEDGE_PREFIX_EN if en else HEDGE_PREFIX_VI).strip(), language))
    intros = LIST_INTROS_EN if en else LIST_INTROS_VI
    items += [Item(f"connective.list-{n}", Kind.CONNECTIVE, t, language)
              for n, t in zip(("documents", "steps"), intros, strict=True)]
    if en:
        items.append(Item("fixed.card-shown", Kind.FIXED, CARD_SHOWN_EN, language))
    else:
        words = {w for frame in FRAMES.values() for w in (frame.yes, frame.no)}
        items += [Item(f"word.{_slug(w)}", Kind.CONNECTIVE, w, language) for w in sorted(words)]
    return items


def record_items(record: Record, language: str = "vi") -> list[Item]:
    """A record's title, its facts' spoken forms and (Vietnamese) its "no information" sentences."""
    en = language == "en"
    rid = record.id
    title = (record.title_en or "") if en else record.title
    items = [Item(f"{rid}.title", Kind.TITLE, _sentence(title), language, record_id=rid)] if title else []
    for u in fact_units(record):
        if u.status is Status.UNSOURCED:  # spoken only as what has no source
            text = absence_text(u)
            if text and not en:
                items.append(Item(unit_sentence_id(u.id), Kind.NO_INFO, _sentence(text), language, u.id, rid))
            continue
        text = u.spoken_en if en else u.spoken
        if text:
            items.append(Item(unit_sentence_id(u.id), Kind.FACT, _sentence(text), language, u.id, rid))
    if en:
        for u in english_units(record):
            text = absence_text(u, True)
            if text:
                items.append(Item(unit_sentence_id(u.id.replace("@", ".")), Kind.NO_INFO, _sentence(text),
                                  language, u.id, rid))
    for u in legal_units(record, english=en):  # said for a question about the legal basis
        items.append(Item(unit_sentence_id(u.id.replace("@", ".")), Kind.FACT, _sentence(u.spoken), language,
                          u.id, rid))
    if en:  # the template speaks a fact's say_en, else the first sentence of its text_en
        for path, _field, fact in fact_paths(record):
            text = _spoken(fact, "en") if fact.status is not Status.UNSOURCED else ""
            if text:
                fid = f"{rid}/{path}"
                sid = unit_sentence_id(fid) + ".en"
                items.append(Item(sid, Kind.FACT, _sentence(text), language, fid, rid))
        return items
    topics: dict[str, str] = {}
    for ask, topic in ASK_TOPIC_VI.items():
        topics.setdefault(topic, no_info_sentence(record, ask))
    for aspect, topic in ASPECT_VI.items():
        topics.setdefault(topic, _aspect_no_info(record, aspect))
    for topic, text in topics.items():
        items.append(Item(f"{rid}.noinfo.{_slug(topic)}", Kind.NO_INFO, text, language, record_id=rid))
    return items


def _aspect_no_info(record: Record, aspect: Aspect) -> str:
    from knowledge.answer.template import _Builder

    b = _Builder("vi", record.title, record)
    b.no_info(aspect)
    return b.sentences[0]


def composed_sentences(record: Record, language: str = "vi") -> list[str]:
    """Every sentence the answerers compose for ``record`` regardless of the question's words:
    the template answer of each aspect, and each fact unit spoken first (with the title, or hedged).
    A yes/no word before a fact is the word's item then the fact's (``decompose``)."""
    template = TemplateAnswerer()
    out: list[str] = []
    for aspect in Aspect:
        out.extend(template.answer("", record, aspect, language=language).sentences)
    if language == "en":
        return out
    for u in fact_units(record):  # first: title-prefixed or hedged; later ones are the unit alone
        if u.status is not Status.UNSOURCED:
            out.extend(speak_units("", record, [u])[0])
        elif absence_text(u):  # what has no source, said first, then the counter named
            said = EvidenceAnswerer().compose("", record, Aspect.GENERAL, [], ask=Ask.GENERAL, unsourced=u,
                                              speak_unsourced=True)
            out.extend(said.sentences)
    for u in legal_units(record):
        out.extend(speak_units("", record, [u])[0])
    return out


def inventory(records: Iterable[Record], language: str = "vi") -> list[Item]:
    """Every item, fixed ones first, then per record; complete for the composed answers."""

    recs = list(records)
    items = fixed_items(language)
    for r in recs:
        items.extend(record_items(r, language))
    if language != "vi":  # one id names one file: "en.fixed.hedge-end" beside "fixed.hedge-end"
        items = [replace(i, id=f"{language}.{i.id}") for i in items]
    items = _dedupe(items)
    known = {loose(i.text): i for i in items}
    extra: list[Item] = []
    for r in recs:
        for sentence in composed_sentences(r, language):
            if decompose(sentence, known) is not None:
                continue
            prefix = r.id if language == "vi" else f"{language}.{r.id}"
            item = Item(_hash_id(prefix, sentence), Kind.EXTRA, _sentence(sentence), language, record_id=r.id)
            if loose(item.text) not in known:
                known[loose(item.text)] = item
                extra.append(item)
    return items + extra


def _dedupe(items: Sequence[Item]) -> list[Item]:
    """One item per spoken text (a say-form equal to its only sentence is read once)."""
    seen: set[str] = set()
    ids: set[str] = set()
    out: list[Item] = []
    for i in items:
        key = loose(i.text)
        if not key or key in seen or i.id in ids:
            continue
        seen.add(key)
        ids.add(i.id)
        out.append(i)
    return out
