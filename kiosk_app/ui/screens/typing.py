"""Typing: a question box and a big on-screen keyboard (no diacritics needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.lang import Builder
from kivy.properties import ObjectProperty
from kivy.uix.screenmanager import Screen

from kiosk_app.core.events import Event
from kiosk_app.ui import widgets  # noqa: F401


class TypingScreen(Screen):
    controller = ObjectProperty(None, allownone=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ids.keyboard.target = self.ids.query_input
        self.ids.keyboard.submit = self.submit

    def show(self, ev: Event) -> None:
        return None

    def submit(self, text: str) -> None:
        text = text.strip()
        if text and self.controller is not None:
            self.controller.ask_text(text)

    def on_pre_enter(self, *args: Any) -> None:
        self.ids.query_input.text = ""


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
