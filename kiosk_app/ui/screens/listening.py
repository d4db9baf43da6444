"""Listening (and thinking): level meter, the live partial transcript, "Dừng"."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk_app.core.events import (
    AudioLevel,
    Event,
    EventType,
    Listening,
    PartialTranscript,
    SpeechEnded,
    Thinking,
    Transcribed,
)
from kiosk_app.ui import widgets  # noqa: F401
from kiosk_app.ui.messages import status_line
from kiosk_app.ui.theme import THEME

TAIL_CHARS = 90  # about three lines of large type at 800×480: a long question shows its last words


def transcript_tail(text: str, limit: int = TAIL_CHARS) -> str:
    """The end of a long transcript, cut at a word boundary and marked with "…"."""
    if len(text) <= limit:
        return text
    tail = text[-limit:]
    space = tail.find(" ")
    return "…" + (tail[space + 1:] if 0 <= space < limit // 3 else tail)


class ListeningScreen(Screen):
    controller = ObjectProperty(None, allownone=True)
    status = StringProperty("")
    transcript = StringProperty("")
    shown = StringProperty("")  # what fits on the screen: the transcript's last words
    level = NumericProperty(0.0)
    thinking = BooleanProperty(False)  # speech ended: the meter goes away, "đang tìm câu trả lời…"

    def on_transcript(self, _inst: object, text: str) -> None:
        self.shown = transcript_tail(text)

    def reset(self) -> None:
        self.status = status_line(EventType.LISTENING, THEME.lang)
        self.transcript = ""
        self.level = 0.0
        self.thinking = False

    def show(self, ev: Event) -> None:
        if isinstance(ev, Listening):
            self.reset()
        elif isinstance(ev, AudioLevel):
            # fast attack, slow release: the bar follows the voice without flicker
            self.level = ev.level if ev.level > self.level else self.level * 0.7 + ev.level * 0.3
        elif isinstance(ev, PartialTranscript):
            self.transcript = ev.text
        elif isinstance(ev, SpeechEnded):
            self.thinking = True
            self.level = 0.0
            self.status = status_line(ev.type, THEME.lang)
        elif isinstance(ev, Transcribed):
            self.thinking = True
            self.transcript = ev.text
            self.status = status_line(ev.type, THEME.lang)
        elif isinstance(ev, Thinking):
            self.thinking = True
            self.status = status_line(ev.type, THEME.lang)


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
