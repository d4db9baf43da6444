"""The procedure card: a Record turned into headed sections of display lines. Pure, no Kivy.

Every line is a fact from the record, shown as written. A fact with status ``uncertain`` carries a
visible hedge; an ``unsourced`` one is shown as "Chưa có thông tin chính thức", never as a guess.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk_app.ui.messages import ui_text
from knowledge.bundle.schema import Fact, Record, Status


@dataclass(frozen=True, slots=True)
class CardLine:
    text: str
    status: Status = Status.SOURCED


@dataclass(frozen=True, slots=True)
class CardSection:
    key: str  # stable: "documents", "time", "fee", ... (tests and styling use it)
    heading: str
    lines: tuple[CardLine, ...]


def fact_line(fact: Fact, language: str = "vi") -> CardLine:
    t = ui_text(language)
    if fact.status is Status.UNSOURCED:
        return CardLine(t["unsourced"], Status.UNSOURCED)
    text = (fact.text_en if language == "en" and fact.text_en else fact.text).strip()
    if fact.status is Status.UNCERTAIN:
        text += t["uncertain"]
    return CardLine(text, fact.status)


def card_sections(record: Record, language: str = "vi") -> list[CardSection]:
    t = ui_text(language)
    out: list[CardSection] = []

    def add(key: str, facts: list[Fact] | tuple[Fact, ...]) -> None:
        if facts:
            out.append(CardSection(key, t[f"sec_{key}"], tuple(fact_line(f, language) for f in facts)))

    add("summary", [record.summary])
    add("documents", record.documents)
    if language == "en" and record.documents:  # issue 10: the Vietnamese names, to show at the counter
        out.append(CardSection("documents_vi", t["sec_documents_vi"],
                               tuple(fact_line(f, "vi") for f in record.documents)))
    add("time", [record.processing_time])
    add("fee", [record.fee])
    add("fee_details", record.fee.details)
    add("exemptions", record.fee.exemptions)
    add("where", [record.where])
    add("who", [record.who] if record.who else [])
    add("online", [record.online] if record.online else [])
    add("steps", record.steps)
    add("notes", record.notes)
    if record.legal_basis:
        out.append(CardSection("legal", t["sec_legal"], tuple(CardLine(x) for x in record.legal_basis)))
    if record.sources:
        out.append(CardSection("sources", t["sec_sources"],
                               tuple(CardLine(s.title) for s in record.sources)))
    out.append(CardSection("updated", "", (CardLine(t["updated"] + record.updated.strftime("%d/%m/%Y")),)))
    return out


def card_title(record: Record, language: str = "vi") -> str:
    return (record.title_en if language == "en" and record.title_en else None) or record.title
