"""Error and maintenance: a calm sentence saying what happened and what to do next."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk_app.core.errors import ErrorCode
from kiosk_app.core.events import Event, Failed
from kiosk_app.ui import widgets  # noqa: F401
from kiosk_app.ui.messages import MAINTENANCE, error_message
from kiosk_app.ui.theme import THEME


class ErrorScreen(Screen):
    controller = ObjectProperty(None, allownone=True)
    message = StringProperty("")
    code = StringProperty("")
    maintenance = BooleanProperty(False)  # nobody can be served: no buttons, staff must act
    mic_problem = BooleanProperty(False)  # asking again by voice cannot work: offer browsing

    def show(self, ev: Event) -> None:
        if isinstance(ev, Failed):
            self.code = str(ev.code)
            self.maintenance = ev.code in MAINTENANCE
            self.mic_problem = ev.code in (ErrorCode.MIC_MISSING, ErrorCode.MIC_FAILED)
            self.message = error_message(ev.code, THEME.lang)

    def refresh_language(self) -> None:
        if self.code:
            self.message = error_message(ErrorCode(self.code), THEME.lang)


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
