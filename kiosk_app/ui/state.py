"""What the kiosk screen's parts share: the screen manager, the worker and the current question."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kivy.uix.screenmanager import ScreenManager

    from kiosk_app.ui.controller import WorkerLike
    from knowledge.types import Answer


@dataclass
class UiState:
    """Touched on the UI thread only. ``sm`` is None before ``KioskApp.build``."""

    sm: ScreenManager | None = None
    worker: WorkerLike | None = None
    last_answer: Answer | None = None
    last_question: str = ""
    last_activity: float = 0.0  # clock time of the last touch or event (idle reset)
    catalog: dict[str, Any] = field(default_factory=dict)  # procedure id -> record of the active bundle
