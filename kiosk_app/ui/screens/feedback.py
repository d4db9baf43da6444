"""Feedback: one tap, anonymous (hài lòng / bình thường / chưa hài lòng), then a thank-you."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk_app.core.events import Event
from kiosk_app.ui import widgets  # noqa: F401

RATINGS = ("hai-long", "binh-thuong", "chua-hai-long")  # kiosk_app.ui.feedback_store rating values


class FeedbackScreen(Screen):
    controller = ObjectProperty(None, allownone=True)
    procedure_id = StringProperty("", allownone=True)
    thanked = BooleanProperty(False)

    def show(self, ev: Event) -> None:
        return None

    def on_pre_enter(self, *args: object) -> None:
        self.thanked = False

    def rate(self, rating: str) -> None:
        if self.thanked or rating not in RATINGS:
            return
        self.thanked = True
        if self.controller is not None:
            self.controller.rate(rating)


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
