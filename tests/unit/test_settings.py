from __future__ import annotations

from pathlib import Path

import pytest

from kiosk_app.core.errors import ErrorCode, SettingsError
from kiosk_app.core.settings import AsrEngine, Settings

REPO = Path(__file__).resolve().parents[2]


def test_documented_default_file_matches_code_defaults(tmp_path: Path) -> None:
    s = Settings.load(REPO / "config" / "kiosk.toml", environ={"KIOSK_DATA_DIR": str(tmp_path)})
    assert s.model_dump(exclude={"data_dir"}) == Settings(data_dir=tmp_path).model_dump(exclude={"data_dir"})


def test_env_overrides_file(tmp_path: Path) -> None:
    f = tmp_path / "k.toml"
    f.write_text('kiosk_id = "a"\n[asr]\nengine = "vietasr"\n', encoding="utf-8")
    s = Settings.load(f, environ={"KIOSK_ASR__ENGINE": "vosk", "KIOSK_DATA_DIR": str(tmp_path)})
    assert s.asr.engine is AsrEngine.VOSK and s.kiosk_id == "a" and s.data_dir == tmp_path


@pytest.mark.parametrize(("toml", "needle"), [
    ("[endpoint]\nhangover_s = 99\n", "endpoint.hangover_s"),
    ("[asr]\nengine = \"google\"\n", "asr.engine"),
    ("[nosuch]\nx = 1\n", "nosuch"),
    ("kiosk_id = [", "not valid TOML"),
])
def test_bad_settings_name_the_field(tmp_path: Path, toml: str, needle: str) -> None:
    f = tmp_path / "k.toml"
    f.write_text(toml, encoding="utf-8")
    with pytest.raises(SettingsError) as exc:
        Settings.load(f, environ={})
    assert needle in str(exc.value) and exc.value.code is ErrorCode.SETTINGS_INVALID


def test_settings_are_frozen(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path)
    with pytest.raises(Exception):  # noqa: B017 - pydantic raises ValidationError on frozen assignment
        s.kiosk_id = "x"  # type: ignore[misc]
