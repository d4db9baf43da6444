"""Bundle version folders on the kiosk: layout, lock, atomic symlinks, crash recovery, pruning.

Layout under ``settings.bundles_dir``::

    current  -> <bundle_id>-<version>     relative symlink: the active bundle
    previous -> <bundle_id>-<version>     what was active before (``kiosk bundle rollback``)
    <bundle_id>-<version>/                manifest.json, manifest.sig, records/*.yaml, index/, import.json
    .incoming-<uuid>/                     staging of an import in progress (never read by the kiosk)
    .trash-<uuid>/                        a folder being deleted (renamed first, so never half-valid)
    .lock                                 flock held by whoever changes this folder

This module owns that layout and the primitives that keep it valid: a version folder gets its final
name only when complete (``complete``); ``current`` only ever points at such a folder and is changed
with ``os.replace`` (``point``, atomic on POSIX); ``remove_tree`` renames before deleting;
``recover`` repairs what a crash or a power cut can leave behind; ``prune`` drops old versions.
Writers (import, rollback, recover) hold ``.lock`` (``locked``).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

from kiosk_app.core.errors import BundleError
from kiosk_app.core.settings import Settings
from knowledge.bundle.schema import MANIFEST, RECORDS_DIR

log = logging.getLogger(__name__)

CURRENT, PREVIOUS = "current", "previous"
INCOMING, TRASH = ".incoming-", ".trash-"
IMPORT_META = "import.json"
INDEX_DIR = "index"
INDEX_DONE = "index.json"  # written by knowledge.understand.store.build_index after the index is closed


def is_disk_full(exc: BaseException) -> bool:
    """ENOSPC/EDQUOT anywhere in the exception chain, or SQLite's / Chroma's wording of it."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if "disk is full" in str(seen) or "No space left" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class BundleBusyError(BundleError):
    """Another process holds the bundles folder's lock (an import or rollback is running)."""



@contextlib.contextmanager
def locked(settings: Settings) -> Iterator[Path]:
    """Hold the bundles folder's lock (non-blocking: a second writer gets a clear refusal)."""
    root = settings.bundles_dir
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as err:
            raise BundleBusyError("another bundle import or rollback is running", "busy") from err
        yield root
    finally:
        os.close(fd)  # releases the lock; the kernel also releases it when the process dies


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def point(root: Path, link: str, target: str) -> None:
    """Atomically make ``root/link`` a relative symlink to ``target``."""
    tmp = root / f"{link}.new"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(target)
    os.replace(tmp, root / link)
    fsync_dir(root)


def target(root: Path, link: str) -> str | None:
    try:
        return os.readlink(root / link)
    except OSError:
        return None


def complete(path: Path) -> bool:
    """A version folder the kiosk can open: manifest, records and a finished index."""
    return ((path / MANIFEST).is_file() and (path / RECORDS_DIR).is_dir()
            and (path / INDEX_DIR / INDEX_DONE).is_file())


def remove_tree(root: Path, path: Path) -> None:
    """Delete a folder so that a half-deleted one never looks like a version: rename, then delete."""
    if not path.exists():
        return
    trash = root / f"{TRASH}{uuid.uuid4().hex}"
    os.rename(path, trash)
    shutil.rmtree(trash, ignore_errors=True)


def version_dirs(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return [p for p in root.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")]


def imported_mtime(p: Path) -> float:
    """When the version in ``p`` was imported (mtime of its import.json; 0 if none)."""
    try:
        return (p / IMPORT_META).stat().st_mtime
    except OSError:
        return 0.0



def unique_name(root: Path, base: str) -> str:
    name, n = base, 1
    while (root / name).exists():
        n += 1
        name = f"{base}.{n}"
    return name


def prune(root: Path, keep: int) -> list[str]:
    """Delete old versions, keeping ``current`` and ``keep`` others (``previous`` counts as one)."""
    cur, prev = target(root, CURRENT), target(root, PREVIOUS)
    others = sorted((p for p in version_dirs(root) if p.name not in (cur, prev)), key=imported_mtime,
                    reverse=True)
    removed = []
    for p in others[max(0, keep - (1 if prev else 0)):]:
        log.info("removing old bundle version %s", p.name)
        remove_tree(root, p)
        removed.append(p.name)
    return removed


def recover_locked(root: Path) -> list[str]:
    """``recover`` for a caller that already holds the lock."""
    actions: list[str] = []
    if not root.is_dir():
        return actions
    for p in root.iterdir():
        if p.name.startswith((INCOMING, TRASH)):
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink()
            actions.append(f"removed unfinished {p.name}")
        elif p.name in (f"{CURRENT}.new", f"{PREVIOUS}.new"):
            p.unlink()
            actions.append(f"removed temporary link {p.name}")
    cur, prev = target(root, CURRENT), target(root, PREVIOUS)
    if cur is not None and not complete(root / cur):
        candidates = [prev] if prev and complete(root / prev) else []
        candidates += [p.name for p in sorted(version_dirs(root), key=imported_mtime, reverse=True)
                       if complete(p)]
        if candidates:
            point(root, CURRENT, candidates[0])
            actions.append(f"current pointed to missing/incomplete {cur}; now {candidates[0]}")
        else:
            (root / CURRENT).unlink()
            actions.append(f"current pointed to missing/incomplete {cur}; no complete bundle left")
    prev = target(root, PREVIOUS)
    if prev is not None and (not complete(root / prev) or prev == target(root, CURRENT)):
        (root / PREVIOUS).unlink()
        actions.append(f"removed previous link to {prev}")
    for a in actions:
        log.warning("bundle folder recovery: %s", a)
    return actions


def recover(settings: Settings) -> list[str]:
    """Clean up after a crash or power cut. Returns what was done (empty: nothing to do)."""
    with locked(settings) as root:
        return recover_locked(root)


def active_dir(settings: Settings) -> Path | None:
    """The folder ``current`` points to, if it is complete."""
    cur = target(settings.bundles_dir, CURRENT)
    if cur is None or not complete(settings.bundles_dir / cur):
        return None
    return settings.bundles_dir / cur
