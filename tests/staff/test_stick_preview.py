"""What the staff screen shows of a bundle file on the stick (``StickPreview``), without Kivy: the
stick is polled every 2 s, so each file's manifest is read once and its version check once per
active bundle; an unreadable file says so and is never version-checked."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from kiosk_app.core.errors import BundleError, ErrorCode
from kiosk_app.ui.staff_messages import STAFF_VI, when_vi
from kiosk_app.ui.stick_preview import StickPreview
from knowledge.bundle.usbwatch import FoundBundle

CREATED = datetime(2026, 12, 1, 10, 30, tzinfo=UTC)


class FakeService:
    """The three reads ``StickPreview`` makes of ``StaffService``, counted."""

    def __init__(self, *, readable: bool = True, problems: list[Any] | None = None) -> None:
        self.readable, self.problems = readable, problems or []
        self.active = "bundles/v1"
        self.peeks: list[Path] = []
        self.previews: list[tuple[Path, str]] = []

    def peek(self, path: Path) -> Any:
        self.peeks.append(path)
        if not self.readable:
            raise BundleError("/media/usb/ward-v2.wkb: file not found", "file-not-found", name="ward-v2.wkb")
        return SimpleNamespace(version=2, created=CREATED, record_count=3)

    def active_target(self) -> str:
        return self.active

    def preview_problems(self, path: Path) -> list[Any]:
        self.previews.append((path, self.active))
        return list(self.problems)


def stick_file(name: str = "ward-v2.wkb", mtime: float = 1.0) -> FoundBundle:
    return FoundBundle(path=Path("/media/usb") / name, size=1234, mtime=mtime)


def test_describes_a_file_once_per_file_and_active_bundle() -> None:
    older = SimpleNamespace(code=ErrorCode.BUNDLE_DOWNGRADE, confirmable=True)
    svc = FakeService(problems=[older])
    stick = StickPreview(lambda: svc)
    b = stick_file()
    assert not stick.known(b)
    want = f"phiên bản 2 · tạo {when_vi(CREATED.isoformat())} · 3 thủ tục · CŨ HƠN gói đang dùng"
    for _poll in range(3):
        assert stick.describe(b) == want
        assert stick.created(b) == CREATED.isoformat()
    assert stick.known(b)
    assert len(svc.peeks) == 1 and len(svc.previews) == 1
    svc.active = "bundles/v3"  # another bundle switched in: the version check is decided again
    assert not stick.known(b)
    assert stick.problems(b) == [older]
    assert svc.previews == [(b.path, "bundles/v1"), (b.path, "bundles/v3")] and len(svc.peeks) == 1
    stick.problems(stick_file(mtime=2.0))  # the file was rewritten: read again
    assert len(svc.peeks) == 2


def test_an_unreadable_file_says_so_and_is_not_version_checked() -> None:
    svc = FakeService(readable=False)
    stick = StickPreview(lambda: svc)
    b = stick_file()
    assert stick.describe(b) == STAFF_VI["usb_unreadable"]
    assert stick.problems(b) == [] and stick.created(b) == ""
    assert stick.known(b) and len(svc.peeks) == 1 and svc.previews == []


def test_follows_the_service_of_the_moment() -> None:
    first, second = FakeService(), FakeService()
    current = [first]
    stick = StickPreview(lambda: current[0])
    stick.problems(stick_file("a.wkb"))
    current[0] = second  # the screen's worker was replaced
    stick.problems(stick_file("b.wkb"))
    assert [p.name for p in first.peeks] == ["a.wkb"] and [p.name for p in second.peeks] == ["b.wkb"]
