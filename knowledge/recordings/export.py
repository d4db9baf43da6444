"""The recording script for staff: a "Ghi âm" sheet in the Excel template, and numbered text files.

Sheet "Ghi âm" (added to the clerk's workbook, ``knowledge.bundle.excel``; replaced when it exists): one row
per sentence: number, sentence id, fact id, kind, the sentence to read, status (đã ghi / thiếu /
cũ: cần ghi lại) and the WAV file name to save the take as (``<id>.wav``). The text files are
``0001_<id>.txt`` holding the sentence, in inventory order, for a phone or a recording program;
a take saved as ``0001_<id>.wav`` or ``<id>.wav`` is matched by its id.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from knowledge.bundle.schema import Record
from knowledge.recordings.inventory import KIND_VI, Item

SHEET = "Ghi âm"
STATUS_VI = {"recorded": "đã ghi", "missing": "thiếu", "stale": "cũ: cần ghi lại",
             "broken": "hỏng: cần ghi lại"}
_NUMBERED = re.compile(r"^\d{1,5}_")


def take_id(stem: str) -> str:
    """The sentence id of a take's file name stem ("0007_khai-tu.fee" or "khai-tu.fee")."""
    return _NUMBERED.sub("", stem, count=1)


def write_sheet(path: Path, records: Iterable[Record], rows: Sequence[tuple[Item, str]]) -> Path:
    """Add (or replace) the "Ghi âm" sheet in the workbook at ``path``; a new workbook is the
    records' template (``excel.write_template``) with the sheet."""
    from openpyxl import load_workbook
    from openpyxl.styles import Alignment, Font

    from knowledge.bundle.excel import write_template

    path = Path(path)
    if not path.is_file():
        write_template(records, path)
    wb = load_workbook(path)
    if SHEET in wb.sheetnames:
        del wb[SHEET]
    ws = wb.create_sheet(SHEET)
    heads = ("STT", "Mã câu", "Mã mục", "Loại", "Câu cần đọc", "Tình trạng", "Lưu bản ghi thành")
    widths = (6, 34, 28, 16, 90, 16, 40)
    for ci, (h, w) in enumerate(zip(heads, widths, strict=True), start=1):
        ws.cell(row=1, column=ci, value=h).font = Font(bold=True, size=12)
        ws.column_dimensions[chr(64 + ci)].width = w
    wrap = Alignment(wrap_text=True, vertical="top")
    for n, (item, status) in enumerate(rows, start=1):
        values = (n, item.id, item.fact_id, KIND_VI[item.kind], item.text, STATUS_VI.get(status, status),
                  f"{n:04d}_{item.id}.wav")
        for ci, v in enumerate(values, start=1):
            ws.cell(row=n + 1, column=ci, value=v).alignment = wrap
    ws.freeze_panes = "A2"
    wb.save(path)
    return path


def write_text_files(folder: Path, rows: Sequence[tuple[Item, str]]) -> int:
    """``0001_<id>.txt`` per sentence (UTF-8, the sentence and a newline); returns how many."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for n, (item, _status) in enumerate(rows, start=1):
        (folder / f"{n:04d}_{item.id}.txt").write_text(item.text + "\n", encoding="utf-8")
    return len(rows)
