"""Harness for UI tests: a KioskApp built headless (not run); a fake worker records what the buttons
ask for; events are handed to ``app.router.handle`` directly (the UI-thread half of ``post``)."""

from __future__ import annotations

import os

os.environ.setdefault("KIVY_CLIPBOARD", "dummy")

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from kiosk_app.core.settings import Settings
from knowledge.bundle.schema import Record, load_records_dir

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

    def new_conversation(self) -> None:
        self.calls.append(("new_conversation",))

    def reload(self) -> None:
        self.calls.append(("reload",))

    def stop(self, timeout: float = 5.0) -> bool:
        self.calls.append(("stop",))
        return True

    def names(self) -> list[str]:
        return [c[0] for c in self.calls]


class Feedback:
    """The real FeedbackStore (sqlite in a temp dir) with helpers to read back what the screen stored."""

    def __init__(self, folder: Path) -> None:
        from kiosk_app.ui.feedback_store import FeedbackStore

        folder.mkdir(parents=True, exist_ok=True)
        self.store = FeedbackStore(folder / "feedback.sqlite3")

    def _rows(self, sql: str) -> list[tuple[Any, ...]]:
        import sqlite3

        with contextlib.closing(sqlite3.connect(self.store.path)) as db:
            return [tuple(r) for r in db.execute(sql).fetchall()]

    @property
    def ratings(self) -> list[tuple[Any, ...]]:
        return self._rows("SELECT procedure_id, rating FROM ratings ORDER BY id")

    @property
    def unanswered(self) -> list[tuple[Any, ...]]:
        return self._rows("SELECT question, reason FROM unanswered ORDER BY id")

    def clear(self) -> None:
        import sqlite3

        with contextlib.closing(sqlite3.connect(self.store.path)) as db, db:
            db.execute("DELETE FROM ratings")
            db.execute("DELETE FROM unanswered")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Kiosk:
    app: Any
    worker: FakeWorker
    feedback: Feedback
    clock: Clock

    def screen(self, name: str) -> Any:
        return self.app.state.sm.get_screen(name)

    @property
    def current(self) -> str:
        return str(self.app.state.sm.current)

    def reset(self) -> None:
        """Back to a fresh start: home, Vietnamese, nothing asked, nothing recorded."""
        from kiosk_app.ui.theme import THEME

        self.app.controller.set_language("vi")
        self.app.controller.go("home")
        self.screen("home").ready = False
        self.screen("home").mic_ok = True
        self.screen("error").maintenance = False
        self.screen("browse").group = ""
        self.screen("answer").question = ""
        self.worker.calls.clear()
        self.feedback.clear()
        self.clock.now += 1.0
        self.app.state.last_activity = self.clock.now
        assert THEME.lang == "vi"


def make_kiosk(settings: Settings, *, attach: bool = False, size: tuple[int, int] | None = None
               ) -> Iterator[Kiosk]:
    from kivy.core.window import Window

    from kiosk_app.ui.app import KioskApp
    from kiosk_app.ui.theme import THEME

    worker, feedback, clock = FakeWorker(), Feedback(settings.data_dir / "feedback"), Clock()
    if size is not None:
        Window.size = size
    app = KioskApp(settings, worker_factory=lambda sink, ready: worker, feedback=feedback.store, clock=clock)
    sm = app.build()
    app.router.set_catalog(sample_records(), sample=True)
    if attach:
        Window.add_widget(sm)
    try:
        yield Kiosk(app, worker, feedback, clock)
    finally:
        if attach:
            Window.remove_widget(sm)
        app.detach()
        THEME.set_language("vi")
