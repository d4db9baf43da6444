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

REPO = Path(__file__).resolve().parent.parent
SAMPLE_RECORDS = REPO / "knowledge" / "sample" / "records"


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
