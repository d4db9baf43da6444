"""The sound card of the benchmarks: what ``speech.audio.playback.Player`` writes to without a device."""

from __future__ import annotations

import time
from typing import Any


class SoundCard:
    """Takes audio at once, or at the pace of a real card (``realtime``: PortAudio's blocking write).

    ``marks["first_write"]`` = when the first block came (monotonic clock); ``marks["audio_s"]`` = seconds
    of audio written so far."""

    def __init__(self, rate: int, marks: dict[str, float] | None = None, *, realtime: bool = False) -> None:
        self.rate = rate
        self.marks = marks if marks is not None else {}
        self.realtime = realtime

    def start(self) -> None:
        return None

    def write(self, data: bytes) -> None:
        self.marks.setdefault("first_write", time.monotonic())
        seconds = len(data) / 2 / self.rate
        self.marks["audio_s"] = self.marks.get("audio_s", 0.0) + seconds
        if self.realtime:
            time.sleep(seconds)

    def stop(self) -> None:
        return None

    def abort(self) -> None:
        return None

    def close(self) -> None:
        return None


def bench_player(marks: dict[str, float] | None = None, *, realtime: bool = False, **kwargs: Any) -> Any:
    """A real ``Player`` (threads, blocks, cancel) on a ``SoundCard``."""
    from speech.audio.playback import Player

    return Player(stream_factory=lambda rate: SoundCard(rate, marks, realtime=realtime), **kwargs)
