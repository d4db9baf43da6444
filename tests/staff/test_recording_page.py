"""The staff recording page (issue 20), headless on the offscreen window: a real signed bundle is
imported, the staff screen counts what is recorded, the page shows the sentence, records a take from a
fake microphone fed a real Vietnamese recording, shows the check (words that differ), keeps a good
take and the count goes up on the page and on the staff screen; "Xuất ra USB" copies the WAV."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kiosk_app.core.settings import Settings, StaffSettings
from kiosk_app.pipeline import recording_session
from kiosk_app.pipeline.recording_session import RecordingSession
from knowledge.bundle import importer, version_check
from speech.audio.wav import WavSource, read_wav
from speech.vad.energy import EnergyVad
from tests.staff.staff_cases import fake_index_check, fake_indexer, no_smoke

REPO = Path(__file__).resolve().parents[2]
VIENEU = REPO / "tests" / "fixtures" / "vieneu"


class Engines:
    """Engine boundary only: microphone (a real recording), recogniser (what it hears), speaker."""

    def __init__(self, *heard: str) -> None:
        self.heard = list(heard)
        self.played = 0
        pcm, _ = read_wav(VIENEU / "Tuyên (nam miền Bắc).wav")
        self.pcm = b"\x00" * 16000 + pcm

    def source(self) -> WavSource:
        return WavSource(pcm16=self.pcm, tail_silence_s=3.0)

    def transcribe(self, pcm16: bytes, sample_rate: int) -> str:
        return self.heard.pop(0)

    def play(self, chunks: Any) -> bool:
        self.played += len(list(chunks))
        return False


class FakeApp:
    def __init__(self) -> None:
        self.went: list[str] = []

    def go(self, name: str) -> None:
        self.went.append(name)


@pytest.fixture
def kiosk(tmp_path: Path, settings: Settings, make_bundle: Callable[..., Path],
          monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setattr(version_check, "open_index_check", fake_index_check)
    s = settings.model_copy(update={"staff": StaffSettings(usb_dir=tmp_path / "media")})
    importer.import_bundle(make_bundle(), s, indexer=fake_indexer, smoke=no_smoke)
    return s


def fake_opener(engines: Engines) -> Callable[[Settings, Callable[[], None]], RecordingSession]:
    real = recording_session.open_for_kiosk

    def open_(settings: Settings, on_change: Callable[[], None]) -> RecordingSession:
        s = real(settings, on_change)  # the real bundle, queue and counts; fake engines
        s._open_source, s._recognizer = engines.source, lambda: engines
        s._vad, s._player = EnergyVad, lambda: engines
        return s
    return open_


def drain(page: Any, pending: list[Callable[[], None]]) -> None:
    while pending:
        pending.pop(0)()
    for t in list(page.session.threads if page.session is not None else ()):
        t.join(timeout=30)
    while pending:
        pending.pop(0)()


def _delivered(pending: list[Callable[[], None]], timeout: float = 10.0) -> None:
    """Wait for a background thread's post, then run the posted UI callbacks."""
    deadline = time.monotonic() + timeout
    while not pending and time.monotonic() < deadline:
        time.sleep(0.01)
    assert pending, "nothing was posted back to the UI thread"
    while pending:
        pending.pop(0)()


def test_a_hung_usb_mount_never_freezes_the_take_export(kiosk: Settings) -> None:
    from kiosk_app.ui.screens.recording import RecordingScreen

    page = RecordingScreen(name="recording", settings=kiosk)
    pending: list[Callable[[], None]] = []
    page.post = pending.append
    page.opener = fake_opener(Engines())
    page.open(wait=True)
    drain(page, pending)
    gate, lookups = threading.Event(), []

    def hung_usb() -> Path | None:  # the mount answers only when the gate opens (5 s: fail fast)
        lookups.append(threading.current_thread().name)
        gate.wait(5)
        return None

    page.usb_dir = hung_usb
    shown = page.status_text
    t0 = time.monotonic()
    page.ids.export_button.dispatch("on_release")
    assert time.monotonic() - t0 < 1.0  # returned while the stick lookup is still hanging
    assert page.status_text == shown and not pending
    gate.set()
    _delivered(pending)
    assert "Chưa thấy USB" in page.status_text
    assert lookups == ["recording-export"]


def test_record_check_keep_export_on_the_page(kiosk: Settings, tmp_path: Path) -> None:
    from kiosk_app.ui.screens.recording import RecordingScreen
    from kiosk_app.ui.screens.staff import StaffScreen

    staff = StaffScreen(name="staff", settings=kiosk)
    staff.post = lambda fn: fn()
    staff.controller = FakeApp()
    staff.count_recordings(wait=True)
    before = staff.recording_text
    assert before.startswith("Ghi âm câu nói (0/") and before.endswith(" đã ghi)")
    staff.ids.recording_button.dispatch("on_release")
    assert staff.controller.went == ["recording"]

    page = RecordingScreen(name="recording", settings=kiosk)
    pending: list[Callable[[], None]] = []
    page.post = pending.append  # UI callbacks run here, on the test's (UI) thread
    page.controller = FakeApp()
    page.usb_dir = lambda: None
    session_items: list[Any] = []

    engines = Engines()
    page.opener = fake_opener(engines)
    page.open(wait=True)
    drain(page, pending)
    s = page.session
    assert s is not None and s.item is not None
    session_items.append(s.item)
    sentence = s.item.text
    assert page.ids.sentence_label.text == sentence and page.ids.sentence_label.font_size > 32
    assert page.ids.count_label.text == before
    assert page.ids.keep_button.disabled and page.ids.play_button.disabled

    # take 1: the recogniser hears another sentence -> refused, the differing words are shown
    engines.heard = ["đăng ký kết hôn ở ủy ban nhân dân phường"]
    page.ids.record_button.dispatch("on_release")
    drain(page, pending)
    assert page.phase == "checked" and page.ids.keep_button.disabled
    assert "Máy nghe thấy những từ khác với câu cần đọc" in page.ids.status_label.text
    assert "đăng ký kết hôn" in page.ids.status_label.text
    page.ids.play_button.dispatch("on_release")
    drain(page, pending)
    assert engines.played == 1

    # take 2: heard right -> kept; the file is where `recordings import` would put it
    page.ids.again_button.dispatch("on_release")
    engines.heard = [sentence]
    page.ids.record_button.dispatch("on_release")
    drain(page, pending)
    if not page.can_keep:  # the real recording may not fit this sentence's length: say which
        pytest.fail(f"take refused: {page.status_text} ({s.state.result})")
    page.ids.keep_button.dispatch("on_release")
    drain(page, pending)
    sid = session_items[0].id
    takes = kiosk.data_dir / "recordings-takes"
    assert (takes / "recordings" / f"{sid}.ogg").is_file() and (takes / "wav" / f"{sid}.wav").is_file()
    n_before = int(before.split("(")[1].split("/")[0])
    assert page.ids.count_label.text.startswith(f"Ghi âm câu nói ({n_before + 1}/")
    assert page.ids.sentence_label.text != sentence  # the next sentence

    staff.count_recordings(wait=True)  # the staff screen's button counts the kept take too
    assert staff.recording_text.startswith(f"Ghi âm câu nói ({n_before + 1}/")

    # export: no stick -> said; a stick -> the WAV named by sentence id is on it
    page.ids.export_button.dispatch("on_release")
    _delivered(pending)  # the stick is looked for off the UI thread
    assert "Chưa thấy USB" in page.status_text
    stick = tmp_path / "media" / "USB"
    page.usb_dir = lambda: stick
    page.on_export_press(wait=True)
    drain(page, pending)
    assert (stick / "recordings-takes" / f"{sid}.wav").is_file()
    assert "Đã chép 1 bản ghi" in page.status_text
    page.ids.close_button.dispatch("on_release")
    assert page.controller.went == ["staff"]
