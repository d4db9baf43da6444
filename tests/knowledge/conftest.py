"""Knowledge-core fixtures: one index of the sample records per test session (E5 embedding ~5 s)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk_app.core.settings import Settings
from knowledge.bundle.sample import sample_vectors
from knowledge.bundle.schema import Record, load_out_of_scope_dir, load_records_dir

REPO = Path(__file__).resolve().parents[2]
SAMPLE_RECORDS = REPO / "knowledge" / "sample" / "records"
EVAL_DIR = REPO / "bench" / "eval"


@pytest.fixture(scope="session")
def sample_records() -> list[Record]:
    return load_records_dir(SAMPLE_RECORDS)


@pytest.fixture(scope="session")
def records(sample_records: list[Record]) -> dict[str, Record]:
    """The sample records by id."""
    return {r.id: r for r in sample_records}


@pytest.fixture(scope="session")
def sample_bundle_dir(tmp_path_factory: pytest.TempPathFactory, sample_records: list[Record]) -> Path:
    """An unpacked sample bundle with its Chroma index, built once per session."""
    from knowledge.service import prepare_bundle_dir

    return prepare_bundle_dir(sample_records, tmp_path_factory.mktemp("bundle") / "sample-1",
                              bundle_id="sample", version="1",
                              out_of_scope=load_out_of_scope_dir(SAMPLE_RECORDS),
                              vectors=sample_vectors())


@pytest.fixture(scope="session")
def kn_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="session")
def knowledge(sample_bundle_dir: Path, kn_settings: Settings) -> Iterator[object]:
    from knowledge.service import Knowledge

    kn = Knowledge.open(sample_bundle_dir, kn_settings)
    yield kn
    kn.close()


@pytest.fixture
def data_dir(tmp_path: Path, sample_bundle_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data dir whose active bundle is the session's sample bundle (the CLI finds it by env)."""
    bundles = tmp_path / "data" / "bundles"
    bundles.mkdir(parents=True)
    (bundles / "current").symlink_to(sample_bundle_dir)
    monkeypatch.setenv("KIOSK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    return tmp_path / "data"
