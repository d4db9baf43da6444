"""Bundle versions on the kiosk: what is active and kept (``status``), and ``rollback``.

``rollback`` switches only to a version that passes ``check_version`` (every checksum, the index
opens), under the bundles folder's lock, after ``recover``; the version it leaves becomes
``previous``, so a rollback is undoable. ``status`` only reads (no lock).

Choosing the rollback target (``resolve_version``, ``plan_rollback``), the switch and
``BundleStatus`` live here; the folder layout, lock, symlinks and crash recovery in
``version_folders``; reading and checking one version (``check_version``) in ``version_check``.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from kiosk_app.core.errors import BundleDamagedError, NoRollbackError
from kiosk_app.core.settings import Settings
from knowledge.bundle.version_check import (
    DAMAGED,
    OK,
    BundleInfo,
    IndexCheck,
    KeptVersion,
    check_version,
    read_info,
)
from knowledge.bundle.version_folders import (
    CURRENT,
    INCOMING,
    PREVIOUS,
    complete,
    imported_mtime,
    locked,
    point,
    recover_locked,
    target,
    version_dirs,
)

log = logging.getLogger(__name__)


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


def _kept(root: Path) -> list[Path]:
    return sorted(version_dirs(root), key=lambda p: (imported_mtime(p), p.name), reverse=True)


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
    versions = ", ".join(i.version if i else n for n, i in infos)
    if matches:
        raise NoRollbackError(f"'{wanted}' matches several kept versions ({', '.join(matches)}); "
                              "give the folder name", "version-ambiguous", wanted=wanted,
                              matches=", ".join(matches))
    raise NoRollbackError(f"no kept bundle version '{wanted}'; kept: {listing}",
                          "no-such-version" if versions else "no-such-version-none-kept",
                          wanted=wanted, versions=versions)


def _choose(root: Path, to: str | None, remembered: str | None,
            index_check: IndexCheck | None, settings: Settings | None = None
            ) -> tuple[str | None, KeptVersion]:
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
    check = check_version(root / name, index_check, settings=settings)
    if check.state != OK:
        cur_info = read_info(root / cur) if cur else None
        which = "the previous bundle version" if to is None else "bundle version"
        keep_en = f"{cur_info.label} stays active" if cur_info else "the active bundle is unchanged"
        raise BundleDamagedError(
            f"{which} {name} ({check.label}) is damaged: {check.problem}; not switching to it, {keep_en}",
            "kept-damaged" if cur_info else "kept-damaged-no-active", label=check.label,
            problem=check.note or (), **({"active": cur_info.label} if cur_info else {}))
    return cur, check


def plan_rollback(settings: Settings, to: str | None = None, *,
                  index_check: IndexCheck | None = None) -> tuple[BundleInfo | None, KeptVersion]:
    """What ``rollback`` would do, changing nothing: (active bundle, checked target). Raises as it would."""
    root = settings.bundles_dir
    cur, check = _choose(root, to, target(root, PREVIOUS), index_check, settings)
    return (read_info(root / cur) if cur else None), check


def rollback(settings: Settings, to: str | None = None, *, index_check: IndexCheck | None = None
             ) -> BundleInfo:
    """Make ``previous`` (or the kept version ``to``) active again; the current one becomes
    ``previous``, so a rollback is undoable. The target is checked first (``check_version``: every
    checksum, the index opens): a damaged one raises ``BundleDamagedError`` and nothing changes."""
    with locked(settings) as root:
        remembered = target(root, PREVIOUS)
        recover_locked(root)
        cur, check = _choose(root, to, remembered, index_check, settings)
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
    kept = tuple(check_version(p, index_check, deep=verify, settings=settings)
                 for p in _kept(root))
    for v in kept:
        if v.state == DAMAGED:
            role = " (current)" if v.name == cur else " (previous)" if v.name == prev else ""
            problems.append(f"version {v.name}{role} is damaged: {v.problem}")
    return BundleStatus(current=read_info(root / cur) if cur and complete(root / cur) else None,
                        previous=read_info(root / prev) if prev and complete(root / prev) else None,
                        versions=kept, problems=tuple(problems))


def check_active(settings: Settings, *, index_check: IndexCheck | None = None) -> KeptVersion | None:
    """At start: re-check the active bundle's signature and member hashes (``trust_problem``: cheap).

    A failing one is not used: ``current`` moves to ``previous`` or the newest kept version that
    passes every check (signature, hashes, index); the failure is logged precisely. Returns the
    version switched to, None when the active one is fine (or none is active). Raises
    ``BundleDamagedError`` naming the problem when no kept version passes."""
    from knowledge.bundle.version_check import trust_problem

    root = settings.bundles_dir
    cur = target(root, CURRENT)
    if cur is None or not complete(root / cur):
        return None
    problem, note = trust_problem(root / cur, settings)
    if not problem:
        return None
    log.error("active bundle %s fails its start-up check: %s", cur, problem)
    with locked(settings) as root:
        prev = target(root, PREVIOUS)
        names = [prev] if prev and prev != cur else []
        names += [p.name for p in _kept(root) if p.name not in (cur, prev)]
        for name in names:
            check = check_version(root / name, index_check, settings=settings)
            if check.state == OK:
                point(root, CURRENT, name)
                if prev == name:
                    (root / PREVIOUS).unlink(missing_ok=True)
                log.error("switched the active bundle from %s to %s (%s)", cur, name, check.label)
                return check
            log.warning("kept version %s cannot replace it: %s", name, check.problem)
    raise BundleDamagedError(
        f"the active bundle {cur} fails its start-up check ({problem}) and no kept version passes; "
        "import a signed bundle again: kiosk bundle import FILE",
        "active-damaged", problem=note or ())
