"""The staff screen with its real staff worker (a thread running the real importer with the fast fake
index) and the test's thread playing the UI thread: the worker's events (and USB scans) wait in a
queue until ``settle`` delivers them, as ``Clock.schedule_once`` would."""

from __future__ import annotations

import queue
from collections.abc import Callable
from typing import Any

from kiosk_app.core.settings import Settings
from kiosk_app.pipeline.staff import StaffService, StaffWorker
from kiosk_app.ui.feedback_store import FeedbackStore
from tests.staff.staff_cases import fake_indexer, no_smoke


def open_staff_screen(settings: Settings, feedback: FeedbackStore | None, controller: Any) -> Any:
    from kiosk_app.ui.screens.staff import StaffScreen

    pending: queue.Queue[Callable[[], None]] = queue.Queue()
    screen = StaffScreen(name="staff", settings=settings, feedback=feedback)
    screen.controller = controller
    screen.post = pending.put
    screen.jobs = StaffWorker(StaffService(settings, indexer=fake_indexer, smoke=no_smoke),
                              screen.post_event)

    def settle(timeout: float = 30.0) -> None:
        """Wait until the worker is idle, then run the UI callbacks it posted, in order; again while
        those started more work (a USB scan asked for while one was out)."""
        while True:
            assert screen.jobs.wait_idle(timeout), "the staff worker did not finish"
            if pending.empty():
                return
            while True:
                try:
                    pending.get_nowait()()
                except queue.Empty:
                    break

    screen.settle = settle
    return screen
