"""Readable and touchable for elderly residents, at the supported window sizes: body text ≥ 32 px,
main buttons ≥ 48 px, every touch target ≥ 15 mm (≥ 80 px here) and fully on screen, no two buttons
overlapping."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kiosk_app.core.events import AnswerReady, BundleActivated, Transcribed
from kiosk_app.core.settings import Settings
from kiosk_app.ui.widgets import KButton, KLabel
from knowledge.answer import TemplateAnswerer
from knowledge.types import Aspect
from tests.ui.harness import Kiosk, make_kiosk, sample_records

SIZES = [(800, 480), (480, 800), (1280, 800)]


@pytest.fixture(scope="module", params=SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def sized(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kiosk]:
    from kivy.core.window import Window

    old = tuple(Window.size)
    settings = Settings(data_dir=tmp_path_factory.mktemp("layout"), ui={"fullscreen": False})
    try:
        yield from make_kiosk(settings, attach=True, size=request.param)
    finally:
        Window.size = old


def settle() -> None:
    from kivy.clock import Clock

    for _ in range(12):  # layouts settle over a few frames
        Clock.tick()


def visible_widgets(root: object) -> Iterator[object]:
    stack = [root]
    while stack:
        w = stack.pop()
        if getattr(w, "opacity", 1) == 0 or (getattr(w, "disabled", False) and isinstance(w, KButton)):
            continue
        yield w
        stack.extend(getattr(w, "children", []))


def in_scroll(w: object) -> bool:
    from kivy.uix.scrollview import ScrollView

    p = getattr(w, "parent", None)
    while p is not None and p is not getattr(p, "parent", None):
        if isinstance(p, ScrollView):
            return True
        p = getattr(p, "parent", None)
    return False


def prepare(k: Kiosk, screen: str) -> None:
    recs = sample_records()
    k.reset()
    k.app.router.handle(BundleActivated("sample@1", len(recs)))
    if screen == "answer":
        a = TemplateAnswerer().answer("khai sinh cần gì", recs["khai-sinh"], Aspect.DOCUMENTS)
        k.app.router.handle(Transcribed("khai sinh cần gì"))
        k.app.router.handle(AnswerReady(a))
    elif screen == "browse-topic":
        k.app.controller.go("browse")
        k.screen("browse").group = "hộ tịch"
    else:
        k.app.controller.go(screen)
    settle()


@pytest.mark.parametrize("screen", ["home", "listening", "answer", "browse", "browse-topic", "typing",
                                    "feedback", "error"])
def test_text_and_buttons_are_big_enough_and_on_screen(sized: Kiosk, screen: str) -> None:
    from kivy.core.window import Window

    prepare(sized, screen)
    root = sized.app.state.sm.current_screen
    buttons = []
    for w in visible_widgets(root):
        if isinstance(w, KLabel | KButton) and getattr(w, "text", ""):
            assert w.font_size >= 32, (screen, w.text, w.font_size)
        if isinstance(w, KButton):
            assert w.height >= 80 - 0.5 and w.width >= 60, (screen, w.text, w.size)
            if not in_scroll(w):
                x, y = w.to_window(*w.pos)
                assert x >= -1 and x + w.width <= Window.width + 1, (screen, w.text, x, w.width)
                assert y >= -1 and y + w.height <= Window.height + 1, (screen, w.text, y, w.height)
                buttons.append((w, x, y))
    for i, (a, ax, ay) in enumerate(buttons):
        for b, bx, by in buttons[i + 1:]:
            overlap_x = min(ax + a.width, bx + b.width) - max(ax, bx)
            overlap_y = min(ay + a.height, by + b.height) - max(ay, by)
            assert overlap_x <= 1 or overlap_y <= 1, (screen, a.text, b.text)


def test_main_buttons_use_the_large_font(sized: Kiosk) -> None:
    prepare(sized, "home")
    assert sized.screen("home").ids.ask_button.font_size >= 48
    assert sized.screen("listening").ids.stop_button.font_size >= 48


def test_ask_button_label_fits_on_one_line(sized: Kiosk) -> None:
    from kivy.core.text import Label as CoreLabel

    prepare(sized, "home")
    btn = sized.screen("home").ids.ask_button
    core = CoreLabel(text="Bấm để hỏi", font_size=btn.font_size, bold=True)
    core.refresh()
    assert core.texture.width <= btn.text_size[0]
