"""Home: the big "Bấm để hỏi" button, three example questions, browse, office hours, language."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import BooleanProperty, ListProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk_app.core.events import BundleActivated, Event, MicStatus
from kiosk_app.ui import widgets  # noqa: F401  (shared widget rules)
from kiosk_app.ui.messages import EXAMPLES
from kiosk_app.ui.theme import THEME


class HomeScreen(Screen):
    controller = ObjectProperty(None, allownone=True)
    ward_name = StringProperty("")
    office_hours = StringProperty("")  # from settings.ui.office_hours; empty = ask the counter
    examples = ListProperty(list(EXAMPLES["vi"]))
    ready = BooleanProperty(False)  # the pipeline and the bundle are loaded
    mic_ok = BooleanProperty(True)
    sample = BooleanProperty(False)  # the active bundle is sample data

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        THEME.bind(lang=self._relabel)  # a bound method: Kivy keeps only a weak reference

    def _relabel(self, *_args: object) -> None:
        self.examples = list(EXAMPLES.get(THEME.lang, EXAMPLES["vi"]))

    def hours_text(self, hours: str, strings: dict[str, str]) -> str:
        """Never invent hours: without a configured value, send people to the counter."""
        hours = hours.strip()
        return strings["hours_label"] + hours if hours else strings["hours_unknown"]

    def show(self, ev: Event) -> None:
        if isinstance(ev, BundleActivated):
            self.ready = True
        elif isinstance(ev, MicStatus):
            self.mic_ok = ev.available


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
