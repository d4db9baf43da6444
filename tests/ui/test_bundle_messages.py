"""Staff sentences are the UI's: every reason an engine raises has a Vietnamese template whose
placeholders the raise site fills, the renderer composes nested notes, and an unknown reason
falls back to a generic sentence instead of a key or a crash.

The reasons are found from the source (AST): every refusal constructor (``BundleError`` family,
``NoRollbackError``, ``AudioProblem``), ``StaffNote``, lint ``Issue``s and the helpers that wrap them
(``_refuse``, ``add``, ``_warn``) in ``knowledge/``, ``speech/``, the CLI and the tests' fakes.
"""

from __future__ import annotations

import ast
import string
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pytest

from kiosk_app.core.errors import (
    BundleDamagedError,
    BundleDowngradeError,
    BundleError,
    BundleUnsafeError,
    DiskFullError,
    ErrorCode,
    NoRollbackError,
    StaffNote,
    StoreCorruptError,
)
from kiosk_app.ui.bundle_messages import (
    BUNDLE_VI,
    FAILED_VI,
    FALLBACK_VI,
    NO_ROLLBACK_VI,
    STAFF_VI,
    render,
    staff_vi,
)
from kiosk_app.ui.recording_messages import RECORDING_VI, TAKE_VI, take_vi
from kiosk_app.ui.staff_messages import bundle_error_vi

ROOT = Path(__file__).resolve().parents[2]
SCANNED = [*sorted((ROOT / "knowledge").rglob("*.py")), *sorted((ROOT / "speech").rglob("*.py")),
           *sorted((ROOT / "kiosk_app" / "commands").rglob("*.py")),
           # fakes in tests raise too: a sentence passed where the reason goes would render the fallback
           *(p for p in sorted((ROOT / "tests").rglob("*.py")) if p != Path(__file__).resolve())]

# callee name -> (index of the reason argument, details every call gets implicitly, the only file
# where the name means this; "" = any file)
REASON_ARG: dict[str, tuple[int, frozenset[str], str]] = {
    "_refuse": (2, frozenset({"member"}), "knowledge/bundle/limits.py"),
    "add": (3, frozenset({"rid"}), "knowledge/bundle/lint.py"),  # lint_records' helper
    "_warn": (2, frozenset({"id"}), "knowledge/recordings/bundle.py"),
    "Issue": (3, frozenset(), ""),
    "AudioProblem": (0, frozenset(), ""),
    "StaffNote": (0, frozenset(), ""),
}
FORWARDED = {"reason"}  # ``p.reason`` / a helper's ``reason`` parameter: a reason raised elsewhere


def _callee(node: ast.Call) -> str:
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def _is_refusal(name: str) -> bool:
    return (name.startswith("Bundle") and name.endswith("Error")) or name == "NoRollbackError"


def _constants(node: ast.expr, assigned: dict[str, list[ast.expr]]) -> list[str] | None:
    """The string literals ``node`` can be; None when it cannot be resolved from the source."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        a, b = _constants(node.body, assigned), _constants(node.orelse, assigned)
        return None if a is None or b is None else a + b
    if isinstance(node, ast.Name) and node.id in assigned:
        out: list[str] = []
        for value in assigned[node.id]:
            got = _constants(value, assigned)
            if got is None:
                return None
            out += got
        return out
    return None


def _dict_keys(node: ast.expr) -> set[str]:
    keys: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Dict):
            keys |= {k.value for k in sub.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)}
    return keys


@dataclass
class Site:
    where: str
    reasons: list[str]
    provided: set[str] = field(default_factory=set)


def _sites() -> tuple[list[Site], list[str]]:
    """(every reason raised with the details its call passes, calls whose reason cannot be read)."""
    sites: list[Site] = []
    unreadable: list[str] = []
    for path in SCANNED:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for func in [tree, *(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef))]:
            assigned: dict[str, list[ast.expr]] = {}
            for n in ast.walk(func):
                if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name):
                    assigned.setdefault(n.targets[0].id, []).append(n.value)
            for node in ast.walk(func):
                if not isinstance(node, ast.Call):
                    continue
                name = _callee(node)
                if _is_refusal(name):
                    index, implicit = 1, frozenset[str]()
                elif name in REASON_ARG and REASON_ARG[name][2] in ("", str(path.relative_to(ROOT))):
                    index, implicit, _file = REASON_ARG[name]
                else:
                    continue
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                if len(node.args) <= index or isinstance(node.args[index], ast.Starred):
                    if _is_refusal(name) and len(node.args) == 1:  # the class's default reason
                        continue
                    unreadable.append(f"{where}: {name}(…) without a reason argument")
                    continue
                arg = node.args[index]
                if (isinstance(arg, ast.Attribute) and arg.attr in FORWARDED) or (
                        isinstance(arg, ast.Name) and arg.id in FORWARDED and arg.id not in assigned):
                    continue
                reasons = _constants(arg, assigned)
                if reasons is None:
                    unreadable.append(f"{where}: {name}(…) reason {ast.unparse(arg)}")
                    continue
                provided = set(implicit) | {k.arg for k in node.keywords if k.arg}
                for extra in [*node.args[index + 1:], *(k.value for k in node.keywords if k.arg is None)]:
                    provided |= _dict_keys(extra)
                sites.append(Site(where, reasons, provided))
    unique = {(s.where, tuple(s.reasons)): s for s in sites}  # module + function walks overlap
    return list(unique.values()), sorted(set(unreadable))


SITES, UNREADABLE = _sites()


def _fields(template: str) -> set[str]:
    parsed = string.Formatter().parse(template)
    return {f.split(".")[0].split("[")[0] for _lit, f, _spec, _conv in parsed if f}


def test_the_scan_reads_every_reason_and_finds_the_known_ones() -> None:
    assert UNREADABLE == []
    raised = {r for s in SITES for r in s.reasons}
    assert {"zip-unsafe-path", "sig-not-base64", "key-exists", "smoke-title-not-found", "yaml-alias",
            "fee-missing", "recording-stale", "recording-too-long", "kept-index-damaged",
            "no-such-version-none-kept", "cli-not-found"} <= raised
    assert len(raised) > 120


@pytest.mark.parametrize("site", SITES, ids=lambda s: s.where)
def test_every_raised_reason_has_a_template_the_call_fills(site: Site) -> None:
    for reason in site.reasons:
        assert reason in STAFF_VI, f"{site.where}: no Vietnamese sentence for reason {reason!r}"
        needed = _fields(STAFF_VI[reason]) - {"field_vi"}
        if "field_vi" in _fields(STAFF_VI[reason]):
            needed.add("field")
        assert needed <= site.provided, f"{site.where}: {reason} needs {sorted(needed - site.provided)}"


def test_version_problems_and_take_codes_have_templates() -> None:
    from knowledge.bundle.version_policy import _ERRORS
    from speech.tts.take_check import TakeCode

    assert {str(code) for code in _ERRORS} <= set(STAFF_VI)
    assert set(TAKE_VI) == {c.value for c in TakeCode}


def test_the_recording_page_errors_have_templates() -> None:
    from kiosk_app.pipeline.recording_session import ERRORS

    assert set(ERRORS) <= set(RECORDING_VI) and not set(ERRORS) & set(TAKE_VI)


def test_no_reason_is_in_both_tables() -> None:
    assert not set(BUNDLE_VI) & set(RECORDING_VI)
    assert len(STAFF_VI) == len(BUNDLE_VI) + len(RECORDING_VI)


@dataclass(frozen=True)
class Take:  # what the recording screen reads of a take_check.Finding
    reason: str
    differing: tuple[tuple[str, str], ...] = ()
    heard: str = ""


CASES: list[tuple[object, str]] = [
    (BundleUnsafeError("x", "zip-duplicate", name="records/a.yaml"),
     "Gói dữ liệu có hai tệp trùng tên records/a.yaml; không nhập."),
    (BundleError("x", "file-too-large", limit_mb=50.0), "Tệp gói dữ liệu quá lớn (trên 50.0 MB)."),
    (BundleError("x", "text-too-long", member="records/a.yaml", where="steps[2].text", length=12345,
                 limit=5000),
     "Tệp records/a.yaml, mục steps[2].text: nội dung quá dài (12,345 ký tự, tối đa 5,000)."),
    (BundleError("x", "record-missing-field", rid="khai-sinh", field="fee", loc="fee"),
     "Bản ghi khai-sinh thiếu trường lệ phí."),
    (BundleError("x", "record-bad-field", rid="khai-sinh", field="odd", loc="odd.x"),
     "Bản ghi khai-sinh: trường odd không hợp lệ (odd.x)."),
    (BundleError("x", "updated-future", rid="khai-sinh", updated=date(2099, 1, 2)),
     "Bản ghi khai-sinh: ngày cập nhật 02/01/2099 ở tương lai."),
    (BundleError("x", "recording-too-long", name="a.ogg", seconds=41.6, limit_s=30.0),
     "Bản ghi âm a.ogg dài 42 giây, quá giới hạn 30 giây; không phát."),
    (BundleDowngradeError("x", "version-problems", problems=(
        StaffNote("bundle-downgrade", {"version": "1", "created": datetime(2026, 1, 5),
                                       "active_version": "2"}),
        StaffNote("bundle-other-id", {"bundle_id": "b", "active_id": "a"}))),
     "Gói 1 (tạo ngày 05/01/2026) cũ hơn gói đang dùng 2; chưa nhập. Nếu đúng là muốn quay về gói cũ, "
     "xin xác nhận lại. Gói này mang tên \"b\", khác gói đang dùng \"a\" (có thể là gói của đơn vị "
     "khác). Nếu đúng là muốn đổi sang gói này, xin xác nhận."),
    (BundleDamagedError("x", "kept-damaged", label="p@2", active="p@3",
                        problem=StaffNote("kept-member-changed", {"name": "records/a.yaml"})),
     "Phiên bản p@2 trên máy bị hỏng. Tệp records/a.yaml trên máy đã bị thay đổi hoặc hỏng. Máy vẫn dùng "
     "p@3 như cũ; muốn dùng lại phiên bản đó thì nhập lại tệp gói của nó từ USB."),
    (NoRollbackError("x", "no-such-version-none-kept", wanted="7", versions=""),
     "Không có phiên bản 7 trên máy. Các phiên bản đang lưu: (không có)."),
    (StaffNote("kept-index-damaged"), "Chỉ mục tìm kiếm của phiên bản này bị hỏng."),
    (BundleError("x"), FALLBACK_VI),
    (NoRollbackError("x"), NO_ROLLBACK_VI),
    (DiskFullError("x"), "Máy hết dung lượng ổ đĩa; gói dữ liệu chưa được nhập, dữ liệu cũ vẫn dùng bình "
                         "thường."),
    (StoreCorruptError("x"), FAILED_VI),
    (Take("take-clipped"), "Tiếng bị vỡ (thu quá to); xin để micro xa hơn hoặc nói nhỏ hơn rồi ghi lại."),
    (Take("take-wrong-words", (("tử", "sinh"), ("", "nhé"))),
     "Máy nghe thấy những từ khác với câu cần đọc; xin đọc đúng câu rồi ghi lại. Khác nhau: “tử” → “sinh”; "
     "“—” → “nhé”."),
    (Take("take-wrong-words", tuple((str(i), "x") for i in range(7)), "x" * 100),
     f"Máy nghe thấy những từ khác với câu cần đọc; xin đọc đúng câu rồi ghi lại. Máy nghe thấy: "
     f"“{'x' * 87}…”."),
]


@pytest.mark.parametrize(("item", "expected"), CASES, ids=lambda v: getattr(v, "reason", None) or "")
def test_staff_vi_renders(item: object, expected: str) -> None:
    assert staff_vi(item) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("item", [BundleError("x", "no-such-reason-yet", name="a"),
                                  BundleUnsafeError("x", ""), StaffNote("zzz", {"a": 1})])
def test_an_unknown_reason_falls_back_to_the_generic_sentence(item: object) -> None:
    assert staff_vi(item) == FALLBACK_VI  # type: ignore[arg-type]
    assert render("no-such-reason-yet", {}, fallback="khác") == "khác"
    assert render("zip-duplicate", {}, fallback="khác") == "khác"  # a detail missing: never half a sentence
    assert render("text-too-long", {"member": "m", "where": "w", "length": "x", "limit": 5}) == FALLBACK_VI


def test_unknown_take_code_and_missing_note_fall_back() -> None:
    assert take_vi(Take("take-new-code")) == "Bản ghi chưa đạt; xin ghi lại."
    assert bundle_error_vi(ErrorCode.BUNDLE_DAMAGED, None).startswith("Phiên bản dữ liệu đó trên máy bị hỏng")
    assert bundle_error_vi(ErrorCode.BUNDLE_UNSAFE, StaffNote("zip-symlink")) == (
        "Gói dữ liệu chứa liên kết (symlink); không nhập.")
