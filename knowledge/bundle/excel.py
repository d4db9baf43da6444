"""Excel template for clerks: one row per procedure, one column per Record field (openpyxl).

Sheet "Thủ tục": row 1 = Vietnamese column titles, row 2 = field keys (the machine reads these; do
not edit), one procedure per row from row 3. Sheet "Hướng dẫn" explains every column.

Conventions (also written into the "Hướng dẫn" sheet, see docs/staff.md):
- list columns (aliases, legal_basis, documents, steps, notes, fee_details, fee_exemptions,
  sources): one item per line (Alt+Enter in Excel).
- a fact (summary, where, fee, each document line …) is written as::

      [(chưa chắc chắn: ghi chú) | (chưa có nguồn: ghi chú) | (ghi chú: …)] nội dung [nguồn: S7; Luật …]

  no prefix = sourced (then ``[nguồn: …]`` is required); "(chưa chắc chắn)" = uncertain (spoken with a
  hedge); "(chưa có nguồn)" = no source found (never spoken as fact).
- optional side columns ``<field>.say`` (short spoken form), ``<field>.text_en``, ``<field>.say_en``:
  line i belongs to fact line i of ``<field>``; an empty line means "none".
- sources: ``KEY | Tiêu đề | URL`` per line.
"""

from __future__ import annotations

import datetime as dt
import logging
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kiosk_app.core.errors import BundleError
from knowledge.bundle.schema import Fact, Group, Record, Status, check_unique, parse_record

log = logging.getLogger(__name__)

SHEET = "Thủ tục"
HELP_SHEET = "Hướng dẫn"
KEY_ROW, FIRST_ROW = 2, 3
_PREFIX = {Status.UNCERTAIN: "chưa chắc chắn", Status.UNSOURCED: "chưa có nguồn"}
_NOTE_ONLY = "ghi chú"
_SRC_OPEN = "[nguồn:"
_SIDE = ("say", "text_en", "say_en")


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str  # row 1, Vietnamese
    kind: str  # str | lines | fact | facts | sources | date | group
    help: str
    width: int = 30
    required: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("id", "Mã thủ tục", "str", "chữ thường không dấu, nối bằng gạch ngang, ví dụ khai-sinh; "
           "không đổi mã của thủ tục đã có", 18, True),
    Column("title", "Tên thủ tục", "str", "tên chính thức, ví dụ Đăng ký khai sinh", 28, True),
    Column("title_en", "Tên tiếng Anh", "str", "không bắt buộc", 22),
    Column("group", "Nhóm", "group", "một trong: " + "; ".join(g.value for g in Group), 16, True),
    Column("aliases", "Tên gọi thường dùng", "lines", "mỗi dòng một cách người dân hay gọi "
           "(ít nhất một dòng)", 34, True),
    Column("aliases_en", "Tên gọi tiếng Anh", "lines", "mỗi dòng một tên; không bắt buộc", 24),
    Column("examples", "Câu hỏi mẫu", "lines", "mỗi dòng một câu người dân hay hỏi về thủ tục này, "
           "bằng lời của họ (nên có ít nhất 8 câu)", 50),
    Column("examples_en", "Câu hỏi mẫu tiếng Anh", "lines", "mỗi dòng một câu; không bắt buộc", 40),
    Column("summary", "Tóm tắt", "fact", "một câu tóm tắt (xem quy ước mục nội dung)", 50, True),
    Column("who", "Ai đi làm", "fact", "không bắt buộc", 40),
    Column("where", "Nơi giải quyết", "fact", "cơ quan tiếp nhận hồ sơ", 40, True),
    Column("documents", "Giấy tờ cần mang", "facts", "mỗi dòng một giấy tờ", 60),
    Column("steps", "Các bước", "facts", "mỗi dòng một bước", 50),
    Column("processing_time", "Thời hạn giải quyết", "fact", "ví dụ: Ngay trong ngày; 3 ngày làm việc", 36,
           True),
    Column("fee", "Lệ phí", "fact", "mức chính; ghi rõ số tiền hoặc chữ \"miễn\"", 40, True),
    Column("fee_details", "Lệ phí (chi tiết)", "facts", "mỗi dòng một mức phí khác", 40),
    Column("fee_exemptions", "Miễn lệ phí", "facts", "mỗi dòng một trường hợp được miễn", 40),
    Column("online", "Nộp trực tuyến", "fact", "không bắt buộc", 40),
    Column("online_url", "Địa chỉ trực tuyến", "str", "bắt đầu bằng http:// hoặc https://", 30),
    Column("legal_basis", "Căn cứ pháp lý", "lines", "mỗi dòng một văn bản", 40),
    Column("notes", "Lưu ý khác", "facts", "mỗi dòng một lưu ý", 50),
    Column("sources", "Nguồn", "sources", "mỗi dòng: MÃ | Tiêu đề | URL (URL không bắt buộc)", 50, True),
    Column("updated", "Ngày cập nhật", "date", "dạng 2026-11-23", 14, True),
)
_FACT_FIELDS = tuple(c.key for c in COLUMNS if c.kind in ("fact", "facts"))
SIDE_COLUMNS: tuple[Column, ...] = tuple(
    Column(f"{f}.{side}", f"{next(c.label for c in COLUMNS if c.key == f)} ({label})", "side",
           f"dòng thứ i ứng với dòng thứ i của cột {f}; để trống nếu không có", 30)
    for f in _FACT_FIELDS
    for side, label in (("say", "câu nói ngắn"), ("text_en", "tiếng Anh"), ("say_en", "câu nói tiếng Anh"))
)
ALL_COLUMNS = COLUMNS + SIDE_COLUMNS


# ---- fact <-> one line ---------------------------------------------------------------------------
def format_fact(fact: Fact) -> str:
    """One fact as one cell line: ``(chưa chắc chắn: note) text [nguồn: S1; S2]``."""
    text = " ".join(fact.text.split())
    prefix = ""
    if fact.status is not Status.SOURCED:
        prefix = f"({_PREFIX[fact.status]}{': ' + fact.note if fact.note else ''}) "
    elif fact.note:
        prefix = f"({_NOTE_ONLY}: {fact.note}) "
    suffix = f" {_SRC_OPEN} {'; '.join(fact.sources)}]" if fact.sources else ""
    return prefix + text + suffix


def _split_prefix(line: str) -> tuple[Status, str | None, str]:
    if not line.startswith("("):
        return Status.SOURCED, None, line
    depth = 0
    for i, ch in enumerate(line):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0:
            inner, rest = line[1:i], line[i + 1:].strip()
            break
    else:
        return Status.SOURCED, None, line
    head, _, note = inner.partition(":")
    head = head.strip().casefold()
    note_s = note.strip() or None
    for status, word in _PREFIX.items():
        if head == word:
            return status, note_s, rest
    if head == _NOTE_ONLY and note_s:
        return Status.SOURCED, note_s, rest
    return Status.SOURCED, None, line  # an ordinary parenthesis that starts the text


def parse_fact_line(line: str) -> dict[str, Any]:
    """Inverse of ``format_fact`` (as a dict for ``Fact``; validation happens with the record)."""
    status, note, rest = _split_prefix(line.strip())
    sources: list[str] = []
    at = rest.rfind(_SRC_OPEN)
    if at >= 0 and rest.endswith("]"):
        sources = [s.strip() for s in rest[at + len(_SRC_OPEN):-1].split(";") if s.strip()]
        rest = rest[:at].strip()
    out: dict[str, Any] = {"text": rest, "sources": sources}
    if status is not Status.SOURCED:
        out["status"] = status.value
    if note:
        out["note"] = note
    return out


# ---- writing -------------------------------------------------------------------------------------
def _facts_of(record: Record, key: str) -> list[Fact]:
    value: Any = {"fee_details": record.fee.details, "fee_exemptions": record.fee.exemptions}.get(key)
    if value is None:
        value = getattr(record, key)
    if value is None:
        return []
    return list(value) if isinstance(value, tuple) else [value]


def _cell_value(record: Record, col: Column) -> str | None:
    if col.kind == "side":
        field, side = col.key.split(".")
        vals = [getattr(f, side) or "" for f in _facts_of(record, field)]
        text = "\n".join(" ".join(v.split()) for v in vals).rstrip("\n")
        return text or None
    value: Any = getattr(record, col.key, None)
    if col.kind in ("fact", "facts"):
        facts = _facts_of(record, col.key)
        return "\n".join(format_fact(f) for f in facts) or None
    if col.kind == "lines":
        return "\n".join(value) or None
    if col.kind == "sources":
        return "\n".join(" | ".join(x for x in (s.key, s.title, s.url) if x) for s in value)
    if col.kind == "date":
        return str(value.isoformat())
    if col.kind == "group":
        return str(value.value)
    return None if value is None else str(value)


def write_template(records: Iterable[Record], path: Path) -> Path:
    """Write the clerk's workbook, pre-filled with ``records``."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    head_font, key_font = Font(bold=True, size=12), Font(italic=True, color="808080", size=9)
    required_fill = PatternFill("solid", fgColor="FFF2CC")
    wrap = Alignment(wrap_text=True, vertical="top")
    for ci, col in enumerate(ALL_COLUMNS, start=1):
        c1 = ws.cell(row=1, column=ci, value=col.label + (" *" if col.required else ""))
        c1.font, c1.alignment = head_font, wrap
        if col.required:
            c1.fill = required_fill
        ws.cell(row=KEY_ROW, column=ci, value=col.key).font = key_font
        ws.column_dimensions[get_column_letter(ci)].width = col.width
    for ri, rec in enumerate(records, start=FIRST_ROW):
        for ci, col in enumerate(ALL_COLUMNS, start=1):
            cell = ws.cell(row=ri, column=ci, value=_cell_value(rec, col))
            cell.alignment = wrap
    ws.freeze_panes = ws.cell(row=FIRST_ROW, column=3)
    group_col = get_column_letter(1 + [c.key for c in ALL_COLUMNS].index("group"))
    dv = DataValidation(type="list", formula1='"' + ",".join(g.value for g in Group) + '"', allow_blank=False)
    dv.add(f"{group_col}{FIRST_ROW}:{group_col}2000")
    ws.add_data_validation(dv)

    hs = wb.create_sheet(HELP_SHEET)
    help_rows = [
        ("Cách dùng", "Mỗi dòng của trang \"Thủ tục\" là một thủ tục. Không sửa dòng 2 (mã cột). "
                      "Cột có dấu * là bắt buộc. Trong một ô, xuống dòng bằng Alt+Enter."),
        ("Mục nội dung", "Viết: nội dung [nguồn: S7; Luật Hộ tịch 2014, Điều 16]. Mục nào chưa chắc thì "
                         "thêm ở đầu: (chưa chắc chắn: lý do). Mục chưa tìm được nguồn: (chưa có nguồn). "
                         "Mục có nguồn mà muốn ghi chú: (ghi chú: …)."),
        ("Cột phụ", "Các cột \"câu nói ngắn\", \"tiếng Anh\": dòng thứ i ứng với dòng thứ i của cột chính; "
                    "để trống nếu không có. Câu nói ngắn chỉ được dùng các con số có trong nội dung."),
        ("Tạo gói", "kiosk bundle build TỆP.xlsx --out goi.wkb --sign khoa.key"),
        ("", ""),
        ("Cột", "Ý nghĩa"),
    ]
    help_rows += [(f"{c.label} ({c.key})", c.help) for c in ALL_COLUMNS]
    for ri, (a, b) in enumerate(help_rows, start=1):
        hs.cell(row=ri, column=1, value=a).font = Font(bold=True)
        hs.cell(row=ri, column=2, value=b).alignment = wrap
    hs.column_dimensions["A"].width, hs.column_dimensions["B"].width = 40, 100
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


# ---- reading -------------------------------------------------------------------------------------
def _lines(value: Any) -> list[str]:
    if value is None:
        return []
    return [ln.strip() for ln in str(value).replace("\r\n", "\n").replace("\r", "\n").split("\n")]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    s = str(value).strip()
    return s or None


def _read_date(raw: Any, where: str) -> dt.date | None:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    text = _text(raw)
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError as err:
        raise BundleError(f"{where}: column updated: '{raw}' is not a date like 2026-11-23",
                          "excel-bad-date", where=where, value=str(raw)) from err


def _read_sources(raw: Any) -> list[dict[str, str]]:
    srcs = []
    for ln in (x for x in _lines(raw) if x):
        parts = [p.strip() for p in ln.split(" | ")]
        src = {"key": parts[0], "title": parts[1] if len(parts) > 1 else ""}
        if len(parts) > 2 and parts[2]:
            src["url"] = parts[2]
        srcs.append(src)
    return srcs


def _read_facts(row: dict[str, Any], col: Column, where: str) -> list[dict[str, Any]]:
    raw = row.get(col.key)
    if col.kind == "facts":
        main = [x for x in _lines(raw) if x]
    else:
        main = [" ".join(x for x in _lines(raw) if x)] if _text(raw) else []
    facts = [parse_fact_line(x) for x in main]
    if not facts:  # an emptied field: the schema check names it; leftover side columns do not matter
        return facts
    for side in _SIDE:
        vals = _lines(row.get(f"{col.key}.{side}"))
        while vals and not vals[-1]:
            vals.pop()
        if len(vals) > len(facts):
            raise BundleError(
                f"{where}: column {col.key}.{side} has {len(vals)} lines, {col.key} has {len(facts)}",
                "excel-side-lines", where=where, column=col.label, side=side)
        for f, v in zip(facts, vals, strict=False):
            if v:
                f[side] = v
    return facts


def _record_dict(row: dict[str, Any], where: str) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for col in COLUMNS:
        raw = row.get(col.key)
        value: Any
        if col.kind in ("str", "group"):
            value = _text(raw)
        elif col.kind == "lines":
            value = [x for x in _lines(raw) if x]
        elif col.kind == "date":
            value = _read_date(raw, where)
        elif col.kind == "sources":
            value = _read_sources(raw)
        else:
            facts = _read_facts(row, col, where)
            if facts and col.key in ("fee_details", "fee_exemptions"):
                data.setdefault("fee", {})[col.key.removeprefix("fee_")] = facts
            elif facts and col.kind == "facts":
                data[col.key] = facts
            elif facts:
                data.setdefault(col.key, {}).update(facts[0])
            continue
        if value:
            data[col.key] = value
    if "fee" in data and "text" not in data["fee"]:  # fee emptied but detail lines left: say "no fee"
        del data["fee"]
    return data


def read_template(path: Path, errors: list[BundleError] | None = None) -> list[Record]:
    """Read the clerk's workbook back into records (errors name the row and column).

    With ``errors`` given, a bad row is appended there and reading goes on (for a full report);
    otherwise the first bad row raises.
    """
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    path = Path(path)
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, InvalidFileException) as err:
        raise BundleError(f"{path}: cannot open as an Excel workbook: {err}",
                          "excel-unreadable", name=path.name) from err
    try:
        if SHEET not in wb.sheetnames:
            raise BundleError(f"{path}: no sheet named '{SHEET}'",
                              "excel-no-sheet", name=path.name, sheet=SHEET)
        rows = list(wb[SHEET].iter_rows(values_only=True))
    finally:
        wb.close()
    if len(rows) < KEY_ROW:
        raise BundleError(f"{path}: sheet '{SHEET}' has no header rows",
                          "excel-no-header", sheet=SHEET)
    keys = [str(k).strip() if k is not None else "" for k in rows[KEY_ROW - 1]]
    missing = [c.key for c in COLUMNS if c.required and c.key not in keys]
    if missing:
        raise BundleError(f"{path}: row {KEY_ROW} lacks the column key(s) {', '.join(missing)}",
                          "excel-missing-columns", row=KEY_ROW, sheet=SHEET, columns=", ".join(missing))
    records: list[Record] = []
    for ri, values in enumerate(rows[FIRST_ROW - 1:], start=FIRST_ROW):
        row = {k: v for k, v in zip(keys, values, strict=False) if k}
        if all(_text(v) is None for v in row.values()):
            continue
        rid = _text(row.get("id")) or "?"
        where = f"Dòng {ri} ({rid})"
        try:
            data = _record_dict(row, where)
            raw = yaml.safe_dump(data, allow_unicode=True, sort_keys=False).encode("utf-8")
            records.append(parse_record(f"{path.name} {where}", raw))
        except BundleError as err:
            if errors is None:
                raise
            errors.append(err)
    if not records and errors:
        return records
    if not records:
        raise BundleError(f"{path}: no procedures in sheet '{SHEET}'",
                          "excel-empty", sheet=SHEET)
    if errors is None:
        check_unique(records)
    log.info("read %d records from %s", len(records), path)
    return records
