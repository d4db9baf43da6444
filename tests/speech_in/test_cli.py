"""The technician's commands: `kiosk listen` (no mic / a mic) and `kiosk ask --audio` with bad input."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk_app.cli import main
from speech.audio import read_wav, reinit_portaudio
from tests.speech_in.test_mic import FileMic
from tests.speech_in.voice_in_signals import VIENEU, noise

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def kiosk_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("KIOSK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    monkeypatch.delenv("ALSA_CONFIG_PATH", raising=False)
    reinit_portaudio()  # no sound card
    yield tmp_path
    reinit_portaudio()


def test_listen_without_microphone_says_so(kiosk_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["listen", "--seconds", "1"]) == 1
    err = capsys.readouterr().err
    assert "no microphone" in err and "no audio input device found" in err and "arecord -l" in err


def test_listen_unknown_device_lists_the_real_ones(kiosk_env: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    FileMic(kiosk_env).plug()
    try:
        assert main(["listen", "--device", "Blue Yeti", "--seconds", "1"]) == 1
    finally:
        os.environ.pop("ALSA_CONFIG_PATH")
    err = capsys.readouterr().err
    assert "'Blue Yeti'" in err and "kiosk_file" in err


def _block_sigint() -> None:  # what a parent can leave behind: the mask survives exec
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})


@pytest.mark.engine
@pytest.mark.parametrize("blocked", [False, True], ids=["plain", "sigint-blocked-by-the-parent"])
def test_listen_prints_partials_and_levels(tmp_path: Path, blocked: bool) -> None:
    fm = FileMic(tmp_path)
    fm.set_audio(noise(0.8) + read_wav(VIENEU / "Ly (nữ miền Bắc).wav")[0] + noise(1.5, seed=1))
    env = {**os.environ, **fm.env, "KIOSK_DATA_DIR": str(tmp_path / "data")}
    env.pop("KIOSK_CONFIG", None)
    proc = subprocess.Popen([sys.executable, "-m", "kiosk_app", "listen", "--seconds", "60"], cwd=REPO,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_block_sigint if blocked else None)
    lines: list[str] = []
    watchdog = threading.Timer(90, proc.kill)  # never hang the suite
    watchdog.start()
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # until the final text of the first utterance
            lines.append(line.rstrip("\n"))
            if line.startswith(" ") and "=>" in line:
                break
    finally:
        proc.send_signal(signal.SIGINT)  # the technician presses Ctrl+C
        _, err = proc.communicate(timeout=30)
        watchdog.cancel()
    assert lines[0].startswith("listening on 'default' (16000 Hz)"), err
    assert any("… chúng ta" in line for line in lines)  # a partial while speaking
    assert any("=> chúng ta có thể áp dụng" in line for line in lines), lines  # the final text
    assert any("dBFS" in line and "[" in line for line in lines)  # the level bar
    assert proc.returncode == 130 and "interrupted" in err


@pytest.mark.parametrize("content", [b"cho toi hoi\n", b"\x00\xff" * 300])
def test_ask_audio_refuses_non_audio(kiosk_env: Path, capsys: pytest.CaptureFixture[str],
                                     content: bytes) -> None:
    bad = kiosk_env / "question.wav"
    bad.write_bytes(content)
    assert main(["ask", "--audio", str(bad), "--json"]) == 1
    captured = capsys.readouterr()
    assert "[audio-invalid]" in captured.err and "question.wav" in captured.err
    assert "not a WAV file" in captured.err and captured.out == ""


@pytest.mark.engine
@pytest.mark.slow
def test_ask_audio_says_when_the_turn_ended_and_the_answer_was_ready(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 19: anyone can check the latency on their own recording, in the file's clock."""
    import json

    from kiosk_app.core.settings import Settings
    from knowledge.bundle.importer import ensure_sample
    from speech.audio import write_wav

    ensure_sample(Settings(data_dir=tmp_path / "data"))
    monkeypatch.setenv("KIOSK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KIOSK_ASR__DETECT_ENGLISH", "false")
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    wav = tmp_path / "cau-hoi.wav"
    write_wav(wav, read_wav(VIENEU / "Ly (nữ miền Bắc).wav")[0] + noise(1.0))

    def ask(turn_end: str) -> dict[str, float]:
        monkeypatch.setenv("KIOSK_ENDPOINT__TURN_END", turn_end)
        assert main(["ask", "--audio", str(wav), "--json"]) == 0
        res: dict[str, float] = json.loads(capsys.readouterr().out)
        return res

    words, silence = ask("words"), ask("silence")
    for res in (words, silence):
        assert res["speech_end_s"] == pytest.approx(2.97, abs=0.06)  # "… người khác" ends ~0.1 s before
        assert res["turn_end_s"] <= res["first_audio_s"] < res["turn_end_s"] + 1.5
    # "… với người khác" ends in neither a question word nor a connective: the middle wait
    assert words["turn_end_s"] - words["speech_end_s"] == pytest.approx(0.55, abs=0.04)
    assert silence["turn_end_s"] - silence["speech_end_s"] == pytest.approx(0.7, abs=0.04)
    assert words["answer_prepared_in_pause"] is True and silence["answer_prepared_in_pause"] is False
