"""``kiosk say`` as a technician uses it."""

from __future__ import annotations

import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kiosk_app.cli import main

FEE = "Lệ phí đăng ký khai sinh quá hạn là 5.000 đồng"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KIOSK_CONFIG", str(Path(__file__).resolve().parents[2] / "config" / "kiosk.toml"))
    monkeypatch.setenv("KIOSK_DATA_DIR", str(tmp_path / "data"))


def _wav(path: Path) -> tuple[float, np.ndarray]:
    with wave.open(str(path)) as w:
        frames = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
        return w.getnframes() / w.getframerate(), frames


def test_say_to_a_wav_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "a.wav"
    assert main(["say", FEE, "--out", str(out), "--show-normalized"]) == 0
    printed = capsys.readouterr().out
    assert "Lệ phí đăng ký khai sinh quá hạn là năm nghìn đồng" in printed
    assert "espeak-ng: 1 sentence(s)" in printed
    seconds, samples = _wav(out)
    assert 2.0 < seconds < 8.0
    rms = float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))
    assert rms > 1000 and np.abs(samples.astype(np.int32)).max() < 32767  # audible, not clipped


def test_louder_volume_from_settings_never_clips(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """[audio] volume = 2.0 on a weak speaker: louder, and no sample at full scale (it used to clip)."""
    assert main(["say", FEE, "--out", str(tmp_path / "n.wav")]) == 0
    monkeypatch.setenv("KIOSK_AUDIO__VOLUME", "2.0")
    assert main(["say", FEE, "--out", str(tmp_path / "loud.wav")]) == 0
    normal = _wav(tmp_path / "n.wav")[1].astype(np.float64)
    loud = _wav(tmp_path / "loud.wav")[1].astype(np.float64)
    assert np.abs(loud).max() <= 32767 * 10 ** (-1 / 20)  # peak <= -1 dBFS
    assert 20 * np.log10(np.sqrt(np.mean(loud**2)) / np.sqrt(np.mean(normal**2))) > 3.0  # dB louder


def test_slower_rate_makes_it_longer(tmp_path: Path) -> None:
    assert main(["say", FEE, "--out", str(tmp_path / "n.wav")]) == 0
    assert main(["say", FEE, "--out", str(tmp_path / "s.wav"), "--rate", "0.8"]) == 0
    assert _wav(tmp_path / "s.wav")[0] > 1.15 * _wav(tmp_path / "n.wav")[0]


def test_piper_without_a_vietnamese_voice_still_speaks(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["say", "Xin chào.", "--engine", "piper", "--out", str(tmp_path / "p.wav")]) == 0
    captured = capsys.readouterr()
    assert "piper-vi" in captured.err and "espeak-ng" in captured.err  # degraded, and says why
    assert _wav(tmp_path / "p.wav")[0] > 0.3


def test_english(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["say", "The fee is 5,000 dong.", "--lang", "en", "--engine", "espeak", "--out",
                 str(tmp_path / "e.wav")]) == 0
    assert _wav(tmp_path / "e.wav")[0] > 1.0


def test_no_speaker_is_a_clear_error(no_sound_card: Callable[[list[dict[str, Any]]], None],
                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["say", "Xin chào."]) == 1
    err = capsys.readouterr().err
    assert "[playback-failed] no audio output device" in err


@pytest.mark.parametrize("argv", [["say", "   "], ["say", "Xin chào", "--rate", "9"]])
def test_bad_input_exits_1(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 1
    assert capsys.readouterr().err.startswith("kiosk say:")
