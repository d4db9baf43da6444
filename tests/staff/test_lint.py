"""Content checks that block a build (errors) or are reported (warnings)."""

from __future__ import annotations

from datetime import date

import pytest

from kiosk_app.ui.bundle_messages import staff_vi
from knowledge.bundle.lint import Severity, lint_records
from knowledge.bundle.schema import Record


def _with(rec: Record, **fee: object) -> Record:
    return rec.model_copy(update={"fee": rec.fee.model_copy(update=fee)})


def test_sample_has_no_errors(sample_records: list[Record]) -> None:
    rep = lint_records(sample_records, today=date(2026, 11, 23))
    assert rep.ok, [str(i) for i in rep.errors]
    assert rep.record_count == len(sample_records)
    assert rep.unsourced_count > 0 and rep.uncertain_count > 0  # counted, not hidden


@pytest.mark.parametrize(("fee_text", "severity"), [
    ("   ", Severity.ERROR),
    ("Theo quy định", Severity.WARNING),
    ("Miễn lệ phí", None),
    ("Không thu lệ phí", None),
    ("8.000 đồng/bản", None),
])
def test_fee_checks(small_records: list[Record], fee_text: str, severity: Severity | None) -> None:
    rec = _with(small_records[0], text=fee_text)
    issues = [i for i in lint_records([rec], today=date(2026, 11, 23)).issues if "fee" in i.message]
    assert [i.severity for i in issues] == ([severity] if severity else [])
    if severity is Severity.ERROR:
        assert staff_vi(issues[0]) == "Bản ghi khai-sinh thiếu trường lệ phí."


def test_duplicates_are_errors_and_shared_aliases_warnings(small_records: list[Record]) -> None:
    a = small_records[0]
    b = small_records[1].model_copy(update={"title": a.title, "aliases": (a.aliases[0],)})
    rep = lint_records([a, a, b], today=date(2026, 11, 23))
    msgs = [(i.severity, i.record_id, i.message) for i in rep.issues]
    assert (Severity.ERROR, "khai-sinh", "procedure id used by 2 records") in msgs
    assert any(s is Severity.ERROR and "title" in m for s, _r, m in msgs)
    assert any(s is Severity.WARNING and r == "ket-hon" and "alias" in m for s, r, m in msgs)


def test_future_update_date_is_a_warning(small_records: list[Record]) -> None:
    rep = lint_records(small_records[:1], today=date(2020, 1, 1))
    assert any("future" in w.message for w in rep.warnings) and rep.ok


def test_qr_address_with_a_look_alike_letter_is_refused() -> None:
    """A host that reads as dichvucong.gov.vn but carries a Cyrillic "о" (found by the independent
    crafted set, bench/bench_crafted.py) is not the government's site."""
    from knowledge.bundle.limits import check_url

    assert check_url("https://dichvucong.gov.vn/p/home", ("gov.vn",), "online_url") is None
    problem = check_url("https://dichvuc\u043eng.gov.vn/p/home", ("gov.vn",), "online_url")
    assert problem is not None and "non-ASCII" in problem
