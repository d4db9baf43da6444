"""Atomic, reversible bundle import (STYLE rule 14). Folder layout, recovery: ``version_folders``.

``import_bundle``: safe read (``safezip``) → signature (``signing``) → schema and
checksums (``bundle_from_members``) → lint (``knowledge.bundle.lint``) → write into ``.incoming-<uuid>/`` →
build the index there (``knowledge.understand.store.build_index``) → smoke test (sampled records' titles must
find their own id in the new index) → ``os.sync`` → rename to ``<bundle_id>-<version>/`` → point
``previous`` at the old target → swap ``current`` (``os.replace``) → prune old versions.
Any failure removes the staging folder and leaves ``current`` untouched; each refusal carries an
English message (logs/CLI) and a ``reason`` key + details that the UI renders for staff.
ENOSPC anywhere → ``DiskFullError``.

Power loss: a version folder is renamed into place only when complete and synced, and ``current``
only ever points at such a folder, so the kiosk always finds the old or the new bundle active.
``ensure_sample`` (start-up) runs ``version_folders.recover`` and activates the built-in sample if nothing is.

The built-in sample (``source=SAMPLE``) is built on the kiosk from package data
(``knowledge/sample/records``): it never comes from a stick, so it is trusted without a signature.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from kiosk_app.core.errors import BundleError, DiskFullError, ErrorCode, KioskError
from kiosk_app.core.settings import Settings
from knowledge.bundle import version_check
from knowledge.bundle.limits import LIMITS
from knowledge.bundle.lint import LintReport, lint_records
from knowledge.bundle.safezip import ZipLimits, open_bundle_zip, peek_member, read_members
from knowledge.bundle.sample import SAMPLE, sample_bundle_bytes
from knowledge.bundle.schema import (
    MANIFEST,
    RECORDS_DIR,
    SIGNATURE,
    Bundle,
    Manifest,
    bundle_from_members,
    check_member_set,
    parse_manifest,
    sha256_bytes,
)
from knowledge.bundle.version_check import BundleInfo, read_info
from knowledge.bundle.version_folders import (
    CURRENT,
    IMPORT_META,
    INCOMING,
    INDEX_DIR,
    PREVIOUS,
    BundleBusyError,
    active_dir,
    complete,
    fsync_dir,
    is_disk_full,
    locked,
    point,
    prune,
    recover,
    recover_locked,
    target,
    unique_name,
)
from knowledge.bundle.version_policy import import_problems, policy_error
from knowledge.bundle.versions import check_active
from knowledge.recordings.bundle import audit_bundle

log = logging.getLogger(__name__)

SMOKE_MAX = 30  # titles queried by the smoke test (evenly spread over the bundle)
PHASES = ("read", "copy", "index", "smoke", "activate")  # read = read + signature + schema + lint

Progress = Callable[[str, int, int], None]  # phase, done, total
Indexer = Callable[[Bundle, Path, Callable[[int, int], None] | None], None]
Smoker = Callable[[Path, Bundle], None]

class BundleLintError(BundleError):
    """The records break content rules (``report`` lists every issue)."""

    def __init__(self, report: LintReport) -> None:
        first = report.errors[0]
        more = f" (+{len(report.errors) - 1} more)" if len(report.errors) > 1 else ""
        super().__init__(f"{first}{more}", first.reason, **first.details)
        self.report = report


@dataclass(frozen=True, slots=True)
class ImportResult:
    info: BundleInfo
    previous: str | None  # label of the bundle active before, if any
    unchanged: bool  # the very same bundle was already active: nothing changed
    lint: LintReport
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase


def _default_indexer(bundle: Bundle, index_dir: Path, progress: Callable[[int, int], None] | None) -> None:
    from knowledge.understand.store import build_index  # deferred: chromadb is heavy

    build_index(bundle, index_dir, progress)


def smoke_test(bundle_dir: Path, bundle: Bundle, settings: Settings | None = None) -> None:
    """Open the staged folder exactly as the kiosk does (``Knowledge.open``: the manifest and the
    members it lists, read from disk, and the index) and ask it questions: each sampled record's
    title must find that record (top 3), and the first must give an answer. A bundle that would
    make the kiosk fail is refused here, while the old one keeps answering."""
    from knowledge.service import Knowledge
    from knowledge.types import Verdict

    ids = list(bundle.records)
    step = max(1, len(ids) // SMOKE_MAX)
    try:
        kn = Knowledge.open(bundle_dir, settings or Settings(data_dir=bundle_dir.parent.parent))
    except KioskError as err:
        if is_disk_full(err):
            raise
        raise BundleError(f"smoke test: the kiosk cannot open the imported bundle: {err}",
                          "smoke-cannot-open") from err
    try:
        for i, rid in enumerate(ids[::step][:SMOKE_MAX]):
            title = bundle.records[rid].title
            if rid not in {h.procedure_id for h in kn.search(title, 3)}:
                raise BundleError(f"smoke test: the title of '{rid}' does not find it in the new bundle",
                                  "smoke-title-not-found", rid=rid)
            if i == 0:
                answer = kn.ask(title)
                if answer.verdict is not Verdict.ANSWER or not answer.spoken:
                    raise BundleError(f"smoke test: asking '{title[:60]}' gives no answer "
                                      f"({answer.reason or answer.verdict})",
                                      "smoke-no-answer")
    except KioskError as err:
        if isinstance(err, BundleError) or is_disk_full(err):
            raise
        raise BundleError(f"smoke test: a question to the imported bundle failed: {err}",
                          "smoke-failed") from err
    finally:
        kn.close()


def _index_opens(bundle_dir: Path) -> bool:
    """False when the bundle's search index is damaged (``StoreCorruptError``/``StoreMissingError``)."""
    try:
        version_check.open_index_check(bundle_dir / INDEX_DIR)
    except KioskError as err:
        log.warning("index of %s cannot be opened: %s", bundle_dir.name, err)
        return False
    return True


def _write_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)  # records/, recordings/
    with path.open("wb") as fh:
        fh.write(data)


def check_bundle(source: Path | str, settings: Settings
                 ) -> tuple[dict[str, bytes], Bundle, str | None, LintReport]:
    """Everything that happens before the disk changes: read, signature, schema, checksums, lint.

    Order (docs/bundle-format.md §3): the zip directory; then only ``manifest.json`` and
    ``manifest.sig`` are unpacked (size-capped) and the signature is checked on the manifest's raw
    bytes; nothing else is unpacked or parsed unless that passes. Then the bounded manifest, the
    member set (= what the reader reads), every checksum, every record (``scan_yaml`` limits), lint.
    Returns (members, bundle, signing key fingerprint or None, lint report); raises on any refusal.
    """
    if isinstance(source, str) and source == SAMPLE:
        members = read_members(sample_bundle_bytes(), label="sample")
        bundle = bundle_from_members(members)
        signed_by = None
    else:
        members, signed_by = _read_verified(Path(source), settings)
        bundle = bundle_from_members(members)
    lint = lint_records(bundle.records.values(), url_hosts=settings.staff.url_hosts)
    if not lint.ok:
        raise BundleLintError(lint)
    lint = audit_bundle(lint, members, bundle)  # recordings: decoded and checked (warnings only)
    for issue in lint.warnings:
        log.info("bundle %s: %s", bundle.manifest.label, issue)
    return members, bundle, signed_by, lint


def _read_verified(path: Path, settings: Settings) -> tuple[dict[str, bytes], str | None]:
    """Unpack a bundle file's members, the signature checked before anything but the manifest is read."""
    from knowledge.bundle.signing import verify_manifest

    with open_bundle_zip(path, ZipLimits.from_settings(settings)) as bz:
        if MANIFEST not in bz.names:
            raise BundleError(f"{MANIFEST} is missing", "manifest-missing")
        manifest_bytes = bz.read(MANIFEST, LIMITS.max_manifest_bytes)
        signature = bz.read(SIGNATURE, LIMITS.max_signature_bytes) if SIGNATURE in bz.names else None
        signed_by = verify_manifest(path.name, manifest_bytes, signature, settings)
        manifest = parse_manifest(manifest_bytes)  # bounded; lists only members the reader reads
        check_member_set(bz.names, manifest)
        members = {MANIFEST: manifest_bytes, **bz.read_all(skip=(MANIFEST, SIGNATURE))}
        if signature is not None:
            members[SIGNATURE] = signature
    return members, signed_by


def peek_manifest(path: Path) -> Manifest:
    """The manifest of a bundle file, read cheaply and unverified (what the staff screen shows before
    the import checks everything). Raises ``BundleError`` when it cannot be read."""
    return parse_manifest(peek_member(Path(path), MANIFEST, LIMITS.max_manifest_bytes))


def _stage(root: Path, source: Path | str, members: dict[str, bytes], bundle: Bundle, signed_by: str | None,
           lint: LintReport, indexer: Indexer, smoke: Smoker, report: Progress,
           lap: Callable[[str], None]) -> str:
    """Build the new version in a staging folder and give it its final name. Returns that name."""
    staging = root / f"{INCOMING}{uuid.uuid4().hex}"
    try:
        report("copy", 0, len(members))
        (staging / RECORDS_DIR).mkdir(parents=True)
        for name, data in members.items():
            _write_file(staging / name, data)
        meta = {"imported_at": datetime.now(UTC).isoformat(timespec="seconds"), "signed_by": signed_by,
                "source": source if isinstance(source, str) else Path(source).name,
                "manifest_sha256": sha256_bytes(members[MANIFEST]), "warnings": len(lint.warnings),
                "uncertain_facts": lint.uncertain_count, "unsourced_facts": lint.unsourced_count}
        _write_file(staging / IMPORT_META, json.dumps(meta, indent=2).encode("utf-8"))
        report("copy", len(members), len(members))
        lap("copy")
        report("index", 0, 1)
        try:
            indexer(bundle, staging / INDEX_DIR, lambda d, t: report("index", d, t))
        except (KioskError, OSError):
            raise
        except Exception as err:  # stage boundary: chromadb / onnxruntime raise many types
            if is_disk_full(err):
                raise
            raise BundleError(f"building the search index failed: {type(err).__name__}: {err}",
                              "index-failed") from err
        lap("index")
        report("smoke", 0, 1)
        smoke(staging, bundle)
        report("smoke", 1, 1)
        lap("smoke")
        report("activate", 0, 1)
        os.sync()  # everything in the staging folder is on disk before it gets its final name
        name = unique_name(root, f"{bundle.manifest.bundle_id}-{bundle.manifest.version}")
        os.rename(staging, root / name)
        fsync_dir(root)
        return name
    except BaseException as err:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(err, Exception) and is_disk_full(err):
            raise DiskFullError(f"no space left on the device holding {root} while importing "
                                f"{bundle.manifest.label}; the active bundle is unchanged") from err
        if isinstance(err, OSError):
            raise BundleError(f"cannot write the bundle under {root}: {err}",
                              "write-failed") from err
        raise


def _activate(root: Path, name: str, old: str | None, label: str) -> None:
    try:
        if old and complete(root / old):
            point(root, PREVIOUS, old)
        point(root, CURRENT, name)
    except OSError as err:  # the new folder stays unused (pruned later); the old bundle stays active
        if is_disk_full(err):
            raise DiskFullError(f"no space left under {root} while switching to {label}; "
                                "the active bundle is unchanged") from err
        raise BundleError(f"cannot switch the active bundle under {root}: {err}",
                          "activate-failed") from err


def import_bundle(source: Path | str, settings: Settings, progress: Progress | None = None, *,
                  indexer: Indexer | None = None, smoke: Smoker | None = None,
                  allow_downgrade: bool = False, confirmed: Collection[ErrorCode] = ()) -> ImportResult:
    """Import a ``.wkb`` file (or ``SAMPLE``) and make it the active bundle, atomically.

    ``progress(phase, done, total)`` is called from this thread (phases: ``PHASES``). Version
    anomalies (``knowledge.bundle.version_policy``: an older bundle, another bundle id, a creation date
    after the kiosk clock, a reused version with other content) raise a ``BundleVersionError``
    unless each is in ``confirmed`` (staff confirmed it on the screen, or a CLI ``--allow-…`` flag)
    and may be confirmed at all. ``allow_downgrade`` = ``bundle-downgrade`` in ``confirmed``.
    Importing the very bundle that is active changes nothing (``ImportResult.unchanged``).
    """
    report: Progress = progress or (lambda _p, _d, _t: None)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    allowed = set(confirmed) | ({ErrorCode.BUNDLE_DOWNGRADE} if allow_downgrade else set())

    def lap(phase: str) -> None:
        nonlocal t0
        now = time.perf_counter()
        timings[phase] = round(now - t0, 3)
        t0 = now

    with locked(settings) as root:
        recover_locked(root)
        report("read", 0, 1)
        members, bundle, signed_by, lint = check_bundle(source, settings)
        report("read", 1, 1)
        lap("read")
        old = target(root, CURRENT)
        old_info = read_info(root / old) if old else None
        same = (old is not None and complete(root / old)
                and (root / old / MANIFEST).read_bytes() == members[MANIFEST])
        damaged = same and old is not None and indexer is None and not _index_opens(root / old)
        if same and not damaged:
            log.info("bundle %s is already active; nothing to do", bundle.manifest.label)
            assert old_info is not None
            return ImportResult(old_info, None, True, lint, timings)
        if not same:
            problems = import_problems(settings, members[MANIFEST], builtin_sample=source == SAMPLE)
            refusal = policy_error(problems, allowed)
            if refusal is not None:
                raise refusal
            for p in problems:
                log.warning("confirmed by staff: [%s] %s", p.code, p.message)
        if damaged:  # the fix StoreCorruptError names: import the same bundle again to rebuild it
            log.warning("bundle %s is active but its index is damaged; rebuilding it", bundle.manifest.label)
        smoker = smoke or (lambda d, b: smoke_test(d, b, settings))
        name = _stage(root, source, members, bundle, signed_by, lint, indexer or _default_indexer,
                      smoker, report, lap)
        _activate(root, name, None if damaged else old, bundle.manifest.label)
        prune(root, settings.staff.keep_versions)
        lap("activate")
        info = read_info(root / name)
        if info is None:  # cannot happen: the manifest was just written and validated
            raise BundleError(f"activated folder {name} has no readable manifest")
        report("activate", 1, 1)
        log.info("bundle %s activated (%d procedures, folder %s; previous %s)", info.label,
                 info.record_count, name, old_info.label if old_info else None)
        result = ImportResult(info, old_info.label if old_info else None, False, lint, timings)
    _precompute_llm_states(settings, root / name, bundle)
    return result


def _precompute_llm_states(settings: Settings, bundle_dir: Path, bundle: Bundle) -> None:
    """LLM answerer only: save each record's prompt state next to the bundle, after the
    swap and outside the lock (minutes on a Pi; states are an optimisation, made lazily otherwise)."""
    from kiosk_app.core.settings import AnswererKind

    if settings.answer.answerer not in (AnswererKind.AUTO, AnswererKind.LLM):
        return
    from knowledge.llm.setup import precompute_states  # llama_cpp runs in a child process

    precompute_states(settings, bundle_dir, bundle.records.values())


def ensure_sample(settings: Settings, progress: Progress | None = None, *, indexer: Indexer | None = None,
                  smoke: Smoker | None = None) -> ImportResult | None:
    """At start-up: recover from a crash, re-check the active bundle's signature and hashes
    (``versions.check_active``: a tampered one is replaced by the previous good version), then
    activate the built-in sample if nothing is active.

    If another process is importing right now, its own recovery has run: use what is active.
    A full disk is ``DiskFullError`` (not a damaged bundle: nothing needs re-importing).
    """
    try:
        try:
            recover(settings)
        except BundleBusyError:
            if active_dir(settings) is None:
                raise
            log.info("a bundle import is running in another process; using the active bundle")
            return None
        check_active(settings)
        if active_dir(settings) is not None:
            return None
        log.info("no active bundle: activating the built-in sample")
        return import_bundle(SAMPLE, settings, progress, indexer=indexer, smoke=smoke)
    except OSError as err:
        if is_disk_full(err):
            raise DiskFullError(f"no space left under {settings.bundles_dir} at start-up; free space on the "
                                "SD card (logs, old versions); the bundles themselves are fine") from err
        raise
