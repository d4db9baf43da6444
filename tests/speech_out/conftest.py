"""Voice-out fixtures: fake output devices (the sound-card boundary) and shared real engines."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from speech.text.normalize_vi import normalize_for_speech
from speech.tts.espeak_engine import EspeakSynthesizer


class FakeStream:
    """An output device. ``clocked``: ``write`` takes as long as the audio lasts, like a sound card
    (the PortAudio blocking write); otherwise it returns at once (like ALSA's file device)."""

    def __init__(self, rate: int, *, clocked: bool = False, speed: float = 1.0) -> None:
        self.rate = rate
        self.clocked = clocked
        self.speed = speed  # > 1: the device plays faster than real time (keeps tests short)
        self.written = bytearray()
        self.writes = 0
        self.started = self.stopped = self.aborted = self.closed = False
        self._clock = threading.Event()  # never set: wait(timeout) is the device clock

    def start(self) -> None:
        self.started = True

    def write(self, data: bytes) -> None:
        self.written += data
        self.writes += 1
        if self.clocked:
            self._clock.wait(len(data) / 2 / self.rate / self.speed)

    def stop(self) -> None:
        self.stopped = True

    def abort(self) -> None:
        self.aborted = True

    def close(self) -> None:
        self.closed = True


class FakeDevice:
    """Stream factory for ``Player(stream_factory=...)``; remembers every stream it opened."""

    def __init__(self, *, clocked: bool = False, speed: float = 1.0) -> None:
        self.clocked = clocked
        self.speed = speed
        self.streams: list[FakeStream] = []

    def __call__(self, rate: int) -> FakeStream:
        stream = FakeStream(rate, clocked=self.clocked, speed=self.speed)
        self.streams.append(stream)
        return stream

    @property
    def written(self) -> bytes:
        return b"".join(bytes(s.written) for s in self.streams)


class FakeSoundDevice:
    """Stands in for the ``sounddevice`` module: what PortAudio reports on a given machine."""

    class PortAudioError(Exception):
        pass

    def __init__(self, devices: list[dict[str, Any]], default_output: int = -1) -> None:
        self._devices = devices
        self.default = type("Default", (), {"device": [-1, default_output]})()

    def query_devices(self, index: int | None = None) -> Any:
        return self._devices if index is None else self._devices[index]


@pytest.fixture
def fake_device() -> FakeDevice:
    return FakeDevice()


@pytest.fixture
def clocked_device() -> FakeDevice:
    """Plays in real time, like a sound card."""
    return FakeDevice(clocked=True)


@pytest.fixture
def fast_clocked_device() -> FakeDevice:
    """Plays 10 times faster than real time (a paced device for tests that must get past sentence 1)."""
    return FakeDevice(clocked=True, speed=10.0)


@pytest.fixture
def no_sound_card(monkeypatch: pytest.MonkeyPatch) -> Callable[[list[dict[str, Any]]], None]:
    """PortAudio with no output devices (as on this machine), or with the given devices."""
    import speech.audio.output_device as output_device

    def install(devices: list[dict[str, Any]]) -> None:
        fake = FakeSoundDevice(devices)
        monkeypatch.setattr(output_device, "_sounddevice", lambda: fake)

    install([])
    return install


@pytest.fixture(scope="session")
def espeak_vi() -> EspeakSynthesizer:
    return EspeakSynthesizer("vi", normalizer=normalize_for_speech)


@pytest.fixture(scope="session")
def long_answer() -> str:
    """Eight sentences, about 40 s of slow speech."""
    return " ".join(_LONG)


_LONG = ([
    "Đăng ký khai sinh làm tại Ủy ban nhân dân phường nơi cư trú của cha hoặc mẹ.",
    "Mang theo tờ khai đăng ký khai sinh và giấy chứng sinh bản chính.",
    "Xuất trình căn cước của người đi đăng ký.",
    "Đăng ký đúng hạn trong 60 ngày thì được miễn lệ phí.",
    "Làm ngay trong ngày; nộp sau 15 giờ thì nhận kết quả vào ngày làm việc tiếp theo.",
    "Nếu cha mẹ không đi được thì ông hoặc bà hay người thân khác đi thay.",
    "Có thể nộp trực tuyến trên Cổng Dịch vụ công quốc gia.",
    "Xin mời hỏi cán bộ tại quầy nếu còn thắc mắc.",
])
