"""``kiosk doctor``'s model check covers Whisper base (English) like every other model."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk_app.core.settings import Settings
from kiosk_app.ops.doctor import Level, check_models


def test_doctor_reports_whisper_missing_then_ok(settings: Settings) -> None:
    res = check_models(settings)  # English on by default, nothing provisioned yet
    assert res.level is Level.FAIL
    assert "whisper-base" in res.detail and str(settings.models_path / "whisper-base") in res.detail
    assert "kiosk provision" in res.fix

    from speech.asr.whisper_model import assemble

    assemble(settings.models_path)
    res = check_models(settings)
    assert res.level is Level.OK and "whisper-base" in res.detail and "sha256 verified" in res.detail

    model_bin: Path = settings.models_path / "whisper-base" / "model.bin"
    with model_bin.open("r+b") as f:  # same size, one byte wrong: only the sha256 sees it
        f.seek(1000)
        f.write(b"\x00\x01\x02")
    res = check_models(settings)
    assert res.level is Level.FAIL and "corrupt" in res.detail
    assert "kiosk provision" in res.fix


def test_doctor_does_not_list_whisper_when_english_is_off(settings: Settings) -> None:
    s = settings.model_copy(update={"ui": settings.ui.model_copy(update={"languages": ("vi",)})})
    res = check_models(s)
    assert res.level is Level.OK and "whisper" not in res.detail


@pytest.mark.engine
def test_doctor_asr_check_never_builds_whisper_itself(settings: Settings) -> None:
    """The doctor reports a missing Whisper (above); its ASR check must not quietly assemble 145 MB."""
    from kiosk_app.ops.doctor import check_asr

    assert check_asr(settings).level is Level.OK
    assert not (settings.models_path / "whisper-base").exists()
