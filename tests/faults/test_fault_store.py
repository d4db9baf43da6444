"""Faults in the knowledge store: a corrupt index at start-up, and the disk filling up during an import.

Real ward data folder (signed bundles imported for real, Chroma index on disk). tests/knowledge/
test_store.py covers ``open_index`` on a damaged database; tests/staff/test_importer.py covers the
importer's disk-full handling with a fake indexer; here the kiosk's start-up path, ``kiosk doctor``,
the recovery commands and the real indexer are exercised end to end.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kiosk_app.core.errors import DiskFullError, ErrorCode, StoreCorruptError
from kiosk_app.core.events import Failed
from kiosk_app.core.settings import Settings
from kiosk_app.ui.messages import MAINTENANCE
from knowledge.bundle import importer
from knowledge.service import open_current
from tests.faults.conftest import Ward
from tests.faults.fault_kit import IN_SCOPE, EventQueue, run_cli


def garble(index_dir: Path) -> Path:
    """Overwrite the middle of the Chroma database with random bytes (a bad SD-card sector)."""
    db = index_dir / "chroma.sqlite3"
    data = bytearray(db.read_bytes())
    data[4096:len(data) - 4096] = os.urandom(len(data) - 8192)
    db.write_bytes(bytes(data))
    return db


def current(s: Settings) -> str:
    return os.readlink(s.bundles_dir / "current")


def cli(s: Settings, monkeypatch: pytest.MonkeyPatch, *argv: str) -> int:
    monkeypatch.setenv("KIOSK_DATA_DIR", str(s.data_dir))
    monkeypatch.setenv("KIOSK_ASR__DETECT_ENGLISH", "false")
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    return run_cli(list(argv))


def test_corrupt_store_at_start_is_named_reported_and_rolled_back(
        ward_copy: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    s = ward_copy
    damaged = (s.bundles_dir / current(s)).resolve() / "index"
    garble(damaged)

    # 1. the kiosk starts: a precise error naming the path and the fix, the maintenance screen
    from kiosk_app import wiring
    from kiosk_app.pipeline.worker import PipelineWorker

    with pytest.raises(StoreCorruptError) as exc:
        wiring.build_kiosk_pipeline(s, lambda _e: None)
    msg = str(exc.value)
    assert str(damaged) in msg and "kiosk bundle import" in msg
    q = EventQueue()
    worker = PipelineWorker(lambda sink: wiring.build_kiosk_pipeline(s, sink), q)
    worker.start()
    try:
        assert q.wait_for(lambda evs: any(isinstance(e, Failed) for e in evs), 120)
        failed = next(e for e in q.events if isinstance(e, Failed))
        assert failed.code is ErrorCode.STORE_CORRUPT and failed.code in MAINTENANCE  # "Máy đang bảo trì"
    finally:
        assert worker.stop(10)

    # 2. the technician runs `kiosk doctor`: the bundle check fails with the path and the fix
    from kiosk_app.ops import doctor
    from kiosk_app.ops.doctor import Level, check_bundle, run_checks

    (res,) = run_checks(s, (check_bundle,))
    assert res.level is Level.FAIL and "[store-corrupt]" in res.detail and str(damaged) in res.detail
    assert "kiosk bundle rollback" in res.fix
    # the command itself (its model/microphone/speaker checks are the doctor's own tests)
    monkeypatch.setattr(doctor, "run_checks", lambda st: run_checks(st, (doctor.check_disk, check_bundle)))
    capsys.readouterr()
    assert cli(s, monkeypatch, "doctor") == 1
    printed = capsys.readouterr().out
    assert "[FAIL] bundle" in printed and "store-corrupt" in printed and "kiosk bundle rollback" in printed

    # 3. `kiosk bundle rollback` recovers: the previous version answers again
    assert cli(s, monkeypatch, "bundle", "rollback", "--yes") == 0
    assert current(s) == "phuong-1"
    with open_current(s) as kn:
        assert kn.ask(IN_SCOPE).procedure_id == "khai-sinh"
    assert check_bundle(s).level is not Level.FAIL


def test_rollback_to_a_previous_with_a_corrupt_index_is_refused_and_the_kiosk_keeps_answering(
        ward_copy: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A bad sector in the *previous* version's index: rollback must not switch to it (it used to, and
    the kiosk then stopped answering with store-corrupt)."""
    s = ward_copy
    garble(s.bundles_dir / "phuong-1" / "index")
    capsys.readouterr()
    assert cli(s, monkeypatch, "bundle", "rollback", "--yes") == 1
    err = capsys.readouterr().err
    assert "[bundle-damaged]" in err and "phuong-1 (phuong@1) is damaged: search index" in err
    assert "Chỉ mục tìm kiếm của phiên bản này bị hỏng." in err and "Máy vẫn dùng phuong@2" in err
    assert current(s) == "phuong-2"
    with open_current(s) as kn:
        assert kn.ask(IN_SCOPE).procedure_id == "khai-sinh"
    assert cli(s, monkeypatch, "bundle", "status") == 0  # the active bundle is fine
    printed = capsys.readouterr()
    assert "HỎNG" in printed.out and "phuong-1 (previous) is damaged" in printed.err


def test_corrupt_store_without_previous_is_rebuilt_by_the_named_command(
        ward: Ward, ward_copy: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The error says "rebuild it with: kiosk bundle import FILE": importing the same file again must
    rebuild the damaged index (it used to say "already active; nothing changed")."""
    s = ward_copy
    garble((s.bundles_dir / current(s)).resolve() / "index")
    with pytest.raises(StoreCorruptError):
        open_current(s)
    same_file = ward.data_dir.parent / "usb" / "phuong-2.wkb"  # the very file that was imported
    assert cli(s, monkeypatch, "bundle", "import", "--yes", str(same_file)) == 0
    with open_current(s) as kn:
        assert kn.bundle.manifest.label == "phuong@2"
        assert kn.ask(IN_SCOPE).procedure_id == "khai-sinh"
    assert os.readlink(s.bundles_dir / "previous") == "phuong-1"  # never the damaged copy


@pytest.mark.parametrize("phase", ["copy", "index"])
def test_disk_full_during_import_keeps_the_old_bundle_answering(
        ward: Ward, ward_copy: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], phase: str) -> None:
    s = ward_copy
    before = current(s)
    new = ward.bundle_file(tmp_path / "usb", "3", ids=("khai-sinh", "ket-hon", "khai-tu", "can-cuoc"))
    if phase == "copy":  # the records are being written into the staging folder
        real_write = importer._write_file

        def write(path: Path, data: bytes) -> None:
            if path.suffix == ".yaml":
                raise OSError(errno.ENOSPC, "No space left on device", str(path))
            real_write(path, data)
        monkeypatch.setattr(importer, "_write_file", write)
    else:  # Chroma has written part of the new index when the disk fills up
        import knowledge.understand.store as store

        real_build = store.build_index

        def build(bundle: Any, index_dir: Path, progress: Callable[[int, int], None] | None = None) -> None:
            def full(done: int, total: int) -> None:
                if done > 0:
                    raise OSError(errno.ENOSPC, "No space left on device", str(index_dir / "chroma.sqlite3"))
            real_build(bundle, index_dir, full)
        monkeypatch.setattr(store, "build_index", build)

    with pytest.raises(DiskFullError) as exc:
        importer.import_bundle(new, s)
    assert "unchanged" in str(exc.value)
    assert current(s) == before
    assert not [p for p in s.bundles_dir.iterdir() if p.name.startswith(".incoming")], "staging left behind"
    with open_current(s) as kn:  # the old bundle still answers
        assert kn.bundle.manifest.label == "phuong@2"
        assert kn.ask(IN_SCOPE).procedure_id == "khai-sinh"
    # the staff CLI says it in Vietnamese, exits non-zero, and changes nothing
    capsys.readouterr()
    assert cli(s, monkeypatch, "bundle", "import", "--yes", str(new)) != 0
    err = capsys.readouterr().err
    assert "hết dung lượng" in err or "disk-full" in err, err
    assert current(s) == before
