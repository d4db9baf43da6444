"""The clerk's Excel template: sample → xlsx → records with the same facts; edits and mistakes."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from kiosk_app.core.errors import BundleError
from kiosk_app.ui.bundle_messages import staff_vi
from knowledge.bundle.excel import (
    FIRST_ROW,
    KEY_ROW,
    SHEET,
    format_fact,
    parse_fact_line,
    read_template,
    write_template,
)
from knowledge.bundle.schema import Fact, Record, Status


def test_sample_round_trips_through_the_workbook(tmp_path: Path, sample_records: list[Record]) -> None:
    path = write_template(sample_records, tmp_path / "mau.xlsx")
    back = read_template(path)
    assert [r.id for r in back] == [r.id for r in sample_records]
    for a, b in zip(sample_records, back, strict=True):
        assert b.model_dump() == a.model_dump(), a.id  # every fact, status, note, source, translation


@pytest.mark.parametrize("fact", [
    Fact(text="Miễn lệ phí.", sources=("S7", "Luật Hộ tịch 2014, Điều 11 khoản 1")),
    Fact(text="Hà Nội 5.000 đồng/việc.", status=Status.UNCERTAIN, note="nguồn thứ cấp (S20)",
         sources=("S20",)),
    Fact(text="Chưa tìm được nguồn", status=Status.UNSOURCED),
    Fact(text="(Nếu có) giấy ủy quyền", sources=("S1",)),
    Fact(text="Có ghi chú", note="đối chiếu 2026", sources=("S1",)),
])
def test_one_fact_per_line_round_trips(fact: Fact) -> None:
    assert Fact.model_validate(parse_fact_line(format_fact(fact))) == fact


def test_line_convention_reads_as_documented() -> None:
    got = parse_fact_line("(chưa chắc chắn: nguồn thứ cấp) Quá hạn: 5.000 đồng [nguồn: S20; S7]")
    assert got == {"text": "Quá hạn: 5.000 đồng", "sources": ["S20", "S7"], "status": "uncertain",
                   "note": "nguồn thứ cấp"}


def _edit(path: Path, rid: str, column: str, value: object) -> None:
    wb = load_workbook(path)
    ws = wb[SHEET]
    keys = [c.value for c in ws[KEY_ROW]]
    for row in ws.iter_rows(min_row=FIRST_ROW):
        if row[keys.index("id")].value == rid:
            row[keys.index(column)].value = value
    wb.save(path)


def test_a_clerk_edit_reaches_the_record(tmp_path: Path, small_records: list[Record]) -> None:
    path = write_template(small_records, tmp_path / "t.xlsx")
    _edit(path, "khai-sinh", "fee", "(chưa chắc chắn: chờ nghị quyết mới) Lệ phí 10.000 đồng [nguồn: S7]")
    _edit(path, "khai-sinh", "fee.say", None)
    rec = {r.id: r for r in read_template(path)}["khai-sinh"]
    assert rec.fee.text == "Lệ phí 10.000 đồng" and rec.fee.status is Status.UNCERTAIN
    assert rec.fee.details == small_records[0].fee.details  # the rest of the row is unchanged


def test_a_deleted_fee_is_named_in_vietnamese(tmp_path: Path, small_records: list[Record]) -> None:
    path = write_template(small_records, tmp_path / "t.xlsx")
    _edit(path, "khai-sinh", "fee", None)
    with pytest.raises(BundleError) as exc:
        read_template(path)
    assert staff_vi(exc.value) == "Bản ghi khai-sinh thiếu trường lệ phí."
    errors: list[BundleError] = []
    assert [r.id for r in read_template(path, errors)] == ["ket-hon", "khai-tu"]  # report mode goes on
    assert len(errors) == 1


def test_side_column_longer_than_its_fact_column_is_an_error(tmp_path: Path,
                                                             small_records: list[Record]) -> None:
    path = write_template(small_records, tmp_path / "t.xlsx")
    _edit(path, "khai-tu", "documents.say", "\n".join(["x"] * 40))
    with pytest.raises(BundleError, match=r"documents\.say"):
        read_template(path)


def test_not_a_workbook_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "x.xlsx"
    bad.write_text("not excel")
    with pytest.raises(BundleError) as exc:
        read_template(bad)
    assert "Excel" in staff_vi(exc.value)
