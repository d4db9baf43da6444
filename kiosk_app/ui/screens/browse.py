"""Browse: topics (bundle groups), then the procedures of a topic; "Gõ câu hỏi" opens the keyboard.
The fallback when speaking does not work (noisy hall, no microphone, a shy or hoarse voice)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.lang import Builder
from kivy.properties import DictProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk_app.core.events import Event
from kiosk_app.ui import widgets
from kiosk_app.ui.card import card_title
from kiosk_app.ui.messages import group_name
from kiosk_app.ui.theme import THEME
from knowledge.bundle.schema import Group


class BrowseScreen(Screen):
    controller = ObjectProperty(None, allownone=True)
    catalog = DictProperty({})  # procedure id -> Record
    group = StringProperty("")  # "" = the topic list

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.items: list[widgets.KButton] = []
        self.bind(catalog=self._changed, group=self._changed)
        THEME.bind(lang=self._changed)  # a bound method: Kivy keeps only a weak reference

    def _changed(self, *_args: object) -> None:
        if self.manager is None or self.manager.current == self.name:
            self.refresh()  # otherwise on_pre_enter refreshes when the screen is shown

    def show(self, ev: Event) -> None:  # nothing in the pipeline changes this screen
        return None

    def groups(self) -> list[str]:
        present = {str(r.group) for r in self.catalog.values()}
        return [str(g) for g in Group if str(g) in present]  # the bundle format's order

    def heading(self) -> str:
        s: dict[str, str] = THEME.s
        return s["procedures_in"] + group_name(self.group, THEME.lang).lower() if self.group else s["topics"]

    def refresh(self) -> None:
        if "list_box" not in self.ids:
            return
        box = self.ids.list_box
        box.clear_widgets()
        self.items = []
        self.ids.heading.text = self.heading()
        lang = THEME.lang
        if not self.catalog:
            box.add_widget(widgets.KLabel(text=THEME.s["no_data"]))
        elif not self.group:
            for g in self.groups():
                n = sum(1 for r in self.catalog.values() if str(r.group) == g)
                btn = widgets.TileButton(text=f"{group_name(g, lang)} ({n})")  # rows stay aligned
                btn.key = g
                btn.bind(on_release=lambda b: setattr(self, "group", b.key))
                box.add_widget(btn)
                self.items.append(btn)
        else:
            recs = sorted((r for r in self.catalog.values() if str(r.group) == self.group),
                          key=lambda r: card_title(r, lang))
            for r in recs:
                btn = widgets.KButton(text=card_title(r, lang), font_size=THEME.body)
                btn.key = r.id
                btn.bind(on_release=lambda b: self.controller and self.controller.explain(b.key))
                box.add_widget(btn)
                self.items.append(btn)
        self.ids.list_scroll.scroll_y = 1

    def back(self) -> None:
        if self.group:
            self.group = ""
        elif self.controller is not None:
            self.controller.go("home")

    def on_pre_enter(self, *args: Any) -> None:
        self.refresh()


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
