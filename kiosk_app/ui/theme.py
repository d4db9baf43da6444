"""Sizes, colours and the current language for every screen (kv: ``#:import T kiosk_app.ui.theme.THEME``).

Sizes are pixels scaled with the window: at 800×480 body text is 32 px and the main buttons 48 px; on
bigger screens everything grows up to 1.5×. Touch targets are at least 15 mm (``kivy.metrics.mm``)
and at least 80 px. Colours: light text on a dark navy background, yellow main buttons with black
text (contrast ratio above 12:1 for both).
"""

from __future__ import annotations

from kivy.event import EventDispatcher
from kivy.metrics import mm
from kivy.properties import (
    BooleanProperty,
    ColorProperty,
    DictProperty,
    NumericProperty,
    StringProperty,
)

from kiosk_app.ui.messages import ui_text

BASE_W, BASE_H = 800, 480  # the smallest supported screen (landscape)
MAX_SCALE = 1.5


def scale_for(width: float, height: float) -> float:
    long_side, short_side = max(width, height), min(width, height)
    s = min(long_side / BASE_W, short_side / BASE_H)
    return max(1.0, min(MAX_SCALE, s))


class Theme(EventDispatcher):
    scale = NumericProperty(1.0)
    landscape = BooleanProperty(True)
    body = NumericProperty(32)  # body text, px
    large = NumericProperty(40)  # the short answer, headings
    button = NumericProperty(48)  # main buttons
    button2 = NumericProperty(34)  # secondary buttons (still above body size)
    key = NumericProperty(36)  # on-screen keyboard keys
    tap = NumericProperty(80)  # minimum touch target height, px (≥ 15 mm)
    pad = NumericProperty(12)
    gap = NumericProperty(10)
    radius = NumericProperty(14)

    bg = ColorProperty((0.04, 0.08, 0.16, 1))
    panel = ColorProperty((0.09, 0.15, 0.27, 1))
    fg = ColorProperty((1, 1, 1, 1))
    muted = ColorProperty((0.82, 0.87, 0.95, 1))
    accent = ColorProperty((1.0, 0.84, 0.0, 1))  # headings, the title
    hedge = ColorProperty((1.0, 0.72, 0.30, 1))  # uncertain facts
    primary_bg = ColorProperty((1.0, 0.84, 0.0, 1))
    primary_down = ColorProperty((0.85, 0.68, 0.0, 1))
    primary_fg = ColorProperty((0, 0, 0, 1))
    secondary_bg = ColorProperty((0.93, 0.95, 1.0, 1))
    secondary_down = ColorProperty((0.70, 0.76, 0.88, 1))
    secondary_fg = ColorProperty((0.02, 0.06, 0.14, 1))
    danger_bg = ColorProperty((0.78, 0.10, 0.10, 1))
    danger_down = ColorProperty((0.58, 0.05, 0.05, 1))
    danger_fg = ColorProperty((1, 1, 1, 1))
    good_bg = ColorProperty((0.10, 0.55, 0.22, 1))
    highlight = ColorProperty((1.0, 0.93, 0.55, 1))  # sentence being read aloud

    lang = StringProperty("vi")
    s = DictProperty(ui_text("vi"))

    def update(self, width: float, height: float) -> None:
        k = scale_for(width, height)
        self.scale = k
        self.landscape = width >= height
        self.body = round(32 * k)
        self.large = round(40 * k)
        self.button = round(48 * k)
        self.button2 = round(34 * k)
        self.key = round(36 * k)
        self.tap = max(round(80 * k), round(mm(15)))
        self.pad = round(12 * k)
        self.gap = round(10 * k)
        self.radius = round(14 * k)

    def set_language(self, language: str) -> None:
        self.lang = language if language in ("vi", "en") else "vi"
        self.s = ui_text(self.lang)


THEME = Theme()
