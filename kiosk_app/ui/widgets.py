"""Shared widgets (layout in widgets.kv): labels, buttons, level meter, on-screen keyboard, PIN pad."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kivy.clock import Clock
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ColorProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label
from kivy.uix.modalview import ModalView
from kivy.uix.scrollview import ScrollView
from kivy.uix.widget import Widget

from kiosk_app.ui.theme import THEME


class KLabel(Label):
    """Wrapping text whose height follows its content."""


class KButton(Button):
    """Secondary button: light background, dark text, at least one touch target high."""

    bg_up = ColorProperty((0.93, 0.95, 1.0, 1))
    bg_down = ColorProperty((0.70, 0.76, 0.88, 1))


class TileButton(KButton):
    """A grid tile: a fixed two-line height so the tiles of one row line up."""


class PrimaryButton(KButton):
    """Main action: yellow with black text, main-button font size."""


class DangerButton(KButton):
    """Stop: red with white text."""


class LevelMeter(Widget):
    level = NumericProperty(0.0)  # 0..1


class ScrollPager(BoxLayout):
    """Big "▲"/"▼" buttons beside a ScrollView: a page up/down per tap (no swipe needed)."""

    scroll = ObjectProperty(None, allownone=True)
    can_up = BooleanProperty(False)
    can_down = BooleanProperty(False)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._trigger = Clock.create_trigger(lambda _dt: self.update(), 0)
        self._bound: list[Widget] = []

    def on_scroll(self, _inst: object, sv: ScrollView | None) -> None:
        if sv is None:
            return
        sv.bind(scroll_y=self._trigger, height=self._trigger)
        sv.bind(children=self._bind_content)
        self._bind_content()

    def _bind_content(self, *_args: object) -> None:
        sv = self.scroll
        for child in sv.children if sv is not None else []:
            if child not in self._bound:
                child.bind(height=self._trigger)
                self._bound.append(child)
        self._trigger()

    def overflow(self) -> float:
        sv = self.scroll
        if sv is None or not sv.children:
            return 0.0
        return float(sv.children[0].height - sv.height)

    def update(self) -> None:
        over = self.overflow()
        sy = self.scroll.scroll_y if self.scroll is not None else 1.0
        self.can_up = over > 1 and sy < 0.999
        self.can_down = over > 1 and sy > 0.001

    def page(self, direction: int) -> None:
        """``direction`` +1 = towards the top, -1 = towards the bottom."""
        over = self.overflow()
        if over <= 1 or self.scroll is None:
            return
        step = (self.scroll.height * 0.8) / over
        self.scroll.scroll_y = min(1.0, max(0.0, self.scroll.scroll_y + direction * step))
        self.update()


class OnScreenKeyboard(GridLayout):
    """Big-key Latin keyboard (typing without diacritics is fine: the knowledge normaliser copes).

    ``target`` is any object with a ``text`` attribute (the question box); ``submit`` is called
    with the text when the ask key is pressed."""

    target = ObjectProperty(None, allownone=True)
    submit: Callable[[str], None] | None = None
    LETTERS = "abcdefghijklmnopqrstuvwxyz"  # alphabetical: easiest to find for people who rarely type

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.keys: dict[str, Button] = {}
        self.rebuild()
        self._shape = THEME.landscape
        THEME.bind(s=self._on_theme, landscape=self._on_theme, key=self._on_theme)  # weak (bound methods)

    def _on_theme(self, *_args: object) -> None:
        if THEME.landscape != self._shape:
            self._shape = THEME.landscape
            self.rebuild()
            return
        for name, btn in self.keys.items():  # same shape: relabel and resize in place
            if name in ("delete", "clear", "space", "send"):
                btn.text = THEME.s[name]
            btn.font_size = THEME.key

    def rebuild(self) -> None:
        """10 keys a row in landscape, 6 in portrait (every key stays at least 15 mm wide)."""
        self.clear_widgets()
        self.keys = {}
        self.cols = 1
        per_row = 10 if THEME.landscape else 6
        letters = list(self.LETTERS)
        rows = [letters[i:i + per_row] for i in range(0, len(letters), per_row)]
        for n, row in enumerate(rows):
            line = BoxLayout(spacing=THEME.gap // 2)
            for ch in row:
                line.add_widget(self._key(ch, ch))
            if n == len(rows) - 1:
                line.add_widget(self._key(THEME.s["delete"], "delete", grow=max(2.0, per_row - len(row))))
            self.add_widget(line)
        last = BoxLayout(spacing=THEME.gap // 2)
        last.add_widget(self._key(THEME.s["clear"], "clear", grow=1.4))
        last.add_widget(self._key(THEME.s["space"], "space", grow=2.2))
        last.add_widget(self._key(THEME.s["send"], "send", grow=1.4, primary=True))
        self.add_widget(last)

    def _key(self, label: str, name: str, *, grow: float = 1.0, primary: bool = False) -> Button:
        cls = PrimaryButton if primary else KButton
        btn = cls(text=label, size_hint_x=grow, size_hint_y=1, font_size=THEME.key)
        btn.bind(on_release=lambda *_: self.press(name))
        self.keys[name] = btn
        return btn

    def press(self, name: str) -> None:
        if self.target is None:
            return
        text = self.target.text
        if name == "delete":
            text = text[:-1]
        elif name == "clear":
            text = ""
        elif name == "space":
            text = text + " " if text and not text.endswith(" ") else text
        elif name == "send":
            if text.strip() and self.submit is not None:
                self.submit(text.strip())
            return
        elif len(text) < 200:
            text += name
        self.target.text = text


class PinPad(ModalView):
    """Numeric PIN entry for staff; ``verify(pin)`` returns True when accepted."""

    pin = StringProperty("")
    message = StringProperty("")
    verify: Callable[[str], bool] | None = None

    def press(self, key: str) -> None:
        if key == "delete":
            self.pin = self.pin[:-1]
        elif key == "ok":
            ok = self.verify(self.pin) if self.verify is not None else False
            self.pin = ""
            if ok:
                self.dismiss()
        elif len(self.pin) < 12:
            self.pin += key


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
