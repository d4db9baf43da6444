"""Provisioning as a technician runs it: into a temp root, twice; the second run changes nothing."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from kiosk_app.core.errors import PinHashError, PinWeakError, SettingsError
from kiosk_app.core.pin import hash_pin, verify_pin
from kiosk_app.core.settings import Settings
from kiosk_app.ops.provision import ProvisionOptions, render_toml, service_step, settings_step


def _opts(root: Path, **kw: object) -> ProvisionOptions:
    base = {"root": root, "kiosk_id": "cg-01", "ward_name": "Phường Cầu Giấy", "pin": "246813",
            "asr_engine": "vietasr", "user": "kiosk"}
    return ProvisionOptions(**{**base, **kw})  # type: ignore[arg-type]


def test_settings_written_valid_private_and_idempotent(tmp_path: Path) -> None:
    opts = _opts(tmp_path)
    assert settings_step(opts).changed
    s = Settings.load(opts.config_path, environ={})
    assert s.kiosk_id == "cg-01" and s.ui.ward_name == "Phường Cầu Giấy"
    assert s.data_dir == tmp_path / "var" / "lib" / "ward-kiosk"
    assert verify_pin("246813", s.staff.pin_hash) and not verify_pin("246814", s.staff.pin_hash)
    assert "246813" not in opts.config_path.read_text()
    assert stat.S_IMODE(opts.config_path.stat().st_mode) == 0o640
    assert not settings_step(opts).changed  # same PIN keeps its hash: nothing rewritten
    assert settings_step(_opts(tmp_path, pin="135792")).changed


def test_hand_edits_survive_reprovisioning(tmp_path: Path) -> None:
    opts = _opts(tmp_path)
    settings_step(opts)
    text = opts.config_path.read_text().replace("[asr]", "[endpoint]\nhangover_s = 0.9\n\n[asr]")
    opts.config_path.write_text(text)
    settings_step(_opts(tmp_path, ward_name="Phường Láng"))
    s = Settings.load(opts.config_path, environ={})
    assert s.endpoint.hangover_s == 0.9 and s.ui.ward_name == "Phường Láng"


def test_invalid_option_leaves_old_settings(tmp_path: Path) -> None:
    opts = _opts(tmp_path)
    settings_step(opts)
    before = opts.config_path.read_text()
    with pytest.raises(SettingsError, match=r"asr\.engine"):
        settings_step(_opts(tmp_path, asr_engine="google"))
    assert opts.config_path.read_text() == before


def test_service_unit_points_at_this_checkout(tmp_path: Path) -> None:
    opts = _opts(tmp_path)
    calls: list[list[str]] = []
    step = service_step(opts, calls.append)
    unit = opts.unit_path.read_text()
    assert step.changed and "Restart=always" in unit and "User=kiosk" in unit
    assert f"KIOSK_CONFIG={opts.config_path}" in unit
    assert not any(p in unit for p in ("@USER@", "@REPO@", "@CONFIG@"))
    assert calls == []  # not the real root: systemctl is never run
    assert not service_step(opts, calls.append).changed


def test_render_toml_round_trips() -> None:
    import tomllib

    data = {"a": "x \"q\" ư", "n": 3, "b": True, "ui": {"languages": ["vi", "en"], "f": 0.5}}
    assert tomllib.loads(render_toml(data)) == data


def test_pin_rules() -> None:
    with pytest.raises(PinWeakError):
        hash_pin("12")
    assert not verify_pin("1234", "")
    with pytest.raises(PinHashError, match="unknown scheme"):
        verify_pin("1234", "md5$x$y")


def _flip_byte(path: Path, offset: int) -> None:
    with path.open("r+b") as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ 0xFF]))


def test_kiosk_provision_assembles_whisper_once_and_rebuilds_a_damaged_copy(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """English is on by default: provisioning builds Whisper base, so the kiosk never does it at start."""
    import re

    from kiosk_app.cli import main
    from kiosk_app.core.models import require, verify
    from knowledge.bundle import importer
    from tests.staff.staff_cases import fake_indexer, no_smoke

    monkeypatch.setenv("KIOSK_CONFIG", "")
    monkeypatch.setattr(importer, "_default_indexer", fake_indexer)  # the sample's index is not the point
    monkeypatch.setattr(importer, "smoke_test", no_smoke)
    pin_file = tmp_path / "pin.txt"
    pin_file.write_text("246813\n")
    argv = ["provision", "--root", str(tmp_path), "--no-service", "--kiosk-id", "cg-01", "--pin-file",
            str(pin_file)]
    model = tmp_path / "var" / "lib" / "ward-kiosk" / "models" / "whisper-base"

    assert main(argv) == 0
    assert re.search(r"^whisper\s+changed\s+assembled .*whisper-base", capsys.readouterr().out, re.M)
    s = Settings.load(tmp_path / "etc" / "ward-kiosk" / "kiosk.toml", environ={})
    assert require(s, "whisper-base") == model and verify(s, "whisper-base") == model
    assert (model / "model.bin").stat().st_size > 100_000_000

    mtime = (model / "model.bin").stat().st_mtime_ns
    assert main(argv) == 0
    assert re.search(r"^whisper\s+unchanged\s+.*sha256 verified", capsys.readouterr().out, re.M)
    assert (model / "model.bin").stat().st_mtime_ns == mtime  # not copied again

    _flip_byte(model / "model.bin", 50_000_000)  # a bad SD-card sector: same size, wrong content
    assert main(argv) == 0
    assert re.search(r"^whisper\s+changed", capsys.readouterr().out, re.M)
    assert verify(s, "whisper-base") == model


def test_provision_skips_whisper_when_english_is_off(tmp_path: Path) -> None:
    from kiosk_app.ops.provision import whisper_step

    opts = _opts(tmp_path)
    settings_step(opts)
    s = Settings.load(opts.config_path, environ={})
    s = s.model_copy(update={"ui": s.ui.model_copy(update={"languages": ("vi",)})})
    step = whisper_step(s)
    assert not step.changed and "not used" in step.detail
    assert not (s.models_path / "whisper-base").exists()
