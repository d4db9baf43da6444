"""Settings → voice-in engines (kiosk_app.wiring): defaults, Vosk when provisioned, named errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk_app.core.settings import AsrSettings, EndpointSettings, Settings
from kiosk_app.wiring import build_recognizer, build_vad


def test_default_vad_is_energy(settings: Settings) -> None:
    from speech.vad.energy import EnergyVad

    assert isinstance(build_vad(settings), EnergyVad)


def test_silero_when_configured(tmp_path: Path) -> None:
    from speech.vad.silero import SileroVad

    vad = build_vad(Settings(data_dir=tmp_path, endpoint=EndpointSettings(vad="silero")))
    assert isinstance(vad, SileroVad) and vad.chunk_samples == 512
    assert vad(b"\x00\x00" * 512) < 0.1


@pytest.mark.engine
def test_default_recognizer_is_vietasr(tmp_path: Path) -> None:
    rec = build_recognizer(Settings(data_dir=tmp_path, asr=AsrSettings(detect_english=False)))
    try:
        assert rec.name == "vietasr"
    finally:
        rec.close()


def test_vosk_without_its_model_falls_back_to_vietasr_and_says_why(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """viet-asr is built in: a missing Vosk model must not put the kiosk into maintenance (issue 17)."""
    s = Settings(data_dir=tmp_path, asr=AsrSettings(engine="vosk", detect_english=False))
    rec = build_recognizer(s)
    try:
        assert rec.name == "vietasr"
    finally:
        rec.close()
    msg = caplog.text
    assert "vosk-vi" in msg and str(tmp_path / "models" / "vosk-vi") in msg and "viet-asr" in msg


def test_doctor_warns_but_does_not_fail_for_a_missing_vosk_model(tmp_path: Path) -> None:
    from kiosk_app.ops.doctor import Level, check_models

    check = check_models(Settings(data_dir=tmp_path, asr=AsrSettings(engine="vosk", detect_english=False),
                                  ui={"languages": ["vi"]}))
    assert check.level is Level.WARN and "vosk-vi" in check.detail and "viet-asr" in check.detail


def _activate_sample_bundle(s: Settings) -> None:
    """Unpack a bundle of the sample records as ``bundles/current`` (no index: Vosk needs only text)."""
    import io
    import zipfile

    from knowledge.bundle.schema import build_bundle_bytes, load_records_dir

    records = load_records_dir(Path(__file__).resolve().parents[2] / "knowledge" / "sample" / "records")
    data = build_bundle_bytes(records, bundle_id="sample", version="t")
    target = s.bundles_dir / "sample@t"
    zipfile.ZipFile(io.BytesIO(data)).extractall(target)
    (s.bundles_dir / "current").symlink_to(target.name)


@pytest.mark.engine
def test_vosk_when_provisioned_with_bundle_grammar(tmp_path: Path) -> None:
    asr = AsrSettings(engine="vosk", vosk_model="vosk-ko-test", vosk_grammar=True)
    s = Settings(data_dir=tmp_path, asr=asr)
    _activate_sample_bundle(s)
    rec = build_recognizer(s)
    try:
        assert rec.name == "vosk" and rec.transcribe(b"\x00\x00" * 8000, 16000).text == ""
        grammar = rec.grammar  # type: ignore[attr-defined]
        assert "đăng ký khai sinh" in grammar and "khai" in grammar and "bao nhiêu tiền" in grammar
    finally:
        rec.close()


def test_vosk_grammar_without_a_bundle_is_off_with_a_warning(tmp_path: Path,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    from kiosk_app.wiring import _vosk_grammar

    assert _vosk_grammar(Settings(data_dir=tmp_path), tmp_path) is None
    assert "grammar mode off" in caplog.text
