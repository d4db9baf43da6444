"""Is a kept bundle version usable? Reading a version folder's identity and finding its damage.

Owns ``BundleInfo`` (what a version folder is: id, version, title, records, signer, import time,
``read_info``), ``KeptVersion`` (a folder with its state ``OK`` / ``DAMAGED`` / ``UNCHECKED`` and the
problem in English and in Vietnamese for ward staff) and ``check_version``: the cheap check (folder
complete, manifest readable) or the deep one (every checksum, manifest unchanged since import, the
search index opens via ``open_index_check``). Rollback and status (``knowledge.bundle.versions``) use it.
``held_versions`` lists what the kiosk holds for the import's version policy (``Held``).
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from kiosk_app.core.errors import BundleError, KioskError, StaffNote
from kiosk_app.core.settings import Settings
from knowledge.bundle.schema import (
    MANIFEST,
    RECORDS_DIR,
    SIGNATURE,
    parse_manifest,
    read_bundle_dir,
    sha256_bytes,
)
from knowledge.bundle.version_folders import IMPORT_META, INDEX_DIR, INDEX_DONE, complete

OK, DAMAGED, UNCHECKED = "ok", "damaged", "unchecked"  # states of a kept version

IndexCheck = Callable[[Path], None]  # raises a KioskError when the index folder cannot be used


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
    note: StaffNote | None = None  # what ward staff are told (the UI renders it); None when usable

    @property
    def label(self) -> str:
        return self.info.label if self.info else self.name

    def to_json(self) -> dict[str, Any]:
        base = asdict(self.info) if self.info else {"name": self.name, "label": None}
        return {**base, "state": self.state, "problem": self.problem}


def read_info(path: Path) -> BundleInfo | None:
    """What the version folder ``path`` holds; None when its manifest cannot be read."""
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


def open_index_check(index_dir: Path) -> None:
    """The real index check: ``StoreMissingError``/``StoreCorruptError`` unless the index opens."""
    from knowledge.understand.store import open_index  # deferred: chromadb is heavy

    open_index(index_dir).close()


def _read_meta(path: Path) -> dict[str, Any]:
    with contextlib.suppress(OSError, ValueError):
        meta = json.loads((path / IMPORT_META).read_text(encoding="utf-8"))
        if isinstance(meta, dict):
            return meta
    return {}


def trust_problem(path: Path, settings: Settings) -> tuple[str, StaffNote | None]:
    """Is the version folder still what was imported and trusted? (English problem, staff note);
    ("", None) when it is.

    Cheap (no record is parsed): ``manifest.json`` must still carry a valid signature of a trusted key
    (the built-in sample: be byte-identical to the one built from package data), and every member it
    lists must exist with its sha256. So a record edited on the SD card together with its hash in the
    manifest is caught at start, not only at import."""
    from knowledge.bundle.sample import sample_manifest_bytes
    from knowledge.bundle.signing import verify_manifest

    try:
        raw = (path / MANIFEST).read_bytes()
        manifest = parse_manifest(raw)
        meta = _read_meta(path)
        if manifest.sample and manifest.bundle_id == "sample" and meta.get("signed_by") is None:
            if raw != sample_manifest_bytes():
                return (f"{MANIFEST} of the built-in sample differs from the package data",
                        StaffNote("kept-sample-changed"))
        else:
            sig = (path / SIGNATURE).read_bytes() if (path / SIGNATURE).is_file() else None
            if sig is None and meta.get("signed_by"):
                return (f"{SIGNATURE} is missing but the bundle was signed when imported",
                        StaffNote("kept-signature-removed"))
            verify_manifest(manifest.label, raw, sig, settings)
        for name, digest in manifest.files.items():
            if sha256_bytes((path / name).read_bytes()) != digest:
                return (f"{name}: sha256 does not match {MANIFEST}",
                        StaffNote("kept-member-changed", {"name": name}))
    except BundleError as err:
        return f"signature/manifest check: {err}", err.note
    except OSError as err:
        return (f"cannot read {err.filename or path}: {err.strerror or err}", StaffNote("kept-unreadable"))
    return "", None


def _damage(path: Path, index_check: IndexCheck | None, settings: Settings | None = None
            ) -> tuple[str, StaffNote | None]:
    """(English problem, staff note) for a version folder, ("", None) when it is usable.

    ``index_check`` None runs only the cheap checks (folder complete, manifest readable);
    ``settings`` given: the signature and member hashes too (``trust_problem``)."""
    if not path.is_dir():
        return "the version folder is missing", StaffNote("kept-folder-missing")
    if not complete(path):
        missing = [n for n in (MANIFEST, RECORDS_DIR, f"{INDEX_DIR}/{INDEX_DONE}") if not (path / n).exists()]
        return (f"incomplete folder ({', '.join(missing)} missing)",
                StaffNote("kept-incomplete"))
    try:
        if index_check is None:
            parse_manifest((path / MANIFEST).read_bytes())
            return "", None
        manifest = (path / MANIFEST).read_bytes()
        read_bundle_dir(path)  # manifest schema, sha256 of every member, every record parses
    except BundleError as err:
        return str(err), err.note
    except OSError as err:
        return (f"cannot read {err.filename or path}: {err.strerror or err}", StaffNote("kept-unreadable"))
    if settings is not None:
        problem, note = trust_problem(path, settings)
        if problem:
            return problem, note
    expected = _read_meta(path).get("manifest_sha256")
    if expected and sha256_bytes(manifest) != expected:
        return (f"{MANIFEST} changed after the import (sha256 differs from {IMPORT_META})",
                StaffNote("kept-manifest-changed"))
    try:
        index_check(path / INDEX_DIR)
    except (KioskError, OSError) as err:
        return (f"search index: {err}", StaffNote("kept-index-damaged"))
    return "", None


def check_version(path: Path, index_check: IndexCheck | None = None, *, deep: bool = True,
                  settings: Settings | None = None) -> KeptVersion:
    """Can the kiosk switch to this version folder? ``deep``: every checksum and the index opening
    (what ``Knowledge.open`` needs), and with ``settings`` the signature; otherwise only whether
    the folder is complete and readable."""
    check = (index_check or open_index_check) if deep else None
    problem, note = _damage(path, check, settings if deep else None)
    state = DAMAGED if problem else (OK if deep else UNCHECKED)
    return KeptVersion(path.name, read_info(path) if path.is_dir() else None, state, problem, note)


@dataclass(frozen=True, slots=True)
class Held:
    """A version the kiosk holds, for the import's version policy (``knowledge.bundle.version_policy``): its
    identity, the sha256 of its ``manifest.json`` and the members it lists."""

    info: BundleInfo
    manifest_sha256: str
    files: dict[str, str]  # its manifest's member -> sha256: what the bundle holds

    @property
    def builtin_sample(self) -> bool:
        """The built-in sample (package data, never signed), not a signed bundle that calls itself so."""
        return self.info.sample and self.info.bundle_id == "sample" and self.info.signed_by is None


def held_versions(root: Path, current: str | None) -> tuple[Held | None, list[Held]]:
    """(the active version, every complete version folder under ``root``) as ``Held``; cheap: reads
    each folder's manifest and import.json only. ``current``: the folder ``current`` points to."""
    active, held = None, []
    for path in sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink()
                       and not p.name.startswith(".")) if root.is_dir() else []:
        if not complete(path):
            continue
        info = read_info(path)
        if info is None:
            continue
        try:
            raw = (path / MANIFEST).read_bytes()
            h = Held(info, sha256_bytes(raw), dict(parse_manifest(raw).files))
        except (OSError, BundleError):
            continue
        held.append(h)
        if path.name == current:
            active = h
    return active, held


def version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """Natural order of version labels: digit runs compare as numbers, other runs as text."""
    parts = re.findall(r"\d+|[A-Za-z]+", version)
    return tuple((0, int(p)) if p.isdigit() else (1, p.lower()) for p in parts)
