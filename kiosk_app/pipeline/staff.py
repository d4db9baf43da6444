"""The bundle work behind the staff screen: state, USB sticks, preview, import, rollback.

The screens call this service, never the knowledge engines, so the UI imports no engine
(tests/test_import_contract.py) and what a staff action does to the bundles is in one place. The
engines are imported when first used (the kiosk starts without them). ``import_bundle`` is slow: the
screen calls it off the UI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk_app.core.errors import ErrorCode
from kiosk_app.core.settings import Settings

if TYPE_CHECKING:
    from knowledge.bundle.importer import ImportResult
    from knowledge.bundle.schema import Manifest
    from knowledge.bundle.usbwatch import FoundBundle
    from knowledge.bundle.version_check import BundleInfo
    from knowledge.bundle.version_policy import VersionProblem
    from knowledge.bundle.versions import BundleStatus


class StaffService:
    """One kiosk's bundles as the staff screen sees them (``settings``: bundles and USB folders)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def status(self) -> BundleStatus:
        """The active and the previous version (reads only; no index is opened)."""
        from knowledge.bundle.versions import status

        return status(self.settings)

    def find_bundles(self) -> list[FoundBundle]:
        """The ``.wkb`` files on the USB stick(s)."""
        from knowledge.bundle.usbwatch import find_bundles

        return find_bundles(self.settings.staff.usb_dir)

    def mounted_sticks(self) -> list[Path]:
        from knowledge.bundle.usbwatch import mounted_sticks

        return mounted_sticks(self.settings.staff.usb_dir)

    def peek(self, path: Path | str) -> Manifest:
        """The bundle file's manifest, unverified (``BundleError`` when it cannot be read)."""
        from knowledge.bundle.importer import peek_manifest

        return peek_manifest(Path(path))

    def active_target(self) -> str | None:
        """The folder the active version points to: changes when another version becomes active."""
        from knowledge.bundle.version_folders import CURRENT, target

        return target(self.settings.bundles_dir, CURRENT)

    def preview_problems(self, path: Path | str) -> list[VersionProblem]:
        """The version anomalies importing ``path`` would meet, from its manifest alone."""
        from knowledge.bundle.version_policy import preview_problems

        return preview_problems(Path(path), self.settings)

    def import_bundle(self, path: Path | str, progress: Callable[[str, float], None], *,
                      confirmed: frozenset[ErrorCode] = frozenset(), **kwargs: Any) -> ImportResult:
        """Import and activate ``path``; ``progress(phase, fraction of the whole import)``."""
        from knowledge.bundle.importer import PHASES, import_bundle

        def on_phase(phase: str, done: int, total: int) -> None:
            i = PHASES.index(phase) if phase in PHASES else 0
            progress(phase, (i + (done / total if total else 0)) / len(PHASES))

        return import_bundle(path, self.settings, on_phase, confirmed=confirmed, **kwargs)

    def rollback(self) -> BundleInfo:
        """Switch back to the previous version (checked first; ``NoRollbackError`` when none)."""
        from knowledge.bundle.versions import rollback

        return rollback(self.settings)

    @staticmethod
    def message_vi(exc: BaseException) -> str:
        """The Vietnamese sentence for ward staff for any import or rollback failure."""
        from knowledge.bundle.importer import message_vi

        return message_vi(exc)

    @staticmethod
    def short_vi(code: ErrorCode) -> str:
        """The screen's one-line tag for a version anomaly ("CŨ HƠN gói đang dùng", …)."""
        from knowledge.bundle.version_policy import SHORT_VI

        return SHORT_VI[code]
