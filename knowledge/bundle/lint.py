"""Content checks on bundle records beyond the schema: what a clerk would want flagged.

Errors block a build or an import; warnings are reported and do not block. Pure (no I/O).

Errors: a spoken form (``say``/``say_en``) stating a number, in digits or in words, that its fact's
text lacks (``say_number_issues``); duplicate procedure ids or titles (compared after NFC
normalisation and case folding, so an NFD copy of a title is a duplicate), an empty fee text, a
record whose fee is missing, an ``online_url`` (the QR code residents scan) that is not https on an
allowed host (``url_hosts``, default gov.vn and its subdomains), a source URL that is not an http(s)
address of a named host.
Warnings: a fee with no amount and no "miễn"/"không thu" wording (suspicious), a processing time with
no number and no "ngay"/"trong ngày", aliases shared by two procedures (the kiosk may confuse them),
listed sources never cited, an ``updated`` date in the future; counts of uncertain and unsourced facts
(these are spoken with a hedge, or "chưa có thông tin", never guessed).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from kiosk_app.core.errors import Detail
from knowledge.bundle.limits import DEFAULT_URL_HOSTS, check_url
from knowledge.bundle.schema import Fact, Record, Status, numbers_in
from knowledge.bundle.spoken_numbers import format_number, unsupported_numbers

_FREE_WORDS = ("miễn", "không thu", "không mất", "không phải nộp", "không phải đóng", "không phải trả",
               "không có lệ phí", "không có phí", "free", "no fee")
_TIME_WORDS = ("ngay", "trong ngày", "tức thì", "immediately")


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Issue:
    severity: Severity
    record_id: str | None
    message: str  # English, for logs and the CLI
    reason: str  # stable key of the staff sentence (kiosk_app/ui/bundle_messages.py)
    details: Mapping[str, Detail] = field(default_factory=dict, hash=False)

    def __str__(self) -> str:
        where = f"{self.record_id}: " if self.record_id else ""
        return f"{self.severity}: {where}{self.message}"


@dataclass(frozen=True, slots=True)
class LintReport:
    issues: tuple[Issue, ...]
    record_count: int
    fact_count: int
    uncertain_count: int
    unsourced_count: int

    @property
    def errors(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.severity is Severity.WARNING)

    @property
    def ok(self) -> bool:
        return not self.errors


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text).strip().casefold())


MIN_EXAMPLES = 8  # example questions per record below which the builder warns


def source_url_problem(url: str) -> str | None:
    """A source URL (never shown to residents) must be an http(s) address of a named host."""
    m = re.match(r"^(https?)://([A-Za-z0-9.-]+)(?:[/?#]\S*)?$", url)
    if m is None or "." not in m.group(2):
        return "source URL must be http(s)://host/... (no javascript:, data:, file:, user name or port)"
    return None


def fact_fields(r: Record) -> Iterable[tuple[str, Fact]]:
    """Every fact of ``r`` with its field path as written in the record: "fee", "documents[2]"."""
    yield "summary", r.summary
    if r.who:
        yield "who", r.who
    yield "where", r.where
    yield from ((f"documents[{i}]", f) for i, f in enumerate(r.documents))
    yield from ((f"steps[{i}]", f) for i, f in enumerate(r.steps))
    yield "processing_time", r.processing_time
    yield "fee", r.fee
    yield from ((f"fee.details[{i}]", f) for i, f in enumerate(r.fee.details))
    yield from ((f"fee.exemptions[{i}]", f) for i, f in enumerate(r.fee.exemptions))
    if r.online:
        yield "online", r.online
    yield from ((f"notes[{i}]", f) for i, f in enumerate(r.notes))


def say_number_issues(r: Record) -> list[Issue]:
    """A spoken form (``say``, ``say_en``) may state only numbers its fact's ``text``/``text_en``
    states, in digits or in words (``knowledge.bundle.spoken_numbers``): "hai trăm nghìn đồng" needs
    200.000 (or "hai trăm nghìn") in the text. The kiosk speaks the say-form and shows the text, so
    a mismatch would tell a resident one fee and show another."""
    issues = []
    for path, fact in fact_fields(r):
        texts = [fact.text, fact.text_en or ""]
        for name, spoken in (("say", fact.say), ("say_en", fact.say_en)):
            extra = unsupported_numbers(spoken, texts) if spoken else []
            if not extra or spoken is None:
                continue
            nums = ", ".join(format_number(v) for v in extra)
            nums_vi = ", ".join(format_number(v).replace(",", ".") for v in extra)  # 200.000
            issues.append(Issue(
                Severity.ERROR, r.id,
                f"{path}.{name} states {nums}, which {path}.text"
                f"{' and text_en do' if fact.text_en else ' does'} not contain (a spoken form may only use "
                f"the numbers of its text, in digits or words): {spoken[:80]!r}",
                "say-numbers", {"rid": r.id, "path": path, "form": name, "numbers": nums_vi}))
    return issues


def lint_records(records: Iterable[Record], *, today: date | None = None,
                 url_hosts: tuple[str, ...] = DEFAULT_URL_HOSTS) -> LintReport:
    recs = list(records)
    today = today or date.today()
    issues: list[Issue] = []

    def add(sev: Severity, rid: str, en: str, reason: str, **details: Detail) -> None:
        issues.append(Issue(sev, rid, en, reason, {"rid": rid, **details}))

    for rid, n in Counter(r.id for r in recs).items():
        if n > 1:
            add(Severity.ERROR, rid, f"procedure id used by {n} records", "duplicate-id")
    titles = Counter(_norm(r.title) for r in recs)
    for r in recs:
        if titles[_norm(r.title)] > 1:
            add(Severity.ERROR, r.id, f"title '{r.title}' is used by another record",
                "duplicate-title", title=r.title)
    alias_owner: dict[str, str] = {}
    for r in recs:
        for a in {_norm(x) for x in (r.title, *r.aliases)}:
            other = alias_owner.setdefault(a, r.id)
            if other != r.id:
                add(Severity.WARNING, r.id, f"alias '{a}' is also used by {other}",
                    "duplicate-alias", alias=a, other=other)

    for r in recs:
        if len(r.examples) < MIN_EXAMPLES:
            add(Severity.WARNING, r.id, f"only {len(r.examples)} example questions (want {MIN_EXAMPLES}+)",
                "few-examples", count=len(r.examples), min=MIN_EXAMPLES)
        if r.online_url:
            problem = check_url(r.online_url, url_hosts, "online_url")
            if problem:
                add(Severity.ERROR, r.id, problem, "online-url-host", hosts=", ".join(url_hosts))
        for src in r.sources:
            problem = source_url_problem(src.url) if src.url else None
            if problem:
                add(Severity.ERROR, r.id, f"source {src.key}: {problem}",
                    "source-url", source=src.key)

    facts = uncertain = unsourced = 0
    for r in recs:
        fee = r.fee.text.strip()
        if not fee:
            add(Severity.ERROR, r.id, "fee text is empty", "fee-missing")
        elif (r.fee.status is Status.SOURCED and not numbers_in(fee)
              and not any(w in fee.casefold() for w in _FREE_WORDS)):
            add(Severity.WARNING, r.id, f"fee '{fee[:60]}' states no amount and no exemption",
                "fee-no-amount")
        for fact in r.facts():
            if not fact.text.strip():
                add(Severity.ERROR, r.id, "a fact has empty text", "empty-fact")
        pt = r.processing_time
        if (pt.status is Status.SOURCED and not numbers_in(pt.text)
                and not any(w in pt.text.casefold() for w in _TIME_WORDS)):
            add(Severity.WARNING, r.id, "processing time states no duration",
                "time-no-duration")
        cited = {s for f in r.facts() for s in f.sources} | set(r.legal_basis)
        for src in r.sources:
            if not any(c.startswith(src.key) for c in cited):
                add(Severity.WARNING, r.id, f"source {src.key} is listed but never cited",
                    "source-uncited", source=src.key)
        issues.extend(say_number_issues(r))
        if r.updated > today:
            add(Severity.WARNING, r.id, f"updated date {r.updated} is in the future",
                "updated-future", updated=r.updated)
        for fact in r.facts():
            facts += 1
            uncertain += fact.status is Status.UNCERTAIN
            unsourced += fact.status is Status.UNSOURCED
    return LintReport(tuple(issues), len(recs), facts, uncertain, unsourced)
