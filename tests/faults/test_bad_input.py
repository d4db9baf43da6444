"""Bad inputs, all answered calmly: random bytes as audio, a 10-minute recording, a 5,000-character
question, and unusual Unicode (combining diacritics, zero-width and bidi characters, emoji, NUL).

Real engines and the real ward bundle. Times and memory are measured by bench/bench_soak.py and
reported in docs/benchmarks.md (## Faults); here only behaviour and generous memory bounds.
"""

from __future__ import annotations

import json
import random
import struct
import unicodedata
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from kiosk_app.core.errors import AudioInvalidError
from kiosk_app.core.events import AnswerReady, Failed, SpeechEnded
from kiosk_app.core.settings import Settings
from knowledge.types import Verdict
from speech.audio import SAMPLE_RATE, WavSource, read_wav, write_wav
from tests.faults.conftest import Engines, Run
from tests.faults.fault_kit import IN_SCOPE, VIENEU, run_cli


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch, *argv: str) -> int:
    monkeypatch.setenv("KIOSK_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("KIOSK_ASR__DETECT_ENGLISH", "false")
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    return run_cli(list(argv))


# ---- random bytes as audio -------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_bytes_as_audio_is_a_clear_audio_error(engines: Engines, tmp_path: Path, seed: int,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "cau-hoi.wav"
    junk.write_bytes(random.Random(seed).randbytes(50_000))
    with pytest.raises(AudioInvalidError) as exc:
        read_wav(junk)
    assert "cau-hoi.wav" in str(exc.value) and "not a WAV file" in str(exc.value)
    assert cli(engines.settings, monkeypatch, "ask", "--audio", str(junk)) == 1
    out, err = capsys.readouterr()
    assert out == "" and "[audio-invalid]" in err and "cau-hoi.wav" in err and "Traceback" not in err


def test_wav_header_over_random_bytes_is_noise_not_a_crash(engines: Engines, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """A valid header followed by random samples is loud noise: no words heard, or referred to staff."""
    payload = random.Random(7).randbytes(SAMPLE_RATE * 2 * 3)
    header = (b"RIFF" + struct.pack("<I", 36 + len(payload)) + b"WAVEfmt " +
              struct.pack("<IHHIIHH", 16, 1, 1, SAMPLE_RATE, SAMPLE_RATE * 2, 2, 16) +
              b"data" + struct.pack("<I", len(payload)))
    noise = tmp_path / "noise.wav"
    noise.write_bytes(header + payload)
    rc = cli(engines.settings, monkeypatch, "ask", "--audio", str(noise), "--json")
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    if rc == 1:
        assert "[no-speech]" in err, err
    else:
        assert rc == 0 and '"refer_to_staff": true' in out, out


# ---- a 10-minute recording -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ten_minutes() -> bytes:
    """The six real recordings back to back, repeated to 10 minutes of continuous talk (19 MB)."""
    pcms = [np.frombuffer(read_wav(p)[0], dtype=np.int16) for p in sorted(VIENEU.glob("*.wav"))]
    one = np.concatenate(pcms)
    return np.tile(one, 600 * SAMPLE_RATE // len(one) + 1)[:600 * SAMPLE_RATE].tobytes()


def test_ten_minute_recording_is_cut_at_the_maximum_and_answered(
        make_run: Callable[..., Run], engines: Engines, ten_minutes: bytes) -> None:
    sources: list[WavSource] = []

    def mic() -> WavSource:
        sources.append(WavSource(pcm16=ten_minutes))
        return sources[-1]

    run = make_run(source_factory=mic)
    before = rss_mb()
    run.pipeline.run_once()
    grown = rss_mb() - before
    limit = engines.settings.endpoint.max_utterance_s
    heard = run.of(SpeechEnded)[0].duration_s
    assert heard <= limit + 0.1
    consumed_s = sources[0]._pos / (SAMPLE_RATE * 2)
    assert consumed_s <= limit + 1.0, f"read {consumed_s:.0f} s of the 10 minutes"
    assert not run.of(Failed)
    assert run.types()[-2:] == ["speaking-finished", "idle"]  # an answer (here: ask the staff) was spoken
    assert grown < 150, f"resident memory grew {grown:.0f} MiB"


def test_ten_minute_file_on_the_command_line_is_bounded(engines: Engines, ten_minutes: bytes, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    wav = tmp_path / "ten.wav"
    write_wav(wav, ten_minutes)
    assert cli(engines.settings, monkeypatch, "ask", "--audio", str(wav), "--json") == 0
    res = json.loads(capsys.readouterr().out)
    assert res["audio_s"] == pytest.approx(600, abs=1)
    assert res["speech_s"] <= engines.settings.endpoint.max_utterance_s + 0.1  # cut like the kiosk
    assert res["refer_to_staff"] is True, {k: res.get(k) for k in ("question", "reason", "procedure_id")}


# ---- a 5,000-character question ----------------------------------------------------------------------
def test_five_thousand_character_question_is_referred_calmly(
        make_run: Callable[..., Run], engines: Engines, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    question = (IN_SCOPE + " ") * (5000 // (len(IN_SCOPE) + 1) + 1)
    question = question[:5000]
    run = make_run()
    run.pipeline.ask_text(question)
    assert run.types() == ["transcribed", "thinking", "answer-ready", "speaking", "speaking-finished", "idle"]
    answer = run.of(AnswerReady)[0].answer
    assert answer.verdict is Verdict.REFER and answer.reason == "too-long"
    assert "cán bộ tại quầy" in answer.spoken
    assert cli(engines.settings, monkeypatch, "ask", question, "--json") == 0
    out, err = capsys.readouterr()
    assert '"refer_to_staff": true' in out and "Traceback" not in err


# ---- unusual Unicode ---------------------------------------------------------------------------------
ODD: dict[str, str] = {
    "combining (NFD)": unicodedata.normalize("NFD", IN_SCOPE),
    "zero-width space in words": IN_SCOPE.replace("khai", "kh\u200bai").replace("giấy", "gi\u200cấy"),
    "zero-width joiner/word joiner": IN_SCOPE.replace(" ", "\u200d ").replace("sinh", "si\u2060nh"),
    "soft hyphen": IN_SCOPE.replace("những", "nh\u00adững"),
    "byte-order mark": "\ufeff" + IN_SCOPE,
    "emoji": "🙏 " + IN_SCOPE + " 👶🏽😀",
    "RTL marks and override": "\u200f\u202e" + IN_SCOPE + "\u202c\u200e",
    "NUL and control characters": IN_SCOPE.replace(" ", "\x00", 2).replace(" ", "\t\x07\x1b", 1),
    "no-break spaces": IN_SCOPE.replace(" ", "\u00a0"),
    "lone surrogate": IN_SCOPE + "\ud83d",
    "upper case": IN_SCOPE.upper(),
}


@pytest.mark.parametrize("name", list(ODD))
def test_unusual_unicode_gets_the_same_answer(engines: Engines, name: str) -> None:
    plain = engines.knowledge.ask(IN_SCOPE)
    odd = engines.knowledge.ask(ODD[name])
    assert plain.procedure_id == "khai-sinh"
    assert (odd.procedure_id, odd.aspect, odd.spoken) == (plain.procedure_id, plain.aspect, plain.spoken)


@pytest.mark.parametrize("text", ["\u200b\u200b\u200b", "\x00", "\ufeff", "😀🙏👶🏽", "\u202e\u202c",
                                  "\ud800", "\u0301\u0300\u0303"])
def test_only_invisible_or_odd_characters_are_referred(engines: Engines, text: str) -> None:
    a = engines.knowledge.ask(text)
    assert a.verdict is Verdict.REFER and "cán bộ" in a.spoken


def test_odd_unicode_through_the_whole_pipeline(make_run: Callable[..., Run]) -> None:
    everything = "\ufeff\u202e🙏 " + unicodedata.normalize("NFD", IN_SCOPE).replace("khai", "kh\u200bai") + \
        "\x00\u202c 😀"
    plain, odd = make_run(), make_run()
    plain.pipeline.ask_text(IN_SCOPE)
    odd.pipeline.ask_text(everything)
    assert odd.types() == plain.types() and not odd.of(Failed)
    assert odd.of(AnswerReady)[0].answer == plain.of(AnswerReady)[0].answer
