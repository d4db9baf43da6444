"""UI test fixtures (see harness.py). One app per test module, reset before each test (fast)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kiosk_app.core.settings import Settings
from tests.ui.harness import Kiosk, make_kiosk


@pytest.fixture(scope="module")
def _module_kiosk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kiosk]:
    data = tmp_path_factory.mktemp("kiosk") / "data"
    settings = Settings(data_dir=data, ui={"fullscreen": True, "idle_reset_s": 30})
    yield from make_kiosk(settings)


@pytest.fixture
def kiosk(_module_kiosk: Kiosk) -> Kiosk:
    _module_kiosk.reset()
    return _module_kiosk
