"""The Chroma store: built into a fresh directory, reopened, precise errors when missing or damaged."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk_app.core.errors import StoreCorruptError, StoreMissingError
from knowledge.bundle.schema import Record
from knowledge.understand.store import META_FILE, build_index, open_index, record_docs

REBUILD = "kiosk bundle import --sample"


def test_each_record_is_indexed_as_title_aliases_and_summary(sample_records: list[Record]) -> None:
    rec = next(r for r in sample_records if r.id == "khai-sinh")
    kinds = [d.kind for d in record_docs(rec)]
    assert kinds.count("title") == 1 and kinds.count("summary") == 1
    assert kinds.count("alias") == len(rec.aliases)
    assert kinds.count("alias_en") == len(rec.aliases_en)


def test_alias_finds_its_procedure(sample_bundle_dir: Path) -> None:
    index = open_index(sample_bundle_dir / "index")
    try:
        hits = index.query("làm giấy khai sinh cho cháu mới đẻ", 5)
        assert hits[0].procedure_id == "khai-sinh"
        assert all(-1.0 <= h.similarity <= 1.0 for h in hits)
    finally:
        index.close()


def test_index_opens_in_a_fresh_process(sample_bundle_dir: Path) -> None:
    """The embedding function is found by name after a restart (registered, offline)."""
    code = ("import sys, pathlib; from knowledge.understand.store import open_index;"
            "i = open_index(pathlib.Path(sys.argv[1])); print(i.query('giấy độc thân', 1)[0].procedure_id)")
    res = subprocess.run([sys.executable, "-c", code, str(sample_bundle_dir / "index")],
                         capture_output=True, text=True, timeout=120, env={"ANONYMIZED_TELEMETRY": "False",
                                                                           "PATH": "/usr/bin:/bin"})
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "xac-nhan-tinh-trang-hon-nhan"


def test_missing_store_names_path_and_rebuild_command(tmp_path: Path) -> None:
    with pytest.raises(StoreMissingError) as exc:
        open_index(tmp_path / "nowhere")
    assert str(tmp_path / "nowhere") in str(exc.value) and REBUILD in str(exc.value)
    assert exc.value.code == "store-missing"


@pytest.fixture
def index_copy(sample_bundle_dir: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "index"
    shutil.copytree(sample_bundle_dir / "index", dst)
    return dst


def test_corrupt_database_is_reported(index_copy: Path) -> None:
    (index_copy / "chroma.sqlite3").write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreCorruptError) as exc:
        open_index(index_copy)
    assert str(index_copy) in str(exc.value) and REBUILD in str(exc.value)
    assert exc.value.code == "store-corrupt"


def test_damaged_metadata_is_reported(index_copy: Path) -> None:
    (index_copy / META_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(StoreCorruptError, match=META_FILE):
        open_index(index_copy)


def test_build_refuses_a_non_empty_directory(tmp_path: Path, sample_bundle_dir: Path) -> None:
    from knowledge.bundle.schema import read_bundle_dir

    (tmp_path / "junk.txt").write_text("x")
    with pytest.raises(FileExistsError):
        build_index(read_bundle_dir(sample_bundle_dir), tmp_path)
