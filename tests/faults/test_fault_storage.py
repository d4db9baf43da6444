"""A full disk, a permission problem and a damaged store, where the kiosk starts and where it writes
(logs, settings, feedback database, PIN state): three distinct codes, each with its fix, never a
traceback loop. Real failures where this machine can make them: /dev/full (ENOSPC), SQLite's own
"database or disk is full", a feedback file that is not a database."""

from __future__ import annotations

import errno
import logging
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk_app.core.errors import (
    DiskFullError,
    ErrorCode,
    PermissionDeniedError,
    StoreCorruptError,
    storage_error,
    storage_failure,
)
from kiosk_app.ui.messages import ERRORS, MAINTENANCE
from tests.needs import missing

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("err", "code", "fix"), [
    (errno.ENOSPC, ErrorCode.DISK_FULL, "free space"),
    (errno.EDQUOT, ErrorCode.DISK_FULL, "free space"),
    (errno.EACCES, ErrorCode.PERMISSION_DENIED, "sudo chown -R"),
    (errno.EPERM, ErrorCode.PERMISSION_DENIED, "kiosk provision --user"),
    (errno.EROFS, ErrorCode.PERMISSION_DENIED, "read-only file system"),
    (errno.EIO, ErrorCode.STORE_CORRUPT, "restore it or remove it"),
])
def test_oserror_becomes_one_precise_error(err: int, code: ErrorCode, fix: str) -> None:
    exc = storage_error(OSError(err, "x"), "/var/lib/ward-kiosk/feedback.sqlite3", "feedback database",
                        user="kiosk")
    assert exc.code is code and fix in str(exc) and "/var/lib/ward-kiosk/feedback.sqlite3" in str(exc)


def test_three_codes_are_distinct_for_residents_and_staff() -> None:
    codes = {ErrorCode.DISK_FULL, ErrorCode.PERMISSION_DENIED, ErrorCode.STORE_CORRUPT}
    assert len({str(c) for c in codes}) == 3
    vi = {ERRORS["vi"][c] for c in (ErrorCode.DISK_FULL, ErrorCode.PERMISSION_DENIED)}
    assert len(vi) == 2 and ErrorCode.PERMISSION_DENIED in MAINTENANCE
    assert "quyền truy cập" in ERRORS["vi"][ErrorCode.PERMISSION_DENIED]


def test_sqlite_full_disk_is_disk_full(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "f.sqlite3")
    db.execute("CREATE TABLE t (x TEXT)")
    db.execute("PRAGMA max_page_count = 2")  # SQLite's own SQLITE_FULL, as on a full SD card
    with pytest.raises(sqlite3.OperationalError) as info:
        for _ in range(200):
            db.execute("INSERT INTO t VALUES (?)", ("x" * 1000,))
        db.commit()
    exc = storage_failure(info.value, tmp_path / "f.sqlite3", "feedback database")
    assert isinstance(exc, DiskFullError) and "free space" in str(exc)


def test_damaged_feedback_database_is_store_corrupt_with_the_fix(tmp_path: Path) -> None:
    from kiosk_app.ui.feedback_store import FeedbackStore

    path = tmp_path / "feedback.sqlite3"
    path.write_bytes(b"this is not a database, a bad SD card sector " * 100)
    with pytest.raises(sqlite3.DatabaseError) as info:
        FeedbackStore(path)
    exc = storage_failure(info.value, path, "feedback database")
    assert isinstance(exc, StoreCorruptError) and f"mv {path} {path}.damaged" in str(exc)


def test_readonly_sqlite_is_a_permission_problem() -> None:
    exc = storage_failure(sqlite3.OperationalError("attempt to write a readonly database"), "/d/f", "db")
    assert isinstance(exc, PermissionDeniedError)


def test_log_file_on_a_full_disk_says_so_once(tmp_path: Path) -> None:
    """Every log record on a full disk used to print a '--- Logging error ---' traceback."""
    if not Path("/dev/full").exists():
        missing("/dev/full is not available")
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "kiosk.log").symlink_to("/dev/full")
    code = (
        "import logging\n"
        "from pathlib import Path\n"
        "from kiosk_app.logging_setup import configure_logging\n"
        "from kiosk_app.core.settings import Settings\n"
        f"configure_logging(Settings(data_dir=Path({str(tmp_path)!r})), console=False)\n"
        "for i in range(50):\n"
        "    logging.getLogger('kiosk_app.test').warning('record %d', i)\n"
    )
    res = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0
    assert "Logging error" not in res.stderr and "Traceback" not in res.stderr, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if "file logging stopped" in ln]
    assert len(lines) == 1 and f"[{ErrorCode.DISK_FULL}]" in lines[0], res.stderr


def test_settings_folder_instead_of_file_is_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "kiosk.toml"
    folder.mkdir()
    res = subprocess.run([sys.executable, "-m", "kiosk_app", "--config", str(folder), "doctor"], cwd=REPO,
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 1 and res.stderr.count("\n") == 1 and "is a directory" in res.stderr


def test_controller_logs_a_full_feedback_database_in_one_line(caplog: pytest.LogCaptureFixture) -> None:
    from kiosk_app.ui.controller import _store_failed  # imports Kivy: its start-up lines come first

    class FullStore:
        path = Path("/var/lib/ward-kiosk/feedback.sqlite3")

    with caplog.at_level(logging.ERROR):
        _store_failed(FullStore(), sqlite3.OperationalError("database or disk is full"),
                      "could not store a rating")
    ours = [r for r in caplog.records if r.name == "kiosk_app.ui.controller"]
    assert len(ours) == 1 and ours[0].exc_info is None
    assert "[disk-full]" in ours[0].getMessage() and "feedback.sqlite3" in ours[0].getMessage()
