"""Bundle version folders on the kiosk: layout, lock, atomic symlinks, crash recovery, status, rollback.

Layout under ``settings.bundles_dir``::

    current  -> <bundle_id>-<version>     relative symlink: the active bundle
    previous -> <bundle_id>-<version>     what was active before (``kiosk bundle rollback``)
    <bundle_id>-<version>/                manifest.json, manifest.sig, records/*.yaml, index/, import.json
    .incoming-<uuid>/                     staging of an import in progress (never read by the kiosk)
    .trash-<uuid>/                        a folder being deleted (renamed first, so never half-valid)
    .lock                                 flock held by whoever changes this folder

A version folder gets its final name only when complete; ``current`` only ever points at such a
folder and is changed with ``os.replace`` (atomic on POSIX). ``recover`` repairs what a crash or a
power cut can leave behind. Writers (import, rollback, recover) hold ``.lock``; ``status`` only reads.
``rollback`` switches only to a version that passes ``check_version`` (every checksum, the index opens).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from kiosk_app.errors import BundleDamagedError, BundleError, KioskError, NoRollbackError
from kiosk_app.settings import Settings
from knowledge.bundle import MANIFEST, RECORDS_DIR, parse_manifest, read_bundle_dir, sha256_bytes

log = logging.getLogger(__name__)

CURRENT, PREVIOUS = "current", "previous"
INCOMING, TRASH = ".incoming-", ".trash-"
IMPORT_META = "import.json"
INDEX_DIR = "index"
INDEX_DONE = "index.json"  # written by knowledge.store.build_index after the index is closed
OK, DAMAGED, UNCHECKED = "ok", "damaged", "unchecked"  # states of a kept version

IndexCheck = Callable[[Path], None]  # raises a KioskError when the index folder cannot be used


class BundleBusyError(BundleError):
    """Another process holds the bundles folder's lock (an import or rollback is running)."""


@dataclass(frozen=True, slots=True)
class BundleInfo:
    name: str  # folder name under bundles_dir
    label: str  # "<bundle_id>@<version>"
    bundle_id: str
    version: str
    title: str
    created: str
    record_count: int
    sample: bool
    signed_by: str | None  # fingerprint of the trusted key, None for unsigned / the built-in sample
    imported_at: str


@dataclass(frozen=True, slots=True)
class KeptVersion:
    """One version folder and whether the kiosk could switch to it (``check_version``)."""

    name: str  # folder name under bundles_dir
    info: BundleInfo | None  # None: the manifest cannot be read
    state: str  # OK, DAMAGED, or UNCHECKED (only the cheap checks ran)
    problem: str = ""  # English, for logs and technicians
    problem_vi: str = ""  # the sentence for ward staff

    @property
    def label(self) -> str:
        return self.info.label if self.info else self.name

    def to_json(self) -> dict[str, Any]:
        base = asdict(self.info) if self.info else {"name": self.name, "label": None}
        return {**base, "state": self.state, "problem": self.problem, "problem_vi": self.problem_vi}


@dataclass(frozen=True, slots=True)
class BundleStatus:
    current: BundleInfo | None
    previous: BundleInfo | None
    versions: tuple[KeptVersion, ...]  # newest import first
    problems: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"current": asdict(self.current) if self.current else None,
                "previous": asdict(self.previous) if self.previous else None,
                "versions": [v.to_json() for v in self.versions], "problems": list(self.problems)}


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
            raise BundleBusyError("another bundle import or rollback is running",
                              "Đang nhập một gói dữ liệu khác; xin chờ một chút.") from err
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


def _imported_mtime(p: Path) -> float:
    try:
        return (p / IMPORT_META).stat().st_mtime
    except OSError:
        return 0.0


def read_info(path: Path) -> BundleInfo | None:
    try:
        m = parse_manifest((path / MANIFEST).read_bytes())
    except (OSError, BundleError):
        return None
    meta: dict[str, Any] = {}
    with contextlib.suppress(OSError, ValueError):
        meta = json.loads((path / IMPORT_META).read_text(encoding="utf-8"))
    return BundleInfo(name=path.name, label=m.label, bundle_id=m.bundle_id, version=m.version, title=m.title,
                      created=m.created.isoformat(), record_count=m.record_count, sample=m.sample,
                      signed_by=meta.get("signed_by"), imported_at=str(meta.get("imported_at", "")))


def unique_name(root: Path, base: str) -> str:
    name, n = base, 1
    while (root / name).exists():
        n += 1
        name = f"{base}.{n}"
    return name


def prune(root: Path, keep: int) -> list[str]:
    """Delete old versions, keeping ``current`` and ``keep`` others (``previous`` counts as one)."""
    cur, prev = target(root, CURRENT), target(root, PREVIOUS)
    others = sorted((p for p in version_dirs(root) if p.name not in (cur, prev)), key=_imported_mtime,
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
        candidates += [p.name for p in sorted(version_dirs(root), key=_imported_mtime, reverse=True)
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


def open_index_check(index_dir: Path) -> None:
    """The real index check: ``StoreMissingError``/``StoreCorruptError`` unless the index opens."""
    from knowledge.store import open_index  # deferred: chromadb is heavy

    open_index(index_dir).close()


def _read_meta(path: Path) -> dict[str, Any]:
    with contextlib.suppress(OSError, ValueError):
        meta = json.loads((path / IMPORT_META).read_text(encoding="utf-8"))
        if isinstance(meta, dict):
            return meta
    return {}


def _damage(path: Path, index_check: IndexCheck | None) -> tuple[str, str]:
    """(English problem, Vietnamese sentence) for a version folder, ("", "") when it is usable.

    ``index_check`` None runs only the cheap checks (folder complete, manifest readable)."""
    if not path.is_dir():
        return "the version folder is missing", "Thư mục của phiên bản này không còn trên máy."
    if not complete(path):
        missing = [n for n in (MANIFEST, RECORDS_DIR, f"{INDEX_DIR}/{INDEX_DONE}") if not (path / n).exists()]
        return (f"incomplete folder ({', '.join(missing)} missing)",
                "Phiên bản này thiếu tệp (nhập chưa xong hoặc mất chỉ mục tìm kiếm).")
    try:
        if index_check is None:
            parse_manifest((path / MANIFEST).read_bytes())
            return "", ""
        manifest = (path / MANIFEST).read_bytes()
        read_bundle_dir(path)  # manifest schema, sha256 of every member, every record parses
    except BundleError as err:
        return str(err), err.message_vi
    except OSError as err:
        return (f"cannot read {err.filename or path}: {err.strerror or err}",
                "Không đọc được dữ liệu của phiên bản này trên thẻ nhớ của máy.")
    expected = _read_meta(path).get("manifest_sha256")
    if expected and sha256_bytes(manifest) != expected:
        return (f"{MANIFEST} changed after the import (sha256 differs from {IMPORT_META})",
                "Tệp mô tả gói (manifest.json) đã bị thay đổi sau khi nhập.")
    try:
        index_check(path / INDEX_DIR)
    except (KioskError, OSError) as err:
        return (f"search index: {err}", "Chỉ mục tìm kiếm của phiên bản này bị hỏng.")
    return "", ""


def check_version(path: Path, index_check: IndexCheck | None = None, *, deep: bool = True) -> KeptVersion:
    """Can the kiosk switch to this version folder? ``deep``: every checksum and the index opening
    (what ``Knowledge.open`` needs); otherwise only whether the folder is complete and readable."""
    problem, vi = _damage(path, (index_check or open_index_check) if deep else None)
    state = DAMAGED if problem else (OK if deep else UNCHECKED)
    return KeptVersion(path.name, read_info(path) if path.is_dir() else None, state, problem, vi)


def _kept(root: Path) -> list[Path]:
    return sorted(version_dirs(root), key=lambda p: (_imported_mtime(p), p.name), reverse=True)


def resolve_version(root: Path, wanted: str) -> str:
    """The folder name of the kept version ``wanted`` (folder name, ``id@version`` or version)."""
    kept = _kept(root)
    if any(p.name == wanted for p in kept):
        return wanted
    infos = [(p.name, read_info(p)) for p in kept]
    matches = [name for name, i in infos if i is not None and wanted in (i.label, i.version)]
    if len(matches) == 1:
        return matches[0]
    listing = ", ".join(f"{n} ({i.label})" if i else n for n, i in infos) or "none"
    listing_vi = ", ".join(i.version if i else n for n, i in infos) or "(không có)"
    if matches:
        raise NoRollbackError(f"'{wanted}' matches several kept versions ({', '.join(matches)}); "
                              "give the folder name", f"Có nhiều phiên bản khớp với {wanted}: "
                              f"{', '.join(matches)}. Xin ghi đúng tên thư mục.")
    raise NoRollbackError(f"no kept bundle version '{wanted}'; kept: {listing}",
                          f"Không có phiên bản {wanted} trên máy. Các phiên bản đang lưu: {listing_vi}.")


def _choose(root: Path, to: str | None, remembered: str | None,
            index_check: IndexCheck | None) -> tuple[str | None, KeptVersion]:
    """(current folder, checked rollback target); raises when there is none or it is damaged.

    ``remembered``: what ``previous`` pointed to before recovery (which drops a link to an
    incomplete folder), so that a damaged previous is named as such, not as missing."""
    cur = target(root, CURRENT)
    if to is None:
        name = target(root, PREVIOUS) or remembered
        if name is None or name == cur:
            raise NoRollbackError("there is no previous bundle version to roll back to")
    else:
        name = resolve_version(root, to)
    check = check_version(root / name, index_check)
    if check.state != OK:
        cur_info = read_info(root / cur) if cur else None
        which = "the previous bundle version" if to is None else "bundle version"
        keep_en = f"{cur_info.label} stays active" if cur_info else "the active bundle is unchanged"
        keep_vi = f"Máy vẫn dùng {cur_info.label} như cũ" if cur_info else "Máy vẫn dùng dữ liệu hiện tại"
        raise BundleDamagedError(
            f"{which} {name} ({check.label}) is damaged: {check.problem}; not switching to it, {keep_en}",
            f"Phiên bản {check.label} trên máy bị hỏng. {check.problem_vi} {keep_vi}; muốn dùng lại "
            "phiên bản đó thì nhập lại tệp gói của nó từ USB.")
    return cur, check


def plan_rollback(settings: Settings, to: str | None = None, *,
                  index_check: IndexCheck | None = None) -> tuple[BundleInfo | None, KeptVersion]:
    """What ``rollback`` would do, changing nothing: (active bundle, checked target). Raises as it would."""
    root = settings.bundles_dir
    cur, check = _choose(root, to, target(root, PREVIOUS), index_check)
    return (read_info(root / cur) if cur else None), check


def rollback(settings: Settings, to: str | None = None, *, index_check: IndexCheck | None = None
             ) -> BundleInfo:
    """Make ``previous`` (or the kept version ``to``) active again; the current one becomes
    ``previous``, so a rollback is undoable. The target is checked first (``check_version``: every
    checksum, the index opens): a damaged one raises ``BundleDamagedError`` and nothing changes."""
    with locked(settings) as root:
        remembered = target(root, PREVIOUS)
        recover_locked(root)
        cur, check = _choose(root, to, remembered, index_check)
        assert check.info is not None  # a version that passed check_version has a readable manifest
        if check.name == cur:
            log.info("bundle %s is already active; rollback changes nothing", check.info.label)
            return check.info
        point(root, CURRENT, check.name)
        if cur is not None and complete(root / cur):
            point(root, PREVIOUS, cur)
        else:
            (root / PREVIOUS).unlink(missing_ok=True)
        log.info("rolled back to bundle %s (was %s)", check.info.label, cur)
        return check.info


def status(settings: Settings, *, verify: bool = False, index_check: IndexCheck | None = None
           ) -> BundleStatus:
    """What is active, what rollback would restore, what is kept and in what state. Read-only (no
    lock). ``verify``: check every kept version fully (checksums, index; ~0.1 s each), else cheaply."""
    root = settings.bundles_dir
    problems: list[str] = []
    cur, prev = target(root, CURRENT), target(root, PREVIOUS)
    if cur is None:
        problems.append("no active bundle (run: kiosk bundle import --sample, or import a file)")
    elif not complete(root / cur):
        problems.append(f"current points to missing or incomplete folder {cur}")
    leftovers = sorted(p.name for p in root.iterdir() if p.name.startswith(INCOMING)) if root.is_dir() else []
    if leftovers:
        problems.append(f"unfinished import folder(s): {', '.join(leftovers)}")
    kept = tuple(check_version(p, index_check, deep=verify) for p in _kept(root))
    for v in kept:
        if v.state == DAMAGED:
            role = " (current)" if v.name == cur else " (previous)" if v.name == prev else ""
            problems.append(f"version {v.name}{role} is damaged: {v.problem}")
    return BundleStatus(current=read_info(root / cur) if cur and complete(root / cur) else None,
                        previous=read_info(root / prev) if prev and complete(root / prev) else None,
                        versions=kept, problems=tuple(problems))
