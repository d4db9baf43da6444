"""Test environment: Kivy headless and isolated, no network, settings built explicitly."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="kivyhome-"))
os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
os.environ["ANONYMIZED_TELEMETRY"] = "False"  # chromadb: never phone home

from pathlib import Path

import pytest

from kiosk_app.core.settings import Settings
from tests import needs

REPO = Path(__file__).resolve().parent.parent
SAMPLE_RECORDS = REPO / "knowledge" / "sample" / "records"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "needs(reason): cannot run because of reason (tests/needs.py)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        needs.skip_marked(item)  # a test marked with what is missing skips…


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    needs.fail_marked(item)  # …or fails, before its set-up, under KIOSK_REQUIRE_SYSTEM_TESTS=1


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Default settings with every path under a temp dir."""
    return Settings(data_dir=tmp_path / "data")


VIENEU_DIR = REPO / "tests" / "fixtures" / "vieneu"


@pytest.fixture(scope="session")
def vieneu_wav() -> Path:
    """A real Vietnamese recording (male, Northern accent), from the vieneu wheel's assets."""
    wav = VIENEU_DIR / "Tuyên (nam miền Bắc).wav"
    if not wav.is_file():
        pytest.fail(f"{wav} missing: run .venv/bin/python scripts/fetch_fixtures.py (scripts/test.sh does)")
    return wav
