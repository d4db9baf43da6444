"""Error codes and the KioskError tree.

Codes are API (logs, tests, UI translations in ``kiosk_app/ui/messages.py``): never rename one.
Each stage wraps unexpected engine exceptions into its own subclass at the stage boundary with
``raise ... from err``; the pipeline turns a ``KioskError`` into a ``Failed(code)`` event.
The message (``str(err)``) is English and precise, for technicians and logs; it never contains
personal data (no question text, no audio).
"""

from __future__ import annotations

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


class BundleError(KioskError):
    """A bundle was refused. ``message_vi`` is the sentence shown to ward staff."""

    code = ErrorCode.BUNDLE_INVALID

    def __init__(self, message: str, message_vi: str = "Gói dữ liệu không hợp lệ.") -> None:
        super().__init__(message)
        self.message_vi = message_vi


class BundleUnsignedError(BundleError):
    code = ErrorCode.BUNDLE_UNSIGNED


class BundleSignatureError(BundleError):
    code = ErrorCode.BUNDLE_SIGNATURE


class BundleUnsafeError(BundleError):
    code = ErrorCode.BUNDLE_UNSAFE


class BundleDamagedError(BundleError):
    """A bundle version kept on the kiosk fails its checks (checksums, manifest, index): never activated."""

    code = ErrorCode.BUNDLE_DAMAGED


class BundleDowngradeError(BundleError):
    """The bundle is older (version or date) than the active one of the same id; staff must confirm."""

    code = ErrorCode.BUNDLE_DOWNGRADE


class DiskFullError(KioskError):
    code = ErrorCode.DISK_FULL


class NoRollbackError(KioskError):
    """Nothing to roll back to (no previous version, or no kept version of that name)."""

    code = ErrorCode.NO_ROLLBACK

    def __init__(self, message: str, message_vi: str = "Không có phiên bản trước để quay lại.") -> None:
        super().__init__(message)
        self.message_vi = message_vi
