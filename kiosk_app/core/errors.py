"""Error codes and the KioskError tree.

Codes are API (logs, tests, UI translations in ``kiosk_app/ui/messages.py``): never rename one.
Each stage wraps unexpected engine exceptions into its own subclass at the stage boundary with
``raise ... from err``; the pipeline turns a ``KioskError`` into a ``Failed(code)`` event.
The message (``str(err)``) is English and precise, for technicians and logs; it never contains
personal data (no question text, no audio).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import ClassVar


class ErrorCode(StrEnum):
    # resident-facing (pipeline)
    NO_SPEECH = "no-speech"
    SPEECH_TOO_LONG = "speech-too-long"
    NO_MATCH = "no-match"
    MIC_MISSING = "mic-missing"
    MIC_FAILED = "mic-failed"
    ASR_FAILED = "asr-failed"
    TTS_FAILED = "tts-failed"
    PLAYBACK_FAILED = "playback-failed"
    LLM_TIMEOUT = "llm-timeout"
    LLM_FAILED = "llm-failed"
    CANCELLED = "cancelled"
    INTERNAL = "internal"
    # technician / staff-facing
    SETTINGS_INVALID = "settings-invalid"
    MODEL_MISSING = "model-missing"
    MODEL_CHECKSUM = "model-checksum"
    AUDIO_INVALID = "audio-invalid"
    STORE_MISSING = "store-missing"
    STORE_CORRUPT = "store-corrupt"
    BUNDLE_INVALID = "bundle-invalid"
    BUNDLE_UNSIGNED = "bundle-unsigned"
    BUNDLE_SIGNATURE = "bundle-signature"
    BUNDLE_UNSAFE = "bundle-unsafe"
    DISK_FULL = "disk-full"
    NO_ROLLBACK = "no-rollback"
    BUNDLE_DAMAGED = "bundle-damaged"
    BUNDLE_DOWNGRADE = "bundle-downgrade"
    BUNDLE_OTHER_ID = "bundle-other-id"
    BUNDLE_FUTURE_DATE = "bundle-future-date"
    BUNDLE_VERSION_REUSED = "bundle-version-reused"
    BUNDLE_BUSY = "bundle-busy"  # a bundle import or rollback is already running
    # set-up and service (issue 17)
    PERMISSION_DENIED = "permission-denied"
    PIN_HASH_INVALID = "pin-hash-invalid"
    PIN_WEAK = "pin-weak"


class KioskError(Exception):
    """Base of every expected failure. ``code`` is stable; ``str(err)`` is a precise English message."""

    code: ClassVar[ErrorCode] = ErrorCode.INTERNAL


class SettingsError(KioskError):
    code = ErrorCode.SETTINGS_INVALID


class NoSpeechError(KioskError):
    code = ErrorCode.NO_SPEECH


class SpeechTooLongError(KioskError):
    code = ErrorCode.SPEECH_TOO_LONG


class MicMissingError(KioskError):
    code = ErrorCode.MIC_MISSING


class MicError(KioskError):
    code = ErrorCode.MIC_FAILED


class AsrError(KioskError):
    code = ErrorCode.ASR_FAILED


class TtsError(KioskError):
    code = ErrorCode.TTS_FAILED


class PlaybackError(KioskError):
    code = ErrorCode.PLAYBACK_FAILED


class LlmTimeoutError(KioskError):
    code = ErrorCode.LLM_TIMEOUT


class LlmError(KioskError):
    code = ErrorCode.LLM_FAILED


class CancelledError(KioskError):
    code = ErrorCode.CANCELLED


class AudioInvalidError(KioskError):
    code = ErrorCode.AUDIO_INVALID


class ModelMissingError(KioskError):
    code = ErrorCode.MODEL_MISSING

    def __init__(self, name: str, path: Path | str, expected: str = "") -> None:
        self.name = name
        self.path = Path(path)
        detail = f" (expected {expected})" if expected else ""
        super().__init__(f"model '{name}' not found at {self.path}{detail}; "
                         f"install it with: kiosk models install <model pack>")


class ModelChecksumError(KioskError):
    code = ErrorCode.MODEL_CHECKSUM

    def __init__(self, name: str, path: Path | str, expected: str, actual: str,
                 hint: str = "reinstall it with: kiosk models install <model pack>") -> None:
        self.name = name
        self.path = Path(path)
        super().__init__(f"model '{name}' at {self.path} is corrupt: {actual[:16]} where "
                         f"{expected[:16]} was expected; {hint}")


class StoreMissingError(KioskError):
    code = ErrorCode.STORE_MISSING


class StoreCorruptError(KioskError):
    code = ErrorCode.STORE_CORRUPT


@dataclass(frozen=True, slots=True)
class StaffNote:
    """What ward staff are told, as data: a stable kebab-case ``reason`` (API, like ``ErrorCode``:
    never rename one) and the values its sentence needs. The Vietnamese sentences live in the UI
    (``kiosk_app/ui/bundle_messages.py``, keyed by ``reason``); engines never build them."""

    reason: str
    details: Mapping[str, Detail] = field(default_factory=dict, hash=False)


# a value in a staff sentence: plain values, or nested notes (rendered in turn, several joined by " ")
Detail = str | int | float | date | StaffNote | tuple[StaffNote, ...]


class BundleError(KioskError):
    """A bundle was refused. ``reason`` + ``details`` say why for ward staff (the UI renders them in
    Vietnamese); ``str(err)`` is the precise English message."""

    code = ErrorCode.BUNDLE_INVALID

    def __init__(self, message: str, reason: str = "invalid", **details: Detail) -> None:
        super().__init__(message)
        self.reason = reason
        self.details: dict[str, Detail] = details

    @property
    def note(self) -> StaffNote:
        return StaffNote(self.reason, self.details)


class BundleUnsignedError(BundleError):
    code = ErrorCode.BUNDLE_UNSIGNED


class BundleSignatureError(BundleError):
    code = ErrorCode.BUNDLE_SIGNATURE


class BundleUnsafeError(BundleError):
    code = ErrorCode.BUNDLE_UNSAFE


class BundleDamagedError(BundleError):
    """A bundle version kept on the kiosk fails its checks (checksums, manifest, index): never activated."""

    code = ErrorCode.BUNDLE_DAMAGED


class BundleVersionError(BundleError):
    """The bundle's version, id or date conflicts with what the kiosk holds (``bundle.version_policy``).
    ``confirmable``: the codes staff may confirm (staff screen, CLI ``--allow-…``) to import it anyway;
    empty when it is refused outright."""

    def __init__(self, message: str, reason: str = "invalid",
                 confirmable: frozenset[ErrorCode] = frozenset(), **details: Detail) -> None:
        super().__init__(message, reason, **details)
        self.confirmable = confirmable


class BundleDowngradeError(BundleVersionError):
    """The bundle is older (version or date) than the active one of the same id; staff must confirm."""

    code = ErrorCode.BUNDLE_DOWNGRADE


class BundleOtherIdError(BundleVersionError):
    """The bundle has another ``bundle_id`` than the active one (another ward's?); staff must confirm."""

    code = ErrorCode.BUNDLE_OTHER_ID


class BundleFutureDateError(BundleVersionError):
    """The bundle was created after the kiosk's clock (bad date, or a wrong clock); staff must confirm."""

    code = ErrorCode.BUNDLE_FUTURE_DATE


class BundleVersionReusedError(BundleVersionError):
    """A version already on the kiosk, with other content: refused (a changed bundle needs a new version)."""

    code = ErrorCode.BUNDLE_VERSION_REUSED


class BundleBusyError(KioskError):
    """A bundle import or rollback was asked for while another one runs (one at a time)."""

    code = ErrorCode.BUNDLE_BUSY


class DiskFullError(KioskError):
    code = ErrorCode.DISK_FULL


class NoRollbackError(KioskError):
    """Nothing to roll back to (no previous version, or no kept version of that name)."""

    code = ErrorCode.NO_ROLLBACK

    def __init__(self, message: str, reason: str = "no-previous", **details: Detail) -> None:
        super().__init__(message)
        self.reason = reason
        self.details: dict[str, Detail] = details

    @property
    def note(self) -> StaffNote:
        return StaffNote(self.reason, self.details)


class PermissionDeniedError(KioskError):
    """The kiosk's user may not read or write a file it needs (EACCES/EPERM): a provisioning problem."""

    code = ErrorCode.PERMISSION_DENIED


class PinHashError(KioskError):
    """The stored staff PIN hash cannot be parsed (hand-edited or truncated settings)."""

    code = ErrorCode.PIN_HASH_INVALID


class PinWeakError(KioskError):
    """A staff PIN that may not be used: too short, not digits, or trivially guessed."""

    code = ErrorCode.PIN_WEAK


def storage_error(err: OSError, path: Path | str, what: str, user: str = "") -> KioskError:
    """Turn an OSError on ``path`` into the precise error for a technician: a full disk, a
    permission problem, or (anything else) a damaged store. ``what`` names the thing, e.g. "log file"."""
    import errno

    who = user or _current_user()
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFullError(f"disk full writing the {what} {path}: free space on that disk "
                             f"(kiosk doctor shows what uses it; old bundle versions and logs can go)")
    if err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        ro = " (read-only file system)" if err.errno == errno.EROFS else ""
        return PermissionDeniedError(
            f"permission denied on the {what} {path}{ro} for user {who}: "
            f"sudo chown -R {who} {Path(path).parent} (or re-run: sudo kiosk provision --user {who})")
    return StoreCorruptError(f"the {what} {path} cannot be used ({err.strerror or err}): "
                             f"restore it or remove it so it is created again")


def storage_failure(exc: BaseException, path: Path | str, what: str) -> KioskError:
    """``storage_error`` for any exception of a file or SQLite store: full disk, permission, or a
    damaged store (sqlite3 reports the first two as OperationalError text, not errno)."""
    import sqlite3

    if isinstance(exc, KioskError):
        return exc
    if isinstance(exc, OSError):
        return storage_error(exc, path, what)
    if isinstance(exc, sqlite3.Error):
        import errno

        text = str(exc).lower()
        if "disk is full" in text or "database or disk is full" in text:
            return storage_error(OSError(errno.ENOSPC, "No space left on device"), path, what)
        if "readonly" in text or "read-only" in text or "unable to open" in text or "permission" in text:
            return storage_error(OSError(errno.EACCES, str(exc)), path, what)
        if isinstance(exc, sqlite3.DatabaseError):  # "file is not a database", "malformed"
            return StoreCorruptError(f"the {what} {path} is damaged ({exc}): move it aside "
                                     f"(mv {path} {path}.damaged); the kiosk creates a new one at start")
    return KioskError(f"the {what} {path} failed: {type(exc).__name__}: {exc}")


def _current_user() -> str:
    import os
    import pwd

    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return str(os.geteuid())
