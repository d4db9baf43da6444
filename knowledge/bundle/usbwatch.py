"""Find bundle files on mounted USB sticks by polling ``settings.staff.usb_dir`` (no extra dependency).

Desktop Linux mounts sticks under ``/media/<user>/<label>/``; the kiosk's provisioning may use
``/media/<label>``. ``find_bundles`` walks a few levels, never follows symlinks (a stick can carry a
symlink loop or a link to ``/``), skips hidden folders and caps the number of entries it looks at.
Nothing is imported automatically: the staff screen offers what it found after the staff PIN.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from knowledge.bundle.schema import BUNDLE_SUFFIX

log = logging.getLogger(__name__)

MAX_DEPTH = 4  # usb_dir/<user>/<label>/<one folder>/file.wkb
MAX_ENTRIES = 5000


@dataclass(frozen=True, slots=True)
class FoundBundle:
    path: Path
    size: int
    mtime: float

    @property
    def name(self) -> str:
        return self.path.name


def find_bundles(usb_dir: Path, *, max_depth: int = MAX_DEPTH, max_entries: int = MAX_ENTRIES
                 ) -> list[FoundBundle]:
    """``*.wkb`` regular files under ``usb_dir`` (newest first)."""
    found: list[FoundBundle] = []
    seen = 0
    stack: list[tuple[Path, int]] = [(Path(usb_dir), 0)]
    while stack:
        folder, depth = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:  # not mounted, unplugged while reading, no permission
            continue
        for e in entries:
            seen += 1
            if seen > max_entries:
                log.warning("stopped looking for bundles under %s after %d entries", usb_dir, max_entries)
                return sorted(found, key=lambda f: f.mtime, reverse=True)
            if e.name.startswith("."):
                continue
            try:
                if e.is_dir(follow_symlinks=False):
                    if depth + 1 < max_depth:
                        stack.append((Path(e.path), depth + 1))
                elif e.is_file(follow_symlinks=False) and e.name.lower().endswith(BUNDLE_SUFFIX):
                    st = e.stat(follow_symlinks=False)
                    found.append(FoundBundle(Path(e.path), st.st_size, st.st_mtime))
            except OSError:
                continue
    return sorted(found, key=lambda f: f.mtime, reverse=True)


def mounted_sticks(usb_dir: Path) -> list[Path]:
    """Mount points one or two levels under ``usb_dir`` (``/media/<label>``, ``/media/<user>/<label>``)."""
    sticks: list[Path] = []
    for level1 in _subdirs(Path(usb_dir)):
        if os.path.ismount(level1):
            sticks.append(level1)
            continue
        sticks += [p for p in _subdirs(level1) if os.path.ismount(p)]
    return sticks


def _subdirs(folder: Path) -> list[Path]:
    try:
        return sorted(Path(e.path) for e in os.scandir(folder)
                      if e.is_dir(follow_symlinks=False) and not e.name.startswith("."))
    except OSError:
        return []


class UsbWatcher:
    """Call ``poll()`` periodically (e.g. every 2 s from a Kivy Clock); it says when the list changed."""

    def __init__(self, usb_dir: Path) -> None:
        self.usb_dir = Path(usb_dir)
        self._last: tuple[tuple[str, int, float], ...] = ()
        self.bundles: list[FoundBundle] = []

    def poll(self) -> bool:
        bundles = find_bundles(self.usb_dir)
        key = tuple((str(b.path), b.size, b.mtime) for b in bundles)
        changed = key != self._last
        self._last, self.bundles = key, bundles
        if changed:
            log.info("bundle files on USB: %s", [b.name for b in bundles] or "none")
        return changed
