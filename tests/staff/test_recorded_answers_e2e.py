"""A recorded sentence reaches the resident (issue 20), end to end as staff and a resident meet it.

Staff record two sentences (stand-ins: espeak-ng renderings saved under the sentence ids), add them
with ``kiosk bundle recordings import --no-asr``, build and import the signed bundle; the kiosk's
pipeline is built by ``kiosk_app.wiring.build_kiosk_pipeline``. A resident types a fee question:
the recorded sentences are what the speaker plays (the take's samples correlate with the played
audio) and the answer's other sentence is synthesised. After a new bundle where that fact's
sentence was edited, its old recording is no longer played.

Fakes only at engine boundaries: the synthesiser (a tone per sentence, so played speech can be
told from it), the player (keeps what it was handed), microphone, VAD and recogniser (a typed
question does not use them), and retrieval runs lexical (no E5 model).
"""

from __future__ import annotations

import io
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import numpy as np
import pytest

import knowledge.service
import speech.audio
from kiosk_app import wiring
from kiosk_app.cli import main
from kiosk_app.core.settings import Settings, UiSettings
from knowledge.bundle import importer, version_check
from knowledge.service import Knowledge, current_bundle_dir
from knowledge.understand.retrieval import Mode
from speech.audio.wav import read_wav
from speech.tts.base import AudioChunk
from speech.tts.recorded import resample_fft, trim_silence
from tests.fakes import FakeRecognizer, FakeVad
from tests.needs import missing
from tests.staff.staff_cases import fake_index_check, fake_indexer, no_smoke

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "knowledge" / "sample" / "records"
RATE = 22050  # the voice's output rate (espeak-ng's)
QUESTION = "đăng ký khai tử mất bao nhiêu tiền"
FEE = "Miễn lệ phí khi đăng ký khai tử đúng hạn (trong 15 ngày kể từ ngày có người chết)."
FEE_EDITED = "Miễn lệ phí khi đăng ký khai tử trong 15 ngày kể từ ngày có người chết."
HEDGE_END = "Xin hỏi lại cán bộ tại quầy để chắc chắn."
RECORDED = {"khai-tu.fee.s0": FEE, "fixed.hedge-end": HEDGE_END}


class ToneVoice:
    """Engine boundary (espeak-ng): 0.4 s of a 300 Hz tone per sentence; remembers the texts."""

    name = "tone-voice"
    sample_rate = RATE

    def __init__(self, language: str) -> None:
        self.language = language
        self.texts: list[str] = []

    def synthesize(self, text: str, *, rate: float = 1.0) -> Iterator[AudioChunk]:
        self.texts.append(text)
        t = np.arange(int(0.4 * RATE)) / RATE
        yield AudioChunk((6000 * np.sin(2 * np.pi * 300 * t)).astype("<i2").tobytes(), RATE, text)

    def close(self) -> None:
        pass


class TapePlayer:
    """Engine boundary (sound card): keeps every chunk it is handed, in order."""

    def __init__(self) -> None:
        self.chunks: list[AudioChunk] = []

    def play(self, chunks: Iterable[AudioChunk], *, cancel: threading.Event | None = None,
             on_sentence: Callable[[str], None] | None = None) -> bool:
        for chunk in chunks:
            if on_sentence is not None:
                on_sentence(chunk.text)
            self.chunks.append(chunk)
        return False

    def stop(self) -> None:
        pass

    def close(self) -> None:
        pass


def match(take: tuple[np.ndarray, int], played: bytes, played_rate: int = RATE) -> float:
    """Best normalised cross-correlation of the middle 70 % of the take (edge silence trimmed and
    resampled as the voice does; the level does not matter to it) with any stretch of ``played``."""
    samples, rate = take
    ref = resample_fft(trim_silence(samples, rate).astype(np.float64), rate, played_rate)
    ref = ref[int(0.15 * len(ref)): int(0.85 * len(ref))]
    ref = ref - ref.mean()
    x = np.frombuffer(played, dtype="<i2").astype(np.float64)
    n = len(ref)
    if len(x) < n:
        return 0.0
    size = 1 << int(np.ceil(np.log2(len(x) + n)))
    corr = np.fft.irfft(np.fft.rfft(x, size) * np.conj(np.fft.rfft(ref, size)), size)[: len(x) - n + 1]
    c1, c2 = np.concatenate([[0.0], np.cumsum(x)]), np.concatenate([[0.0], np.cumsum(x * x)])
    win_sum, win_sq = c1[n:] - c1[:-n], c2[n:] - c2[:-n]
    win_norm = np.sqrt(np.maximum(win_sq - win_sum ** 2 / n, 1e-9))
    return float(np.max(corr / (np.linalg.norm(ref) * win_norm)))


@pytest.fixture
def staff(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
          ) -> Callable[..., tuple[int, str]]:
    monkeypatch.setenv("KIOSK_DATA_DIR", str(tmp_path / "kiosk"))
    monkeypatch.setenv("KIOSK_CONFIG", "")
    monkeypatch.setattr(importer, "_default_indexer", fake_indexer)
    monkeypatch.setattr(importer, "smoke_test", no_smoke)
    monkeypatch.setattr(version_check, "open_index_check", fake_index_check)

    def run(*argv: str) -> tuple[int, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(""))
        code = main(["bundle", *argv])
        got = capsys.readouterr()
        return code, got.out + got.err
    return run


def espeak_take(text: str, path: Path) -> tuple[np.ndarray, int]:
    if shutil.which("espeak-ng") is None:
        missing("espeak-ng is not installed (the kiosk's own voice)")
    subprocess.run(["espeak-ng", "-v", "vi", "-s", "150", "-w", str(path), text], check=True)
    pcm, rate = read_wav(path)
    return np.frombuffer(pcm, dtype="<i2"), rate


def test_recorded_sentence_is_played_until_its_text_is_edited(
        staff: Callable[..., tuple[int, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "ho-so-phuong"
    shutil.copytree(SAMPLE, src)
    takes_dir = tmp_path / "phone"
    takes_dir.mkdir()
    takes = {sid: espeak_take(text, takes_dir / f"{sid}.wav") for sid, text in RECORDED.items()}
    code, out = staff("recordings", "import", str(takes_dir), "--into", str(src), "--no-asr")
    assert code == 0, out
    keys = tmp_path / "office"
    assert staff("keygen", "--out", str(keys))[0] == 0
    assert staff("trust", str(keys / "bundle-signing.pub"))[0] == 0

    def publish(version: str) -> None:
        wkb = tmp_path / f"ward-{version}.wkb"
        code, out = staff("build", str(src), "--out", str(wkb), "--sign", str(keys / "bundle-signing.key"),
                          "--version", version, "--no-vectors")
        assert code == 0, out
        code, out = staff("import", str(wkb), "--yes")
        assert code == 0, out

    voices: list[ToneVoice] = []

    def tone_voice(_s: Settings, language: str = "vi") -> ToneVoice:
        voices.append(ToneVoice(language))
        return voices[-1]

    monkeypatch.setattr(knowledge.service, "open_current", lambda s, answerer=None: Knowledge.open(
        current_bundle_dir(s).resolve(), s, mode=Mode.LEXICAL, answerer=answerer))
    monkeypatch.setattr(speech.audio, "mic_available", lambda _s: None)
    monkeypatch.setattr(wiring, "build_recognizer", lambda *_a, **_k: FakeRecognizer(QUESTION))
    monkeypatch.setattr(wiring, "build_vad", lambda _s: FakeVad())
    monkeypatch.setattr(wiring, "build_synthesizer", tone_voice)
    settings = Settings(data_dir=tmp_path / "kiosk", ui=UiSettings(languages=("vi",)))

    def resident_asks() -> tuple[list[str], list[AudioChunk], list[str]]:
        player = TapePlayer()
        monkeypatch.setattr(wiring, "build_player", lambda _s: player)
        voices.clear()
        pipeline = wiring.build_kiosk_pipeline(settings, lambda _e: None)
        try:
            answer = pipeline.ask_text(QUESTION)
        finally:
            pipeline.close()
        assert answer is not None and answer.procedure_id == "khai-tu"
        return list(answer.sentences), player.chunks, voices[0].texts

    publish("1")
    sentences, chunks, synthesised = resident_asks()
    assert sentences[0] == FEE and sentences[-1] == HEDGE_END and len(sentences) == 3
    assert [c.text for c in chunks] == sentences  # one chunk per sentence, in order
    assert synthesised == [sentences[1]]  # only the sentence nobody recorded
    assert all(c.sample_rate == RATE for c in chunks)  # one output stream for a mixed answer
    assert match(takes["khai-tu.fee.s0"], chunks[0].pcm16) > 0.8
    assert match(takes["fixed.hedge-end"], chunks[2].pcm16) > 0.8
    assert match(takes["khai-tu.fee.s0"], chunks[1].pcm16 + chunks[2].pcm16) < 0.5

    record = src / "khai-tu.yaml"
    record.write_text(record.read_text(encoding="utf-8").replace(f"text: {FEE}", f"text: {FEE_EDITED}"),
                      encoding="utf-8")
    code, out = staff("recordings", str(src), "--status", "stale")
    assert code == 0 and "khai-tu.fee.s0" in out
    publish("2")
    sentences, chunks, synthesised = resident_asks()
    assert sentences[0] == FEE_EDITED and sentences[-1] == HEDGE_END
    assert synthesised[0] == FEE_EDITED and HEDGE_END not in synthesised
    played = b"".join(c.pcm16 for c in chunks)
    assert match(takes["khai-tu.fee.s0"], played) < 0.5  # the old words are never said
    assert match(takes["fixed.hedge-end"], chunks[-1].pcm16) > 0.8
