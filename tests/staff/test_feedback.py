"""Feedback store: ratings per procedure, unanswered questions as scrubbed text, CSV export."""

from __future__ import annotations

import csv
import threading
from pathlib import Path

import pytest

from kiosk_app.ui.feedback_store import FeedbackStore, scrub


@pytest.mark.parametrize(("raw", "want"), [
    ("số điện thoại của tôi là 0912 345 678 nhé", "số điện thoại của tôi là … nhé"),
    ("căn cước 001099012345 bị mất", "căn cước … bị mất"),
    ("gọi +84 912.345.678", "gọi …"),
    ("CMND 012-345-678 cũ", "CMND … cũ"),
    ("khai sinh trong 60 ngày, lệ phí 8.000 đồng", "khai sinh trong 60 ngày, lệ phí 8.000 đồng"),
    ("từ 01/7/2025 nộp ở đâu", "từ 01/7/2025 nộp ở đâu"),
    ("  nhiều    khoảng   trắng ", "nhiều khoảng trắng"),
    # issue 17: other separators, numbers as speech recognition writes them, e-mail, names
    ("số của tôi 0912  345  678", "số của tôi …"),
    ("gọi 0912/345/678 nhé", "gọi … nhé"),
    ("số điện thoại của tôi là không chín một hai ba bốn năm sáu bảy tám", "số điện thoại của tôi là …"),
    ("my number is zero nine one two three four five six seven", "my number is …"),
    ("lệ phí hai trăm năm mươi nghìn đúng không", "lệ phí hai trăm năm mươi nghìn đúng không"),
    ("gửi cho tôi qua nguyen.van.a@gmail.com nhé", "gửi cho tôi qua … nhé"),
    ("hồ sơ của ông Nguyễn Văn Hùng đã xong chưa", "hồ sơ của ông … đã xong chưa"),
    ("chị Lan ở quầy số 2 đâu rồi", "chị … ở quầy số 2 đâu rồi"),
    ("ông bà đi làm khai sinh thay được không", "ông bà đi làm khai sinh thay được không"),
])
def test_scrub_removes_phone_and_id_numbers_only(raw: str, want: str) -> None:
    assert scrub(raw) == want


def test_ratings_are_counted_per_procedure(tmp_path: Path) -> None:
    fb = FeedbackStore(tmp_path / "fb.sqlite3")
    for r in ("hai-long", "hai-long", "chua-hai-long"):
        fb.add_rating("khai-sinh", r)
    fb.add_rating("ket-hon", "binh-thuong")
    fb.add_rating(None, "chua-hai-long")
    rows = {c.procedure_id: c for c in fb.ratings_by_procedure()}
    assert (rows["khai-sinh"].hai_long, rows["khai-sinh"].chua_hai_long, rows["khai-sinh"].total) == (2, 1, 3)
    assert rows["ket-hon"].binh_thuong == 1 and rows[None].chua_hai_long == 1
    assert fb.ratings_by_procedure()[0].procedure_id == "khai-sinh"  # most rated first
    assert fb.counts() == {"hai-long": 2, "binh-thuong": 1, "chua-hai-long": 2, "unanswered": 0}
    with pytest.raises(ValueError):
        fb.add_rating("khai-sinh", "tuyet-voi")


def test_unanswered_questions_are_stored_scrubbed_newest_first(tmp_path: Path) -> None:
    fb = FeedbackStore(tmp_path)  # a folder: the file goes inside it
    fb.add_unanswered("nuôi chó có cần đăng ký không", "no-match")
    fb.add_unanswered("tôi là Lan, số 0987654321, hỏi về sổ đỏ", "chua-hai-long")
    fb.add_unanswered("   ", "no-match")  # nothing to keep
    got = fb.unanswered()
    assert [u.question for u in got] == ["tôi là Lan, số …, hỏi về sổ đỏ", "nuôi chó có cần đăng ký không"]
    assert "0987654321" not in (tmp_path / "feedback.sqlite3").read_bytes().decode("utf-8", "replace")
    assert fb.unanswered(limit=1)[0].reason == "chua-hai-long"


def test_store_survives_reopening_and_parallel_writers(tmp_path: Path) -> None:
    path = tmp_path / "fb.sqlite3"
    fb = FeedbackStore(path)
    threads = [threading.Thread(target=lambda: [fb.add_rating("khai-tu", "hai-long") for _ in range(20)])
               for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert FeedbackStore(path).counts()["hai-long"] == 60


def test_export_csv_opens_in_excel_with_vietnamese(tmp_path: Path) -> None:
    fb = FeedbackStore(tmp_path / "fb.sqlite3")
    fb.add_rating("khai-sinh", "chua-hai-long")
    fb.add_unanswered("làm sổ đỏ mất bao lâu", "no-match")
    path = fb.export_csv(tmp_path / "usb")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0][0] == "loại"
    assert ["đánh giá", "", "khai-sinh", "0", "0", "1", "", ""] in rows
    assert any(r[6] == "làm sổ đỏ mất bao lâu" and r[7] == "không tìm thấy thủ tục" for r in rows)
    assert not list((tmp_path / "usb").glob("*.tmp"))


def test_old_entries_are_deleted_and_exported_ones_leave_the_kiosk(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "fb.sqlite3"
    fb = FeedbackStore(db)
    fb.add_unanswered("làm sổ đỏ mất bao lâu", "no-match")
    fb.add_rating("khai-sinh", "hai-long")
    with sqlite3.connect(db) as con:  # one entry from 100 days ago
        con.execute("INSERT INTO unanswered (at, question, reason) VALUES "
                    "('2020-01-01T00:00:00+00:00', 'câu cũ', 'no-match')")
    fb = FeedbackStore(db, retention_days=90)  # the kiosk opens the store at start
    assert [u.question for u in fb.unanswered()] == ["làm sổ đỏ mất bao lâu"]
    fb.export_csv(tmp_path / "usb")
    assert fb.counts() == {"hai-long": 0, "binh-thuong": 0, "chua-hai-long": 0, "unanswered": 0}
    rows = (next((tmp_path / "usb").glob("*.csv"))).read_text(encoding="utf-8-sig")
    assert "làm sổ đỏ mất bao lâu" in rows and "câu cũ" not in rows
