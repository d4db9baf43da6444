"""The app with the real PipelineWorker: events cross threads through Kivy's Clock; a missing store
at start shows the maintenance screen instead of crashing, and a working pipeline answers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk_app.core.errors import StoreMissingError
from kiosk_app.core.settings import Settings
from kiosk_app.pipeline import Pipeline
from kiosk_app.pipeline.worker import PipelineWorker
from tests.fakes import FakeKnowledge, Rig, answer_for, pump_clock, records


@pytest.fixture
def app_with(tmp_path: Path) -> Iterator[Callable[[Callable[[Any], Pipeline]], Any]]:
    from kiosk_app.ui.app import KioskApp

    apps: list[Any] = []

    def make(build: Callable[[Any], Pipeline]) -> Any:
        settings = Settings(data_dir=tmp_path / "data", ui={"fullscreen": False})
        app = KioskApp(settings,
                       worker_factory=lambda sink, ready: PipelineWorker(build, sink, on_ready=ready))
        app.build()
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.on_stop()  # stops the worker thread, undoes window bindings


def test_missing_store_at_start_shows_maintenance(app_with: Callable[..., Any]) -> None:
    def build(sink: Any) -> Pipeline:
        raise StoreMissingError("no active knowledge bundle at /x/bundles/current")

    app = app_with(build)
    assert pump_clock(lambda: app.state.sm.current == "error")
    err = app.state.sm.get_screen("error")
    assert err.maintenance and err.ids.message.text.startswith("Máy đang bảo trì")


def test_typed_question_answered_through_the_worker(app_with: Callable[..., Any], tmp_path: Path) -> None:
    recs = records()
    settings = Settings(data_dir=tmp_path / "d2")

    class Knowing(FakeKnowledge):
        @property
        def bundle(self) -> Any:
            from types import SimpleNamespace

            manifest = SimpleNamespace(label="sample@1", sample=True)
            return SimpleNamespace(records=self.recs, manifest=manifest)

    def build(sink: Any) -> Pipeline:
        rig = Rig(settings, knowledge=Knowing(answers={"khai sinh": answer_for(recs["khai-sinh"])}))
        rig.pipeline.on_event = sink
        return rig.pipeline

    app = app_with(build)
    home = app.state.sm.get_screen("home")
    assert pump_clock(lambda: home.ready)  # BundleActivated arrived: the big button works
    assert app.state.catalog.keys() == recs.keys()
    app.controller.ask_text("khai sinh")
    answer = app.state.sm.get_screen("answer")
    assert pump_clock(lambda: app.state.sm.current == "answer" and not answer.speaking
                      and answer.title == "Đăng ký khai sinh")
