"""May this bundle replace what the kiosk holds? One decision for every version anomaly.

``version_problems`` (pure: the new manifest, what the kiosk holds, the kiosk clock) returns every
anomaly, each with a stable code, a precise English message and a Vietnamese sentence for staff:

| code                  | when                                                 | staff may confirm       |
|-----------------------|------------------------------------------------------|-------------------------|
| bundle-version-reused | a version already on the kiosk (active or kept) with | no: refused; a changed  |
|                       | other content (other members or member hashes)       | bundle needs a new one  |
| bundle-future-date    | ``created`` later than the kiosk clock + CLOCK_SKEW  | --allow-future-date     |
| bundle-other-id       | another ``bundle_id`` than the active bundle's       | --allow-other-bundle    |
| bundle-downgrade      | same id, older version or older ``created``          | --allow-downgrade       |

A confirmation is a tap on the staff screen's confirm button (it lists each anomaly first) or the
CLI flag; ``policy_error`` turns the unconfirmed ones into one ``BundleVersionError`` whose
``confirmable`` names the codes a confirmation would clear (empty: refused outright).

Not anomalies: importing the very bundle that is active (byte-identical manifest: a no-op, decided
by the importer before this runs), switching away from the built-in sample (the first import of a
ward's own bundle), and importing the built-in sample itself (built from the installed software,
whose version is a digest of its records: a new software release may rebuild it differently).

The future-date check allows ``CLOCK_SKEW`` (1 day: time zones, a PC clock a few hours off). A
Raspberry Pi has no real-time clock: offline, its clock restarts from the last saved time (or 1970),
so the message says the kiosk clock may be the wrong one and how to check it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kiosk_app.core.errors import (
    BundleDowngradeError,
    BundleFutureDateError,
    BundleOtherIdError,
    BundleVersionError,
    BundleVersionReusedError,
    Detail,
    ErrorCode,
    StaffNote,
)
from kiosk_app.core.settings import Settings
from knowledge.bundle.limits import LIMITS
from knowledge.bundle.schema import MANIFEST, Manifest, parse_manifest, sha256_bytes
from knowledge.bundle.version_check import BundleInfo, Held, held_versions, version_key
from knowledge.bundle.version_folders import CURRENT, target

CLOCK_SKEW = timedelta(days=1)

FLAGS: dict[ErrorCode, str] = {ErrorCode.BUNDLE_DOWNGRADE: "--allow-downgrade",
                               ErrorCode.BUNDLE_OTHER_ID: "--allow-other-bundle",
                               ErrorCode.BUNDLE_FUTURE_DATE: "--allow-future-date"}
CONFIRMABLE = frozenset(FLAGS)
_ERRORS: dict[ErrorCode, type[BundleVersionError]] = {
    ErrorCode.BUNDLE_VERSION_REUSED: BundleVersionReusedError,
    ErrorCode.BUNDLE_FUTURE_DATE: BundleFutureDateError,
    ErrorCode.BUNDLE_OTHER_ID: BundleOtherIdError,
    ErrorCode.BUNDLE_DOWNGRADE: BundleDowngradeError}


@dataclass(frozen=True, slots=True)
class VersionProblem:
    code: ErrorCode
    message: str  # English, precise (logs, CLI)
    details: Mapping[str, Detail] = field(default_factory=dict, hash=False)  # for the staff sentence

    @property
    def confirmable(self) -> bool:
        return self.code in CONFIRMABLE

    @property
    def reason(self) -> str:
        """The staff sentence's key (kiosk_app/ui/bundle_messages.py): the problem's code."""
        return str(self.code)

    @property
    def note(self) -> StaffNote:
        return StaffNote(self.reason, self.details)


def version_problems(new: Manifest, active: Held | None, held: Sequence[Held], now: datetime, *,
                     builtin_sample: bool = False) -> list[VersionProblem]:
    """Every anomaly of importing ``new`` onto a kiosk whose active bundle is ``active`` and which
    holds ``held`` (every kept version, the active one too), at kiosk time ``now`` (aware).
    Refused-outright problems come first. ``builtin_sample``: ``new`` is the built-in sample
    (``kiosk bundle import --sample``). The content of a version is the members its manifest lists
    with their sha256: a rebuild of the same records under the same version is the same content."""
    out: list[VersionProblem] = []
    if not builtin_sample:
        for h in held:
            if (h.info.bundle_id, h.info.version) == (new.bundle_id, new.version) and h.files != new.files:
                changed = sorted(n for n in {*h.files, *new.files} if h.files.get(n) != new.files.get(n))
                more = f" (+{len(changed) - 3} more)" if len(changed) > 3 else ""
                verb = "differs" if len(changed) == 1 else "differ"
                out.append(VersionProblem(
                    ErrorCode.BUNDLE_VERSION_REUSED,
                    f"{new.label} is already on this kiosk (folder {h.info.name}) with different content "
                    f"({', '.join(changed[:3])}{more} {verb}); a changed bundle needs a new version: "
                    "rebuild it with kiosk bundle build --version NEWER",
                    {"version": new.version}))
                break
        if new.created > now + CLOCK_SKEW:
            ahead = new.created - now
            out.append(VersionProblem(
                ErrorCode.BUNDLE_FUTURE_DATE,
                f"{new.label} was created {new.created.isoformat()}, {_span(ahead)} after this kiosk's "
                f"clock ({now.isoformat(timespec='seconds')}); either the bundle's date is wrong or the "
                "kiosk clock is (a Raspberry Pi has no real-time clock: check it with `date`, set it "
                "with `sudo date -s` or `timedatectl set-time`)",
                {"version": new.version, "created": new.created, "now": now}))
    if active is None:
        return out
    if active.info.bundle_id != new.bundle_id:
        if not builtin_sample and not active.builtin_sample:
            out.append(VersionProblem(
                ErrorCode.BUNDLE_OTHER_ID,
                f"{new.label} has bundle id '{new.bundle_id}' but the active bundle is "
                f"'{active.info.bundle_id}' ({active.info.label}): another office's bundle? "
                "switching replaces every answer",
                {"bundle_id": new.bundle_id, "active_id": active.info.bundle_id}))
        return out
    down = downgrade_problem(new, active.info)
    if down:
        out.append(VersionProblem(
            ErrorCode.BUNDLE_DOWNGRADE, down,
            {"version": new.version, "created": new.created, "active_version": active.info.version}))
    return out


def _span(delta: timedelta) -> str:
    days = delta.days
    return f"{days} days" if days >= 2 else f"{delta.total_seconds() / 3600:.0f} hours"


def downgrade_problem(new: Manifest, active: BundleInfo | None) -> str | None:
    """Why importing ``new`` over ``active`` is a downgrade (same bundle id, older version or older
    ``created``), or None. Versions compare by number runs: "2026.11.2" < "2026.11.10"."""
    if active is None or active.bundle_id != new.bundle_id:
        return None
    older_version = version_key(new.version) < version_key(active.version)
    try:
        older_date = new.created < datetime.fromisoformat(active.created)
    except (ValueError, TypeError):  # an unreadable date on the active side: compare versions only
        older_date = False
    if not (older_version or older_date):
        return None
    what = " and ".join(w for w, bad in (("version", older_version), ("creation date", older_date)) if bad)
    return (f"{new.label} (created {new.created.isoformat()}) is older than the active "
            f"{active.label} (created {active.created}) by {what}")


def policy_error(problems: Sequence[VersionProblem], confirmed: Collection[ErrorCode] = ()
                 ) -> BundleVersionError | None:
    """The refusal for ``problems`` given the codes staff ``confirmed``, or None when it may go ahead.

    A refused-outright problem wins (its code, ``confirmable`` empty). Otherwise every unconfirmed
    problem is named in one error (the first one's code) whose ``confirmable`` lists them all, so one
    confirmation clears them together."""
    hard = [p for p in problems if not p.confirmable]
    if hard:
        p = hard[0]
        return _ERRORS[p.code](f"{p.message}; refused (this cannot be confirmed)", p.reason, frozenset(),
                               **p.details)
    open_ = [p for p in problems if p.code not in confirmed]
    if not open_:
        return None
    flags = " ".join(FLAGS[p.code] for p in open_)
    return _ERRORS[open_[0].code](
        "; ".join(p.message for p in open_) + f"; not imported (confirm on the staff screen or pass {flags})",
        "version-problems", frozenset(p.code for p in open_), problems=tuple(p.note for p in open_))


def import_problems(settings: Settings, manifest_bytes: bytes, *, builtin_sample: bool = False,
                    now: datetime | None = None) -> list[VersionProblem]:
    """``version_problems`` of importing the bundle whose ``manifest.json`` is ``manifest_bytes`` onto
    this kiosk; [] when it is the very bundle already active. Read-only, no lock: the import decides
    again under the lock, the CLI and the staff screen ask first."""
    root = settings.bundles_dir
    active, held = held_versions(root, target(root, CURRENT))
    digest = sha256_bytes(manifest_bytes)
    if active is not None and active.manifest_sha256 == digest:
        return []
    return version_problems(parse_manifest(manifest_bytes), active, held, now or datetime.now(UTC),
                            builtin_sample=builtin_sample)


def preview_problems(path: Path, settings: Settings) -> list[VersionProblem]:
    """``import_problems`` of a bundle file from its manifest alone, unverified (the staff screen names
    them before the import checks everything). Raises ``BundleError`` when it cannot be read."""
    from knowledge.bundle.safezip import peek_member

    return import_problems(settings, peek_member(Path(path), MANIFEST, LIMITS.max_manifest_bytes))
