"""Harness for UI tests: a KioskApp built headless (not run); a fake worker records what the buttons
ask for; events are handed to ``app.handle`` directly (the UI-thread half of ``post``)."""

from __future__ import annotations

import os

os.environ.setdefault("KIVY_CLIPBOARD", "dummy")

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from kiosk_app.settings import Settings
from knowledge.bundle import Record, load_records_dir

SAMPLE = Path(__file__).resolve().parents[2] / "knowledge" / "sample" / "records"


@cache
def sample_records() -> dict[str, Record]:
    return {r.id: r for r in load_records_dir(SAMPLE)}


@dataclass
class FakeWorker:
    calls: list[tuple[Any, ...]] = field(default_factory=list)

    def start(self, *, preload: bool = True) -> None:
        self.calls.append(("start",))

    def ask_voice(self, language: str = "vi") -> None:
        self.calls.append(("ask_voice", language))

    def ask_text(self, text: str, language: str = "vi") -> None:
        self.calls.append(("ask_text", text, language))

    def explain(self, procedure_id: str, language: str = "vi") -> None:
        self.calls.append(("explain", procedure_id, language))

    def replay(self, answer: Any, slower: bool = False) -> None:
        self.calls.append(("replay", answer.procedure_id, slower))

    def cancel(self) -> None:
        self.calls.append(("cancel",))

    def reload(self) -> None:
        self.calls.append(("reload",))

    def stop(self, timeout: float = 5.0) -> bool:
        self.calls.append(("stop",))
        return True

    def names(self) -> list[str]:
        return [c[0] for c in self.calls]


@dataclass
class FakeFeedback:
    ratings: list[tuple[str | None, str]] = field(default_factory=list)
    unanswered: list[tuple[str, str]] = field(default_factory=list)

    def add_rating(self, procedure_id: str | None, rating: str) -> None:
        self.ratings.append((procedure_id, rating))

    def add_unanswered(self, question: str, reason: str) -> None:
        self.unanswered.append((question, reason))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Kiosk:
    app: Any
    worker: FakeWorker
    feedback: FakeFeedback
    clock: Clock

    def screen(self, name: str) -> Any:
        return self.app.sm.get_screen(name)

    @property
    def current(self) -> str:
        return str(self.app.sm.current)

    def reset(self) -> None:
        """Back to a fresh start: home, Vietnamese, nothing asked, nothing recorded."""
        from kiosk_app.ui.theme import THEME

        self.app.set_language("vi")
        self.app.go("home")
        self.screen("home").ready = False
        self.screen("home").mic_ok = True
        self.screen("error").maintenance = False
        self.screen("browse").group = ""
        self.screen("answer").question = ""
        self.worker.calls.clear()
        self.feedback.ratings.clear()
        self.feedback.unanswered.clear()
        self.clock.now += 1.0
        self.app.last_activity = self.clock.now
        assert THEME.lang == "vi"


def make_kiosk(settings: Settings, *, attach: bool = False, size: tuple[int, int] | None = None
               ) -> Iterator[Kiosk]:
    from kivy.core.window import Window

    from kiosk_app.ui.app import KioskApp
    from kiosk_app.ui.theme import THEME

    worker, feedback, clock = FakeWorker(), FakeFeedback(), Clock()
    if size is not None:
        Window.size = size
    app = KioskApp(settings, worker_factory=lambda sink, ready: worker, feedback=feedback, clock=clock)
    sm = app.build()
    app.set_catalog(sample_records(), sample=True)
    if attach:
        Window.add_widget(sm)
    try:
        yield Kiosk(app, worker, feedback, clock)
    finally:
        if attach:
            Window.remove_widget(sm)
        app.detach()
        THEME.set_language("vi")
