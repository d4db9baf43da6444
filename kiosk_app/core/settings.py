"""Kiosk settings: one frozen, validated object built once at the entry point.

Sources, later wins: built-in defaults < TOML file < ``KIOSK_*`` environment variables.
Environment keys: ``KIOSK_DATA_DIR`` for a top-level field, ``KIOSK_<SECTION>__<FIELD>`` for a
section field (``KIOSK_ASR__ENGINE=vosk``). The documented default file is ``config/kiosk.toml``.
Nothing else in the code base reads ``os.environ`` for settings; the object is passed down explicitly.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from kiosk_app.core.errors import PermissionDeniedError, SettingsError, storage_error

ENV_PREFIX = "KIOSK_"
SYSTEM_CONFIG = Path("/etc/ward-kiosk/kiosk.toml")


class AsrEngine(StrEnum):
    VIETASR = "vietasr"
    VOSK = "vosk"
    WHISPER = "whisper"


class TtsEngine(StrEnum):
    ESPEAK = "espeak"
    PIPER = "piper"


class VadEngine(StrEnum):
    ENERGY = "energy"
    SILERO = "silero"


class TurnEnd(StrEnum):
    WORDS = "words"  # the wait after the last word depends on the words (speech.vad.turn)
    MODEL = "model"  # as words, and a classifier over the words may shorten an open ending's wait
    SILENCE = "silence"  # a fixed hang-over (hangover_s) for every question


class AnswererKind(StrEnum):
    AUTO = "auto"  # the LLM chooses facts when a model is provisioned and answers in time; else evidence
    EVIDENCE = "evidence"  # deterministic fact selection (no model)
    LLM = "llm"  # as auto, but a missing model is a doctor failure, not a silent choice
    TEMPLATE = "template"  # the aspect's fields read in order (before issue 16)


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AudioSettings(_Section):
    input_device: str | int | None = None  # name substring or PortAudio index; None = system default
    output_device: str | int | None = None
    # The pipeline runs at 16 kHz (every VAD/ASR engine expects it); devices are resampled to it.
    sample_rate: Literal[16000] = 16000
    volume: float = Field(1.0, ge=0.0, le=2.0)  # > 1.0: peak-limited at -1 dBFS (speech/audio/playback.py)
    record_audio: bool = False  # privacy: audio is only ever stored when a technician turns this on


class EndpointSettings(_Section):
    vad: VadEngine = VadEngine.ENERGY
    # End of turn (issue 19). "words": the silence that ends a question depends on how it ends:
    # short after a question word or final particle ("… bao nhiêu", "… không ạ"), long after a
    # filler or connective ("… ờ", "… thì", "… cho bác hỏi"), middle otherwise; the answer is
    # prepared during the pause. "Nói chậm hơn" residents get the long wait for the rest of the
    # conversation. "model": an ending the rules leave open that the classifier over the partial
    # transcript (speech.vad.turn_model) scores complete waits complete_wait_s instead of the middle
    # wait; keep it above 0.4 s, the pause inside a question that must never end a turn.
    # Bounds: 0.15 ≤ short ≤ complete ≤ mid ≤ long ≤ 3.0 s.
    turn_end: TurnEnd = TurnEnd.WORDS
    short_wait_s: float = Field(0.3, ge=0.15, le=1.0)
    complete_wait_s: float = Field(0.42, ge=0.15, le=2.0)
    mid_wait_s: float = Field(0.55, ge=0.3, le=2.0)
    long_wait_s: float = Field(1.2, ge=0.6, le=3.0)
    hangover_s: float = Field(0.7, ge=0.2, le=3.0)  # turn_end = "silence": the one fixed wait
    min_speech_s: float = Field(0.25, ge=0.05, le=2.0)  # shorter bursts (clicks, coughs) are ignored
    max_utterance_s: float = Field(15.0, ge=2.0, le=60.0)
    no_speech_timeout_s: float = Field(6.0, ge=1.0, le=30.0)  # after the button press
    speech_threshold: float = Field(0.5, ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _waits_in_order(self) -> EndpointSettings:
        if not self.short_wait_s <= self.complete_wait_s <= self.mid_wait_s <= self.long_wait_s:
            raise ValueError(f"short_wait_s <= complete_wait_s <= mid_wait_s <= long_wait_s required, "
                             f"got {self.short_wait_s} / {self.complete_wait_s} / {self.mid_wait_s} / "
                             f"{self.long_wait_s}")
        return self


class AsrSettings(_Section):
    engine: AsrEngine = AsrEngine.VIETASR
    vosk_model: str = "vosk-vi"  # name in the model manifest
    vosk_grammar: bool = False  # phrase mode built from the bundle vocabulary
    english_engine: AsrEngine = AsrEngine.WHISPER
    detect_english: bool = True  # Whisper spots English in the Vietnamese session and switches


class TtsSettings(_Section):
    engine: TtsEngine = TtsEngine.ESPEAK
    piper_voice: str = "piper-vi"  # name in the model manifest
    english_voice: str = "piper-en"
    rate: float = Field(1.0, ge=0.5, le=2.0)  # 1.0 normal; <1 slower
    slower_factor: float = Field(0.8, ge=0.3, le=1.0)  # "Nói chậm hơn" multiplies the rate by this


class RetrievalSettings(_Section):
    top_k: int = Field(5, ge=1, le=50)
    min_confidence: float = Field(0.5, ge=0.0, le=1.0)
    margin: float = Field(0.0, ge=0.0, le=1.0)  # refer when the two best scores are this close; 0 = off
    max_question_chars: int = Field(500, ge=50, le=10000)


class AnswerSettings(_Section):
    answerer: AnswererKind = AnswererKind.AUTO
    llm_model: str = "llm-vi"  # name in the model manifest
    llm_first_sentence_timeout_s: float = Field(2.5, ge=0.1, le=60.0)
    llm_total_timeout_s: float = Field(8.0, ge=0.5, le=120.0)
    llm_threads: int = Field(2, ge=1, le=16)


class UiSettings(_Section):
    fullscreen: bool = True
    idle_reset_s: float = Field(60.0, ge=10.0, le=600.0)
    office_hours: str = ""  # set by the ward at provisioning; no source for Hà Nội hours exists
    ward_name: str = "Phường (mẫu)"
    languages: tuple[str, ...] = ("vi", "en")


class StaffSettings(_Section):
    pin_hash: str = ""  # scrypt hash written by provisioning; empty = staff screen disabled
    usb_dir: Path = Path("/media")  # watched for *.wkb bundle files
    require_signature: bool = True
    max_bundle_bytes: int = Field(50 * 1024 * 1024, ge=1024)
    keep_versions: int = Field(3, ge=1, le=20)  # previous bundle versions kept for rollback
    url_hosts: tuple[str, ...] = ("gov.vn",)  # hosts (and subdomains) a record's online_url may name


class FeedbackSettings(_Section):
    retention_days: int = Field(90, ge=1, le=3650)  # ratings and unanswered questions kept at most this long


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    data_dir: Path = Field(default_factory=lambda: _default_data_dir())
    models_dir: Path | None = None  # default: <data_dir>/models
    kiosk_id: str = "kiosk-dev"
    log_level: str = Field("INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR)$")
    audio: AudioSettings = AudioSettings()
    endpoint: EndpointSettings = EndpointSettings()
    asr: AsrSettings = AsrSettings()
    tts: TtsSettings = TtsSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    answer: AnswerSettings = AnswerSettings()
    ui: UiSettings = UiSettings()
    staff: StaffSettings = StaffSettings()
    feedback: FeedbackSettings = FeedbackSettings()

    # ---- derived paths (never stored) ---------------------------------------------------------
    @property
    def models_path(self) -> Path:
        return self.models_dir or self.data_dir / "models"

    @property
    def bundles_dir(self) -> Path:
        return self.data_dir / "bundles"

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    # ---- loading ------------------------------------------------------------------------------
    @classmethod
    def load(cls, path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from an optional TOML file plus ``KIOSK_*`` overrides.

        ``path`` None: ``$KIOSK_CONFIG`` if set, else ``/etc/ward-kiosk/kiosk.toml`` if it exists.
        """
        env = dict(os.environ if environ is None else environ)
        if path is None:
            if env.get("KIOSK_CONFIG"):
                path = Path(env["KIOSK_CONFIG"])
            elif SYSTEM_CONFIG.is_file():
                path = SYSTEM_CONFIG
        data: dict[str, Any] = {}
        if path is not None:
            try:
                data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
            except FileNotFoundError as err:
                raise SettingsError(f"settings file not found: {path}") from err
            except PermissionError as err:
                raise _unreadable(Path(path)) from err
            except IsADirectoryError as err:
                raise SettingsError(f"settings file {path} is a directory, not a TOML file") from err
            except OSError as err:
                raise storage_error(err, path, "settings file") from err
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
                raise SettingsError(f"settings file {path} is not valid TOML: {err}") from err
        _apply_env(data, env)
        try:
            return cls.model_validate(data)
        except ValidationError as err:
            where = f" in {path}" if path else ""
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in err.errors()
            )
            raise SettingsError(f"invalid settings{where}: {problems}") from err


def _unreadable(path: Path) -> PermissionDeniedError:
    """The service user may not read the settings file: say whose it is and the exact fix."""
    import grp
    import pwd

    me = pwd.getpwuid(os.geteuid()).pw_name if _has_uid(os.geteuid()) else str(os.geteuid())
    try:
        st = path.stat()
        owner = pwd.getpwuid(st.st_uid).pw_name if _has_uid(st.st_uid) else str(st.st_uid)
        try:
            group = grp.getgrgid(st.st_gid).gr_name
        except KeyError:
            group = str(st.st_gid)
        what = f"{owner}:{group} {st.st_mode & 0o777:04o}"
    except OSError:
        what = f"its folder {path.parent} is closed to it"
    return PermissionDeniedError(
        f"settings file {path} is not readable by user {me} ({what}); fix: re-run provisioning for "
        f"this user (sudo kiosk provision --user {me}), or: sudo chgrp {me} {path.parent} {path} && "
        f"sudo chmod 0750 {path.parent} && sudo chmod 0640 {path}")


def _has_uid(uid: int) -> bool:
    import pwd

    try:
        pwd.getpwuid(uid)
    except KeyError:
        return False
    return True


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "ward-kiosk"


def _apply_env(data: dict[str, Any], env: Mapping[str, str]) -> None:
    for key, value in env.items():
        if not key.startswith(ENV_PREFIX) or key == "KIOSK_CONFIG":
            continue
        name = key[len(ENV_PREFIX) :].lower()
        if "__" in name:
            section, field = name.split("__", 1)
            sect = data.setdefault(section, {})
            if isinstance(sect, dict):
                sect[field] = value
        elif name in Settings.model_fields:
            data[name] = value
