"""Import, rollback, status and crash recovery of the bundles folder (index replaced by a fast fake)."""

from __future__ import annotations

import errno
import fcntl
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kiosk_app.core.errors import BundleError, DiskFullError, NoRollbackError
from kiosk_app.core.settings import Settings, StaffSettings
from kiosk_app.ui.bundle_messages import staff_vi
from knowledge.bundle import importer, version_folders, versions
from knowledge.bundle.sample import sample_bundle_bytes
from knowledge.bundle.schema import Bundle, read_bundle_dir


def current(settings: Settings) -> str:
    return os.readlink(settings.bundles_dir / "current")


def test_import_activates_the_bundle(settings: Settings, make_bundle: Callable[..., Path],
                                     fast: dict[str, Any]) -> None:
    phases: list[str] = []
    res = importer.import_bundle(make_bundle("1"), settings, lambda p, d, t: phases.append(p), **fast)
    assert res.info.label == "phuong@1" and not res.unchanged and res.previous is None
    assert current(settings) == "phuong-1"
    active = read_bundle_dir(settings.bundles_dir / "current")  # checksums of the copied files hold
    assert list(active.records) == ["khai-sinh", "ket-hon", "khai-tu"]
    assert res.info.signed_by is not None
    assert set(phases) == set(importer.PHASES)


def test_second_import_keeps_the_first_as_previous_and_rollback_swaps(
        settings: Settings, make_bundle: Callable[..., Path], fast: dict[str, Any]) -> None:
    importer.import_bundle(make_bundle("1"), settings, **fast)
    res = importer.import_bundle(make_bundle("2"), settings, **fast)
    assert res.previous == "phuong@1" and current(settings) == "phuong-2"
    st = versions.status(settings)
    assert st.current and st.current.label == "phuong@2" and st.previous and st.previous.label == "phuong@1"
    assert versions.rollback(settings).label == "phuong@1"
    assert current(settings) == "phuong-1"
    assert versions.rollback(settings).label == "phuong@2"  # rollback is itself undoable


def test_rollback_without_previous_is_refused(settings: Settings, make_bundle: Callable[..., Path],
                                              fast: dict[str, Any]) -> None:
    with pytest.raises(NoRollbackError):
        versions.rollback(settings)
    importer.import_bundle(make_bundle("1"), settings, **fast)
    with pytest.raises(NoRollbackError):
        versions.rollback(settings)
    assert current(settings) == "phuong-1"


def test_same_bundle_again_changes_nothing(settings: Settings, make_bundle: Callable[..., Path],
                                           fast: dict[str, Any]) -> None:
    path = make_bundle("1")
    importer.import_bundle(path, settings, **fast)
    res = importer.import_bundle(path, settings, **fast)
    assert res.unchanged and current(settings) == "phuong-1"
    assert versions.status(settings).previous is None


def test_only_the_configured_number_of_old_versions_is_kept(
        tmp_path: Path, make_bundle: Callable[..., Path], fast: dict[str, Any]) -> None:
    s = Settings(data_dir=tmp_path / "data2", staff=StaffSettings(keep_versions=2))
    from knowledge.bundle.signing import trust_key
    trust_key(s, next((tmp_path / "office-keys").glob("*.pub")))
    for v in ("1", "2", "3", "4", "5"):
        importer.import_bundle(make_bundle(v), s, **fast)
    kept = sorted(p.name for p in s.bundles_dir.iterdir() if not p.name.startswith("."))
    assert kept == ["current", "phuong-3", "phuong-4", "phuong-5", "previous"]


def test_index_failure_leaves_current_and_no_staging(settings: Settings, make_bundle: Callable[..., Path],
                                                     fast: dict[str, Any]) -> None:
    importer.import_bundle(make_bundle("1"), settings, **fast)

    def broken(bundle: Bundle, index_dir: Path, progress: Any) -> None:
        index_dir.mkdir(parents=True)
        (index_dir / "half.bin").write_bytes(b"x" * 100)
        raise RuntimeError("hnsw exploded")

    with pytest.raises(BundleError, match="search index failed") as exc:
        importer.import_bundle(make_bundle("2"), settings, indexer=broken, smoke=fast["smoke"])
    assert "chỉ mục" in staff_vi(exc.value)
    assert current(settings) == "phuong-1"
    assert sorted(p.name for p in settings.bundles_dir.iterdir() if not p.name.startswith(".lock")) == [
        "current", "phuong-1"]


def test_smoke_failure_refuses(settings: Settings, make_bundle: Callable[..., Path],
                               fast: dict[str, Any]) -> None:
    importer.import_bundle(make_bundle("1"), settings, **fast)

    def smoke(bundle_dir: Path, bundle: Bundle) -> None:
        raise BundleError("smoke test: the title of 'khai-sinh' does not find it",
                          "smoke-title-not-found", rid="khai-sinh")

    with pytest.raises(BundleError, match="smoke") as exc:
        importer.import_bundle(make_bundle("2"), settings, indexer=fast["indexer"], smoke=smoke)
    assert staff_vi(exc.value) == "Kiểm tra thử thất bại: không tìm thấy thủ tục khai-sinh theo tên của nó."
    assert current(settings) == "phuong-1"


@pytest.mark.parametrize("where", ["index", "copy"])
def test_disk_full_is_named_and_nothing_is_lost(settings: Settings, make_bundle: Callable[..., Path],
                                                fast: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
                                                where: str) -> None:
    importer.import_bundle(make_bundle("1"), settings, **fast)
    indexer = fast["indexer"]
    if where == "index":
        def indexer(bundle: Bundle, index_dir: Path, progress: Any) -> None:
            index_dir.mkdir(parents=True)
            raise RuntimeError("database or disk is full")  # what sqlite says through chromadb
    else:
        real = importer._write_file

        def full(path: Path, data: bytes) -> None:
            if path.name.endswith(".yaml"):
                raise OSError(errno.ENOSPC, "No space left on device", str(path))
            real(path, data)
        monkeypatch.setattr(importer, "_write_file", full)
    with pytest.raises(DiskFullError) as exc:
        importer.import_bundle(make_bundle("2"), settings, indexer=indexer, smoke=fast["smoke"])
    assert "unchanged" in str(exc.value)
    assert "hết dung lượng" in staff_vi(exc.value)
    assert current(settings) == "phuong-1"
    assert not [p for p in settings.bundles_dir.iterdir() if p.name.startswith(".incoming-")]


def test_a_second_writer_is_refused_while_one_holds_the_lock(
        settings: Settings, make_bundle: Callable[..., Path], fast: dict[str, Any]) -> None:
    settings.bundles_dir.mkdir(parents=True)
    fd = os.open(settings.bundles_dir / ".lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with pytest.raises(BundleError, match="another bundle import") as exc:
            importer.import_bundle(make_bundle("1"), settings, **fast)
        assert "xin chờ" in staff_vi(exc.value)
    finally:
        os.close(fd)
    importer.import_bundle(make_bundle("1"), settings, **fast)


def test_recovery_cleans_staging_and_repoints_a_dangling_current(
        settings: Settings, make_bundle: Callable[..., Path], fast: dict[str, Any]) -> None:
    importer.import_bundle(make_bundle("1"), settings, **fast)
    importer.import_bundle(make_bundle("2"), settings, **fast)
    root = settings.bundles_dir
    (root / ".incoming-dead" / "records").mkdir(parents=True)  # a crash during an import
    (root / "current.new").symlink_to("phuong-2")  # a crash between symlink() and replace()
    import shutil
    shutil.rmtree(root / "phuong-2")  # the active folder vanished (disk trouble, a technician)
    assert versions.status(settings).current is None
    actions = version_folders.recover(settings)
    assert len(actions) >= 3
    assert current(settings) == "phuong-1"
    assert not (root / ".incoming-dead").exists() and not (root / "current.new").exists()
    assert versions.status(settings).problems == ()


def test_ensure_sample_activates_the_built_in_sample_once(settings: Settings, fast: dict[str, Any]) -> None:
    res = importer.ensure_sample(settings, **fast)
    assert res is not None and res.info.sample and res.info.record_count >= 3
    assert res.info.signed_by is None  # built locally from package data: no signature involved
    assert importer.ensure_sample(settings, **fast) is None


def test_sample_bundle_manifest_is_deterministic() -> None:
    from knowledge.bundle.safezip import read_members

    first, second = (read_members(sample_bundle_bytes()) for _ in range(2))
    assert first == second


def test_start_up_while_another_process_imports_uses_the_active_bundle(
        settings: Settings, make_bundle: Callable[..., Path], fast: dict[str, Any]) -> None:
    importer.import_bundle(make_bundle("1"), settings, **fast)
    fd = os.open(settings.bundles_dir / ".lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        assert importer.ensure_sample(settings, **fast) is None
        assert current(settings) == "phuong-1"
    finally:
        os.close(fd)


def test_a_fifo_or_device_is_refused_without_blocking(settings: Settings, tmp_path: Path,
                                                      fast: dict[str, Any]) -> None:
    fifo = tmp_path / "pipe.wkb"
    os.mkfifo(fifo)
    with pytest.raises(BundleError, match="not a regular file"):
        importer.import_bundle(fifo, settings, **fast)
    with pytest.raises(BundleError, match="not a regular file"):
        importer.import_bundle(Path("/dev/zero"), settings, **fast)
