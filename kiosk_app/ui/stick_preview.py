"""What the staff screen shows of the bundle files found on a USB stick, before any import.

For each file: its manifest (read, not verified: the import checks it), or why it cannot be read,
and the version anomalies importing it would meet (``StaffService.preview_problems``). The stick is
polled every 2 s, so each is read once per file (path, size, mtime) and, for the anomalies, per
active bundle. A cache miss reads the stick: call ``created``, ``problems`` and ``describe`` off the
UI thread unless ``known`` says there is nothing to read. No Kivy import.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kiosk_app.core.errors import BundleError
from kiosk_app.ui.staff_messages import BUNDLE_TAG_VI, STAFF_VI, when_vi

if TYPE_CHECKING:
    from kiosk_app.pipeline.staff import StaffService

log = logging.getLogger(__name__)


class StickPreview:
    def __init__(self, service: Callable[[], StaffService]) -> None:
        """``service``: the staff service of the moment (the screen's worker may be replaced)."""
        self._service = service
        self._peeks: dict[tuple[str, int, float], Any] = {}  # (path, size, mtime) -> Manifest | str
        self._problem_cache: dict[tuple[str, int, float, str | None], list[Any]] = {}

    def peek(self, b: Any) -> Any:
        """The bundle file's manifest (cached per path, size and mtime), or the reason it cannot be read."""
        key = (str(b.path), b.size, b.mtime)
        if key not in self._peeks:
            try:
                self._peeks[key] = self._service().peek(b.path)
            except BundleError as exc:
                log.info("cannot preview %s: %s", b.name, exc)
                self._peeks[key] = STAFF_VI["usb_unreadable"]
        return self._peeks[key]

    def created(self, b: Any) -> str:
        m = self.peek(b)
        return m.created.isoformat() if not isinstance(m, str) else ""

    def problems(self, b: Any) -> list[Any]:
        """The version anomalies importing ``b`` would meet, from its manifest alone; [] when it cannot be
        read (the import then says why)."""
        if isinstance(self.peek(b), str):
            return []
        key = (str(b.path), b.size, b.mtime, self._service().active_target())
        if key not in self._problem_cache:  # the stick is polled every 2 s: decide once per file and state
            try:
                self._problem_cache[key] = self._service().preview_problems(b.path)
            except (BundleError, OSError) as exc:
                log.info("cannot check the version of %s: %s", b.name, exc)
                self._problem_cache[key] = []
        return list(self._problem_cache[key])

    def known(self, b: Any) -> bool:
        """The manifest and the version check of ``b`` are cached (nothing to read)."""
        peek = self._peeks.get((str(b.path), b.size, b.mtime))
        return peek is not None and (
            isinstance(peek, str) or (str(b.path), b.size, b.mtime, self._service().active_target())
            in self._problem_cache)

    def describe(self, b: Any) -> str:
        """"phiên bản 2 · tạo 01/12/2026 10:30 · 3 thủ tục" (+ "CŨ HƠN gói đang dùng") for a found file."""
        m = self.peek(b)
        if isinstance(m, str):
            return m
        tags = "".join(f" · {BUNDLE_TAG_VI[p.code]}" for p in self.problems(b))
        return STAFF_VI["usb_describe"].format(version=m.version, created=when_vi(m.created.isoformat()),
                                               count=m.record_count, tags=tags)
