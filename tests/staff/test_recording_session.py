"""The staff recording session (issue 20), without Kivy: which sentences, the meter, when a take ends,
the VAD trim, and a take recorded from a (fake) microphone fed a real recording, checked by the take
checks with a (fake) recogniser, kept where ``kiosk bundle recordings import`` would put it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kiosk_app.pipeline.recording_session import (
    MAX_TAKE_S,
    Phase,
    RecordingSession,
    level,
    queue,
    should_stop,
    trim,
)
from kiosk_app.ui.recording_messages import RECORDING_VI, takes_vi
from knowledge.bundle.schema import Record
from knowledge.recordings.inventory import Item, Kind, inventory
from speech.audio.wav import WavSource, read_wav
from speech.vad.energy import EnergyVad

REPO = Path(__file__).resolve().parents[2]
VIENEU = REPO / "tests" / "fixtures" / "vieneu"
FEE = "Khai tử đúng hạn thì được miễn lệ phí."


def _item(n: int, kind: Kind) -> Item:
    return Item(id=f"x.{n}", text=f"câu {n}", kind=kind, language="vi")  # type: ignore[call-arg]


@pytest.mark.parametrize(("rows", "want"), [
    ([(Kind.FIXED, "missing"), (Kind.FACT, "missing"), (Kind.TITLE, "stale")], ["x.1", "x.2", "x.0"]),
    ([(Kind.FACT, "recorded"), (Kind.FACT, "missing"), (Kind.FACT, "broken")], ["x.1", "x.2"]),
    ([(Kind.CONNECTIVE, "missing"), (Kind.FIXED, "missing")], ["x.1", "x.0"]),
    ([(Kind.FACT, "recorded")], []),
])
def test_queue_takes_what_is_not_recorded_facts_first(rows: list[tuple[Kind, str]], want: list[str]) -> None:
    items = [(_item(n, k), s) for n, (k, s) in enumerate(rows)]
    assert [i.id for i in queue(items)] == want


@pytest.mark.parametrize(("amplitude", "lo", "hi"), [(0, 0.0, 0.0), (33, 0.0, 0.05), (3277, 0.6, 0.7),
                                                    (32767, 0.95, 1.0)])
def test_level_meter_spans_minus_60_to_0_dbfs(amplitude: int, lo: float, hi: float) -> None:
    chunk = (np.ones(512, np.int16) * amplitude).tobytes()
    assert lo <= level(chunk) <= hi


@pytest.mark.parametrize(("speech", "silence", "total", "stop"), [
    (0.0, 5.0, 5.0, False),  # nobody has spoken yet: wait
    (1.0, 0.5, 2.0, False),  # a pause inside the sentence
    (1.0, 1.2, 3.0, True),  # silence after speech ends the take
    (0.0, 0.0, MAX_TAKE_S, True),  # never more than the per-file limit
])
def test_when_a_take_ends(speech: float, silence: float, total: float, stop: bool) -> None:
    assert should_stop(speech, silence, total) is stop


def test_trim_keeps_the_speech_and_a_margin() -> None:
    x = np.arange(512 * 10, dtype=np.int16)
    out = trim(x, [False, False, False, True, True, False, False, False, False, False], margin_s=512 / 16000)
    assert out[0] == 512 * 2 and out[-1] == 512 * 6 - 1
    assert len(trim(x, [False] * 10)) == len(x)  # no speech: unchanged, the check says so


class QueueAsr:
    """Engine boundary: the recogniser hears these texts, one per take."""

    def __init__(self, *texts: str) -> None:
        self.texts = list(texts)

    def transcribe(self, pcm16: bytes, sample_rate: int) -> str:
        return self.texts.pop(0)


class FakePlayer:
    def __init__(self) -> None:
        self.played: list[int] = []

    def play(self, chunks: Any) -> bool:
        self.played += [len(c.pcm16) for c in chunks]
        return False


def speech_pcm() -> bytes:
    pcm, rate = read_wav(VIENEU / "Tuyên (nam miền Bắc).wav")
    assert rate == 16000
    return pcm


def items_of(records: list[Record], *ids: str) -> list[Item]:
    by_id = {i.id: i for i in inventory(records, "vi")}
    return [by_id[i] for i in ids]


def make_session(tmp_path: Path, items: list[Item], asr: QueueAsr, player: FakePlayer,
                 sources: list[Any]) -> RecordingSession:
    return RecordingSession(items, recorded=3, total=10, takes_dir=tmp_path / "takes",
                            open_source=lambda: sources.pop(0), recognizer=lambda: asr,
                            vad=EnergyVad, player=lambda: player)


def wait(s: RecordingSession) -> None:
    for t in list(s.threads):
        t.join(timeout=30)
        assert not t.is_alive()


def test_take_from_the_mic_is_checked_kept_and_counted(tmp_path: Path, small_records: list[Record]) -> None:
    from knowledge.recordings.members import SOURCE_INDEX, parse_index

    pcm = speech_pcm()
    lead = b"\x00" * 16000  # 0.5 s of quiet room before the clerk speaks
    sources = [WavSource(pcm16=lead + pcm, tail_silence_s=3.0) for _ in range(2)]
    asr, player = QueueAsr("kết hôn đúng hạn thì phải nộp lệ phí", FEE.lower().rstrip(".")), FakePlayer()
    items = items_of(small_records, "khai-tu.fee", "khai-tu.title")
    s = make_session(tmp_path, items, asr, player, sources)
    levels: list[float] = []
    s.on_change = lambda: levels.append(s.state.level)
    assert s.item is not None and s.item.text == FEE and s.done_count == 3
    s.record()
    wait(s)
    assert s.state.phase is Phase.CHECKED and max(levels) > 0.3  # the meter moved
    res = s.state.result
    assert res is not None and not res.ok
    assert res.differing == (("khai", "kết"), ("tử", "hôn"), ("được", "phải"), ("miễn", "nộp"))
    said = takes_vi(res.findings)
    assert "Máy nghe thấy những từ khác" in said and "“tử” → “hôn”" in said
    assert not s.keep()  # a refused take is never kept
    # it stopped on the silence after the speech, and the trim cut the quiet lead and tail
    assert res.duration_s < len(pcm) / 32000 + 1.0
    s.play()
    wait(s)
    assert len(player.played) == 1 and abs(player.played[0] / 32000 - res.duration_s) < 0.01
    s.again()
    assert s.state.phase is Phase.READY
    s.record()
    wait(s)
    assert s.state.result is not None and s.state.result.ok, s.state.result
    assert s.keep()
    assert s.done_count == 4 and s.item is not None and s.item.id == "khai-tu.title"
    assert (tmp_path / "takes" / "recordings" / "khai-tu.fee.ogg").is_file()
    assert (tmp_path / "takes" / "wav" / "khai-tu.fee.wav").is_file()
    entries = parse_index((tmp_path / "takes" / SOURCE_INDEX).read_bytes()).recordings
    assert [(e.id, e.text) for e in entries] == [("khai-tu.fee", FEE)]
    s.skip()
    assert s.state.phase is Phase.DONE and s.item is None
    stick = tmp_path / "USB"
    assert s.export(stick) == 1 and (stick / "recordings-takes" / "khai-tu.fee.wav").is_file()


def test_silence_is_refused_as_no_speech_and_a_stop_press_ends_a_take(tmp_path: Path,
                                                                       small_records: list[Record]) -> None:
    asr, player = QueueAsr(), FakePlayer()
    endless = WavSource(pcm16=b"\x00" * 32000 * 20, realtime=True)  # a quiet room, paced like a mic
    s = make_session(tmp_path, items_of(small_records, "khai-tu.fee"), asr, player, [endless])
    s.record()
    assert s.state.phase is Phase.RECORDING
    s.stop()
    wait(s)
    res = s.state.result
    assert res is not None and not res.ok and takes_vi(res.findings).startswith("Không nghe thấy tiếng nói")
    assert res.duration_s < 5 and endless.closed  # stopped by the press, not by the 20 s file
    assert not s.keep() and not (tmp_path / "takes" / "wav").exists()


def test_a_missing_microphone_is_said_on_the_page(tmp_path: Path, small_records: list[Record]) -> None:
    from kiosk_app.core.errors import MicMissingError

    def no_mic() -> Any:
        raise MicMissingError("no input device")

    s = RecordingSession(items_of(small_records, "khai-tu.fee"), 0, 1, tmp_path / "takes", open_source=no_mic,
                         recognizer=QueueAsr, vad=EnergyVad, player=FakePlayer)
    s.record()
    wait(s)
    assert s.state.phase is Phase.READY and s.state.error == "take-mic-failed"
    assert RECORDING_VI[s.state.error] == "Không mở được micro. Xin kiểm tra dây micro rồi bấm Ghi lại."
