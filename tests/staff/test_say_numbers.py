"""Issue 17, crafted bundle 59: a say-form (what the kiosk speaks) may state only the numbers of its
fact's text (what the screen shows), whether it says them in digits or in words.

Tables for the number reader (``knowledge.bundle.spoken_numbers``), a round trip against the kiosk's own
number reader-aloud (``speech.text.vi_numbers``), and the lint, builder and importer refusing such a record.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from kiosk_app.core.errors import ErrorCode
from kiosk_app.ui.bundle_messages import staff_vi
from knowledge.bundle.build import build_bundle_file
from knowledge.bundle.lint import lint_records
from knowledge.bundle.schema import Record, load_records_dir
from knowledge.bundle.spoken_numbers import numbers_stated, unsupported_numbers, vi_value
from speech.text.vi_numbers import read_number

D = Decimal
REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("text", "reading"), [
    ("Khai tử phải nộp hai trăm nghìn đồng.", {200000}),
    ("năm mươi nghìn đồng", {50000}),
    ("hai mươi lăm ngày", {25}),
    ("mười lăm ngày", {15}),
    ("một trăm nghìn", {100000}),
    ("sáu tháng", {6}),
    ("hai mươi nghìn", {20000}),
    ("một trăm linh năm", {105}),
    ("một trăm lẻ năm", {105}),
    ("hai mươi mốt", {21}),
    ("hai mươi tư", {24}),
    ("ba mươi nhăm", {35}),
    ("ba chục", {30}),
    ("hai nghìn không trăm hai mươi sáu", {2026}),
    ("một triệu năm trăm nghìn", {1500000}),
    ("hai nghìn rưỡi", {2500}),
    ("một triệu rưỡi", {1500000}),
    ("mười ngàn đồng", {10000}),
    ("hai tỷ", {2_000_000_000}),
    ("không phẩy năm phần trăm", {D("0.5")}),
    ("Gọi một không hai hai", {1022}),  # digit by digit: a hotline
    ("200.000 đồng", {200000}),
    ("200,000 VND", {200000}),
    ("200 000 đồng", {200000}),
    ("２００.０００ đồng", {200000}),  # full-width digits
    ("0,5%", {D("0.5")}),
    ("từ 01/7/2026", {1, 7, 2026}),
    ("after 15:00", {15}),
    ("two hundred thousand dong", {200000}),
    ("twenty-five days", {25}),
    ("a hundred and five", {105}),
    ("one million five hundred thousand", {1500000}),
    ("fifteen working days", {15}),
])
def test_the_numbers_a_sentence_states(text: str, reading: set[Any]) -> None:
    assert frozenset(D(v) for v in reading) in numbers_stated(text)


@pytest.mark.parametrize(("text", "why"), [
    ("Khai tử đúng hạn thì được miễn lệ phí.", "no number at all"),
    ("Luật Hộ tịch năm 2014", "năm = year before a written year"),
    ("hằng năm", "năm = year"),
    ("Một số nhà ở riêng lẻ được miễn", "một số = some; riêng lẻ = detached"),
    ("Quá hạn thì Hà Nội thu 5.000 đồng một việc.", "một = per"),
    ("Không phải làm hồ sơ riêng", "không = not"),
    ("Sở Tư pháp", "tư pháp = justice"),
    ("hai bên tự nguyện", "hai bên = both sides"),
    ("one of the parents", "one = a person"),
])
def test_ordinary_words_need_not_be_numbers(text: str, why: str) -> None:
    """A reading without the ambiguous word as a number exists (so a text need not contain it)."""
    allowed = {D(5000), D(2014)}
    assert any(r <= allowed for r in numbers_stated(text)), why


@pytest.mark.parametrize("n", [*range(0, 131), 205, 999, 1000, 1005, 1015, 2025, 2026, 5000, 15000, 25000,
                               50000, 100000, 105000, 200000, 250000, 540000, 650000, 1_000_000, 1_500_000,
                               10_000_000, 123_456_789, 2_000_000_000])
def test_reads_back_what_the_kiosk_reads_aloud(n: int) -> None:
    """speech.text.vi_numbers is how the kiosk says a number; every such wording reads back to it."""
    assert vi_value(read_number(n).split()) == n


@pytest.mark.parametrize(("spoken", "texts", "extra"), [
    ("Khai tử phải nộp hai trăm nghìn đồng.", ["Khai tử đúng hạn thì được miễn lệ phí."], [200000]),
    ("Khai tử phải nộp hai trăm nghìn đồng.", ["Lệ phí 200.000 đồng."], []),
    ("Lệ phí hai mươi nghìn đồng.", ["Lệ phí 20.000 đồng."], []),
    ("Lệ phí hai mươi lăm nghìn đồng.", ["Lệ phí 20.000 đồng."], [25000]),
    ("Làm trong mười lăm ngày.", ["Trong 15 ngày kể từ ngày mất."], []),
    ("Làm trong năm ngày.", ["Trong 15 ngày."], [5]),
    ("Làm trong một ngày.", ["Trong 15 ngày."], [1]),
    ("Có giá trị sáu tháng.", ["Có giá trị 06 tháng."], []),
    ("Có giá trị sáu tháng.", ["Có giá trị 03 tháng."], [6]),
    ("Hà Nội thu năm trăm nghìn đồng một việc.", ["Hà Nội thu 5.000 đồng/việc; 100.000 đồng với ..."],
     [500000]),
    ("Lệ phí không đồng.", ["Được miễn lệ phí."], []),  # "free" wording counts as 0
    ("Lệ phí không đồng.", ["Lệ phí 50.000 đồng."], [0]),
    ("Khai tử mất ２００.０００ đồng.", ["Miễn lệ phí; quá hạn 5.000 đồng."], [200000]),
    ("It costs two hundred thousand dong.", ["Lệ phí 200.000 đồng.", "The fee is 200,000 VND."], []),
    ("Registering a death costs 200,000 VND.", ["Miễn lệ phí.", "Free of charge."], [200000]),
    ("It takes fifteen days.", ["Trong 15 ngày."], []),
    ("It takes five days.", ["Trong 15 ngày."], [5]),
])
def test_unsupported_numbers(spoken: str, texts: list[str], extra: list[int]) -> None:
    assert unsupported_numbers(spoken, texts) == [D(v) for v in extra]


def _khai_tu(say: str | None = None, say_en: str | None = None, doc_say: str | None = None) -> Record:
    data = yaml.safe_load((REPO / "knowledge/sample/records/khai-tu.yaml").read_text(encoding="utf-8"))
    if say is not None:
        data["fee"]["say"] = say
    if say_en is not None:
        data["fee"]["say_en"] = say_en
    if doc_say is not None:
        data["documents"][1]["say"] = doc_say
    return Record.model_validate(data)


def test_the_sample_records_pass() -> None:
    recs = load_records_dir(REPO / "knowledge" / "sample" / "records")
    assert not [i for i in lint_records(recs).errors if ".say" in i.message]


@pytest.mark.parametrize(("record", "field", "number"), [
    (lambda: _khai_tu(say="Khai tử phải nộp hai trăm nghìn đồng."), "fee.say", "200,000"),
    (lambda: _khai_tu(say_en="Registering a death costs fifty thousand dong."), "fee.say_en", "50,000"),
    (lambda: _khai_tu(doc_say="nộp ba bản giấy báo tử"), "documents[1].say", "3"),
])
def test_lint_names_the_record_field_and_number(record: Any, field: str, number: str) -> None:
    report = lint_records([record()])
    errors = [i for i in report.errors if field in i.message]
    assert len(errors) == 1, report.errors
    issue = errors[0]
    assert issue.record_id == "khai-tu" and f"{field} states {number}" in issue.message
    assert f"Bản ghi khai-tu, mục {field.rsplit('.', 1)[0]}" in staff_vi(issue)
    assert number.replace(",", ".") in staff_vi(issue)


def test_the_builder_refuses_it(tmp_path: Path) -> None:
    recs = [r for r in load_records_dir(REPO / "knowledge" / "sample" / "records") if r.id != "khai-tu"]
    recs.append(_khai_tu(say="Khai tử phải nộp hai trăm nghìn đồng."))
    rep = build_bundle_file(recs, [], tmp_path / "out.wkb", bundle_id="phuong", version="1")
    assert not rep.ok and rep.out is None and not (tmp_path / "out.wkb").exists()
    assert any("fee.say states 200,000" in i.message for i in rep.errors)


def test_the_importer_refuses_a_signed_bundle_with_it(tmp_path: Path, settings: Any, key: Any,
                                                      fast: dict[str, Any]) -> None:
    from kiosk_app.core.errors import BundleError
    from knowledge.bundle import importer, versions
    from knowledge.bundle.schema import build_bundle_bytes
    from knowledge.bundle.signing import sign

    by_id = {r.id: r for r in load_records_dir(REPO / "knowledge" / "sample" / "records")}
    good = [by_id[i] for i in ("khai-sinh", "ket-hon", "khai-tu")]
    path = tmp_path / "good.wkb"
    path.write_bytes(build_bundle_bytes(good, bundle_id="phuong", version="1", signer=lambda m: sign(m, key)))
    importer.import_bundle(path, settings, **fast)
    bad = [*good[:2], _khai_tu(say="Khai tử phải nộp hai trăm nghìn đồng.")]
    path = tmp_path / "bad.wkb"
    path.write_bytes(build_bundle_bytes(bad, bundle_id="phuong", version="2", signer=lambda m: sign(m, key)))
    with pytest.raises(BundleError) as exc:
        importer.import_bundle(path, settings, **fast)
    assert exc.value.code is ErrorCode.BUNDLE_INVALID
    assert "khai-tu: fee.say states 200,000" in str(exc.value)
    assert "câu đọc (say) nói số 200.000" in staff_vi(exc.value)
    assert versions.status(settings).current.label == "phuong@1"  # type: ignore[union-attr]
