"""Provisioning as a technician runs it: into a temp root, twice; the second run changes nothing."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from kiosk_app.errors import SettingsError
from kiosk_app.pin import hash_pin, verify_pin
from kiosk_app.provision import ProvisionOptions, render_toml, service_step, settings_step
from kiosk_app.settings import Settings


def _opts(root: Path, **kw: object) -> ProvisionOptions:
    base = {"root": root, "kiosk_id": "cg-01", "ward_name": "Phường Cầu Giấy", "pin": "2468",
            "asr_engine": "vietasr", "user": "kiosk"}
    return ProvisionOptions(**{**base, **kw})  # type: ignore[arg-type]


def test_settings_written_valid_private_and_idempotent(tmp_path: Path) -> None:
    opts = _opts(tmp_path)
    assert settings_step(opts).changed
    s = Settings.load(opts.config_path, environ={})
    assert s.kiosk_id == "cg-01" and s.ui.ward_name == "Phường Cầu Giấy"
    assert s.data_dir == tmp_path / "var" / "lib" / "ward-kiosk"
    assert verify_pin("2468", s.staff.pin_hash) and not verify_pin("2469", s.staff.pin_hash)
    assert "2468" not in opts.config_path.read_text()
    assert stat.S_IMODE(opts.config_path.stat().st_mode) == 0o640
    assert not settings_step(opts).changed  # same PIN keeps its hash: nothing rewritten
    assert settings_step(_opts(tmp_path, pin="1357")).changed


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
    with pytest.raises(ValueError):
        hash_pin("12")
    assert not verify_pin("1234", "") and not verify_pin("1234", "md5$x$y")
