"""``kiosk bundle recordings`` as ward staff use it (issue 20): the script of sentences, adding WAV
takes (bad ones refused with their code), building and importing a bundle that speaks with them,
a stale recording after a say-form is edited, and the doctor line."""

from __future__ import annotations

import io
import json
import shutil
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from kiosk_app.cli import main
from kiosk_app.core.settings import Settings
from knowledge.bundle import importer, version_check
from speech.audio.wav import read_wav, write_wav
from tests.staff.staff_cases import fake_index_check, fake_indexer, no_smoke

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "knowledge" / "sample" / "records"
VIENEU = REPO / "tests" / "fixtures" / "vieneu"
Kiosk = Callable[..., tuple[int, str, str]]
FEE = "Khai tử đúng hạn thì được miễn lệ phí."  # khai-tu/fee say-form


class QueueAsr:
    """Engine boundary: the recogniser hears these texts, one per take that reaches it."""

    def __init__(self, *texts: str) -> None:
        self.texts = list(texts)

    def transcribe(self, pcm16: bytes, sample_rate: int) -> str:
        return self.texts.pop(0)

    def close(self) -> None:
        pass


@pytest.fixture
def kiosk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Kiosk:
    monkeypatch.setenv("KIOSK_DATA_DIR", str(tmp_path / "kiosk"))
    monkeypatch.setenv("KIOSK_CONFIG", "")
    monkeypatch.setattr(importer, "_default_indexer", fake_indexer)
    monkeypatch.setattr(importer, "smoke_test", no_smoke)
    monkeypatch.setattr(version_check, "open_index_check", fake_index_check)

    def run(*argv: str) -> tuple[int, str, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(""))
        code = main(["bundle", *argv])
        got = capsys.readouterr()
        return code, got.out, got.err
    return run


@pytest.fixture
def src(tmp_path: Path) -> Path:
    dest = tmp_path / "src"
    shutil.copytree(SAMPLE, dest)
    return dest


def _speech(name: str = "Tuyên (nam miền Bắc).wav") -> np.ndarray:
    pcm, _rate = read_wav(VIENEU / name)
    return np.frombuffer(pcm, dtype=np.int16)


def test_script_lists_every_sentence_and_exports(kiosk: Kiosk, src: Path, tmp_path: Path) -> None:
    code, out, _ = kiosk("recordings", str(src))
    lines = out.strip().splitlines()
    assert code == 0 and lines[-1].startswith("Đã ghi âm 0/") and "thiếu" in lines[-1]
    assert any("khai-tu.summary" in ln and "Khai tử làm ở Ủy ban nhân dân phường" in ln for ln in lines)
    assert any(ln.startswith("0001  thiếu") for ln in lines)
    code, out, _ = kiosk("recordings", str(src), "--kind", "title")
    titles = [ln for ln in out.splitlines() if ln[:4].isdigit()]
    assert len(titles) == 27 and all(".title" in ln for ln in titles)
    code, out, _ = kiosk("recordings", str(src), "--json")
    data = json.loads(out)
    assert data["total"] == len(data["sentences"]) > 900 and data["recorded"] == 0
    xlsx, txt = tmp_path / "ward.xlsx", tmp_path / "script"
    code, out, _ = kiosk("recordings", str(src), "--xlsx", str(xlsx), "--txt", str(txt))
    assert code == 0
    from openpyxl import load_workbook

    ws = load_workbook(xlsx)["Ghi âm"]
    assert ws.cell(1, 5).value == "Câu cần đọc" and ws.max_row == data["total"] + 1
    assert "Thủ tục" in load_workbook(xlsx).sheetnames  # it is the staff's template, with the sheet
    files = sorted(txt.glob("*.txt"))
    assert len(files) == data["total"] and files[0].name == f"0001_{data['sentences'][0]['id']}.txt"
    assert files[0].read_text(encoding="utf-8").strip() == data["sentences"][0]["text"]


def test_import_takes_refuses_bad_ones_with_their_code(kiosk: Kiosk, src: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    takes = tmp_path / "phone"
    takes.mkdir()
    speech = _speech()
    write_wav(takes / "0005_khai-tu.fee.wav", speech.tobytes(), 16000)  # good: the recogniser hears FEE
    write_wav(takes / "khai-tu.title.wav", speech.tobytes(), 16000)  # it heard another sentence
    write_wav(takes / "khai-tu.khong-con.wav", speech.tobytes(), 16000)  # no such sentence
    write_wav(takes / "fixed.refer-default.wav", np.zeros(8000 * 600, np.int16).tobytes(), 8000)  # 10 min
    (takes / "fixed.refer-unclear.wav").write_bytes(b"this is not audio at all")
    write_wav(takes / "fixed.hedge-end.wav", np.zeros(32000, np.int16).tobytes(), 16000)  # silence
    with wave.open(str(takes / "word.duoc.wav"), "wb") as w:  # 8 kHz: too low to keep
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(speech[::2].tobytes())
    asr = QueueAsr(FEE.lower().rstrip("."), "đăng ký kết hôn")
    monkeypatch.setattr("kiosk_app.wiring.build_recognizer", lambda s, lang="vi": asr)
    code, out, _ = kiosk("recordings", "import", str(takes), "--into", str(src))
    assert code == 1 and asr.texts == []
    by_file = {ln.split(":")[0][2:]: ln for ln in out.splitlines() if ln[:1] in "✓✗"}
    assert by_file["0005_khai-tu.fee.wav"].startswith("✓")
    assert "[take-wrong-words]" in by_file["khai-tu.title.wav"]
    assert "“khai” → “kết”; “tử” → “hôn”" in out
    assert "[take-unknown-id]" in by_file["khai-tu.khong-con.wav"]
    assert "[take-too-long]" in by_file["fixed.refer-default.wav"] and "600 s" in out
    assert "[take-format]" in by_file["fixed.refer-unclear.wav"]
    assert "[take-no-speech]" in by_file["fixed.hedge-end.wav"]
    assert "[take-format]" in by_file["word.duoc.wav"] and "8000 Hz is too low" in out
    assert (src / "recordings" / "khai-tu.fee.ogg").is_file()
    assert not (src / "recordings" / "khai-tu.title.ogg").exists()
    code, out, _ = kiosk("recordings", str(src), "--status", "recorded")
    assert code == 0 and "khai-tu.fee" in out and out.strip().splitlines()[-1].startswith("Đã ghi âm 1/")


HEDGE = "Xin hỏi lại cán bộ tại quầy để chắc chắn."


def _record_fee(src: Path, monkeypatch: pytest.MonkeyPatch, kiosk: Kiosk, tmp_path: Path,
                hedge: bool = False) -> None:
    takes = tmp_path / "takes"
    takes.mkdir()
    write_wav(takes / "khai-tu.fee.wav", _speech().tobytes(), 16000)
    if hedge:
        write_wav(takes / "fixed.hedge-end.wav", _speech("Ly (nữ miền Bắc).wav").tobytes(), 16000)
    asr = QueueAsr(*([HEDGE] if hedge else []), FEE)  # files are checked in name order
    monkeypatch.setattr("kiosk_app.wiring.build_recognizer", lambda s, lang="vi": asr)
    assert kiosk("recordings", "import", str(takes), "--into", str(src))[0] == 0


def test_built_bundle_carries_recordings_a_broken_one_is_never_played(kiosk: Kiosk, src: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    _record_fee(src, monkeypatch, kiosk, tmp_path, hedge=True)
    # the hedge's file gets damaged on the office PC after it was checked (the index still lists it)
    (src / "recordings" / "fixed.hedge-end.ogg").write_bytes(b"OggS" + bytes(range(256)) * 12)
    keys, wkb = tmp_path / "office", tmp_path / "usb" / "ward.wkb"
    kiosk("keygen", "--out", str(keys))
    code, out, err = kiosk("build", str(src), "--out", str(wkb), "--sign", str(keys / "bundle-signing.key"),
                           "--version", "1", "--no-vectors")
    assert code == 0, err  # a warning, not a refusal: the rest of the bundle works
    assert "[recording-undecodable]" in out and "fixed.hedge-end.ogg bị hỏng" in out
    code, out, _ = kiosk("recordings", str(wkb), "--json")
    data = json.loads(out)
    assert (data["recorded"], data["broken"]) == (1, 1)
    assert kiosk("trust", str(keys / "bundle-signing.pub"))[0] == 0
    code, out, err = kiosk("import", str(wkb), "--yes")
    assert code == 0, err
    from kiosk_app.ops.doctor import Level, check_recordings
    from knowledge.recordings.lookup import RecordingSet
    from knowledge.service import current_bundle_dir

    settings = Settings(data_dir=tmp_path / "kiosk")
    check = check_recordings(settings)
    assert check.level is Level.WARN and check.detail.startswith("1 of ") and "1 broken" in check.detail
    rs = RecordingSet.open(current_bundle_dir(settings).resolve())
    assert rs.clip(HEDGE) is None and "fixed.hedge-end" in rs.broken  # never played
    clip = rs.clip(FEE)
    assert clip is not None and clip.sentence_id == "khai-tu.fee" and clip.sample_rate == 16000
    took = len(_speech()) / 16000
    assert 0.7 * took < len(clip.pcm16) / 2 / clip.sample_rate < took  # the take, edge silence trimmed


def test_editing_a_say_form_makes_its_recording_stale(kiosk: Kiosk, src: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    _record_fee(src, monkeypatch, kiosk, tmp_path)
    record = src / "khai-tu.yaml"
    record.write_text(record.read_text(encoding="utf-8").replace(
        "say: Khai tử đúng hạn thì được miễn lệ phí.", "say: Khai tử đúng hạn thì không mất lệ phí."),
        encoding="utf-8")
    code, out, _ = kiosk("recordings", str(src), "--status", "stale")
    assert code == 0 and "khai-tu.fee" in out and "Khai tử đúng hạn thì không mất lệ phí." in out
    assert "cũ, cần ghi lại 1" in out
    code, out, _ = kiosk("build", str(src), "--out", str(tmp_path / "x.wkb"), "--no-vectors")
    assert code == 0 and "[recording-stale]" in out and "Bản ghi âm khai-tu.fee đã cũ" in out  # a warning
