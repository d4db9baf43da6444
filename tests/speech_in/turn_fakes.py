"""A scripted streaming recogniser for end-of-turn tests: its words depend on the loud audio fed."""

from __future__ import annotations

from speech.asr.base import Transcript
from tests.fakes import FakeVad

FRAME_S = 0.032
WORD_S = 0.3  # one word per 0.3 s of loud audio


class Words:
    """A recogniser that has heard one word of ``text`` per ``WORD_S`` of loud audio fed to it."""

    name = "scripted"

    def __init__(self, text: str, *, settle: bool = True) -> None:
        self.words = text.split()
        self.can_settle = settle
        self.sessions = 0

    def start(self, sample_rate: int) -> _Session:
        self.sessions += 1
        return _Session(self)

    def transcribe(self, pcm16: bytes, sample_rate: int) -> Transcript:
        raise AssertionError("capture streams")

    def close(self) -> None:
        pass


class _Session:
    def __init__(self, owner: Words) -> None:
        self.owner = owner
        self.loud_s = 0.0
        self.closed = False
        if owner.can_settle:
            self.settle = self._text  # only some engines can decode ahead without closing

    def accept(self, pcm16: bytes) -> None:
        assert not self.closed, "fed after final()"
        vad = FakeVad()
        for i in range(0, len(pcm16) - 1023, 1024):
            self.loud_s += FRAME_S * vad(pcm16[i:i + 1024])

    def _text(self) -> Transcript:
        n = int(self.loud_s / WORD_S + 1e-6)
        return Transcript(" ".join(self.owner.words[:n]))

    def partial(self) -> str:
        return self._text().text

    def final(self) -> Transcript:
        self.closed = True
        return self._text()
