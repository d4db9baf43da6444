"""Pipeline fixtures: a pipeline wired to the fakes, events collected in a list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kiosk_app.core.settings import Settings
from tests.fakes import Rig


@pytest.fixture
def rig(settings: Settings) -> Callable[..., Rig]:
    def make(**overrides: Any) -> Rig:
        return Rig(settings, **overrides)
    return make
