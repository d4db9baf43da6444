"""``kiosk provision`` (technicians): configure this machine as a kiosk. Idempotent.

``scripts/provision.sh`` installs system packages and the Python environment first, then runs this.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from pathlib import Path

from kiosk_app.commands.base import Subparsers, out
from kiosk_app.core.errors import PinWeakError, SettingsError
from kiosk_app.core.settings import Settings

MAX_PIN_FILE_BYTES = 256


def register(groups: Subparsers) -> None:
    p = groups.add_parser("provision", help="configure this machine as a kiosk (technicians; idempotent)")
    p.add_argument("--kiosk-id")
    p.add_argument("--ward", dest="ward_name", help='ward name shown on screen, e.g. "Phường Cầu Giấy"')
    p.add_argument("--office-hours", help="the ward's own opening hours, shown on the home screen")
    p.add_argument("--pin", help=argparse.SUPPRESS)  # refused: shell history, sudo's journal line
    p.add_argument("--pin-file", type=Path, help="file whose first line is the staff PIN (6-12 digits; "
                   "delete it afterwards). Without it the PIN is asked for on the terminal")
    p.add_argument("--new-pin", action="store_true", help="ask for a new staff PIN even if one is set")
    p.add_argument("--input-device", help="microphone name substring or index")
    p.add_argument("--output-device", help="speaker name substring or index")
    p.add_argument("--asr", dest="asr_engine", choices=["vietasr", "vosk"])
    p.add_argument("--tts", dest="tts_engine", choices=["espeak", "piper"])
    p.add_argument("--answerer", choices=["auto", "evidence", "llm", "template"])
    p.add_argument("--models", type=Path, help="model pack folder (pack.toml) to install")
    p.add_argument("--trust", type=Path, action="append", default=[], help="bundle public key (repeat)")
    p.add_argument("--no-service", action="store_true", help="do not install the systemd service")
    p.add_argument("--usb-writable", action="store_true", help="let the service write to the USB stick "
                   "(staff screen: export feedback as CSV); default read-only")
    p.add_argument("--root", type=Path, default=Path("/"), help="filesystem root (testing)")
    p.add_argument("--user", default="kiosk", help="dedicated service user, created if missing "
                   "(default: kiosk; never root)")
    p.add_argument("--session", default="cage", choices=["cage", "xinit", "kmsdrm"],
                   help="how the kiosk reaches the screen (default: cage; see docs/technician.md)")
    p.set_defaults(run=cmd_provision)


def read_pin_file(path: Path) -> str:
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_PIN_FILE_BYTES + 1)
    except OSError as err:
        raise SettingsError(f"cannot read the PIN file {path}: {err.strerror}") from err
    if len(raw) > MAX_PIN_FILE_BYTES:
        raise SettingsError(f"the PIN file {path} is too long: its first line must be the PIN")
    lines = raw.decode("utf-8", "replace").splitlines()
    return lines[0].strip() if lines else ""


def prompt_pin(ask: Callable[[str], str] = getpass.getpass, tries: int = 3) -> str:
    """Ask twice on the terminal (nothing echoed, nothing in the shell history)."""
    from kiosk_app.core.pin import weak_reason

    for _ in range(tries):
        pin = ask("New staff PIN (6-12 digits): ").strip()
        reason = weak_reason(pin)
        if reason is not None:
            out(f"  {reason}; try another one")
            continue
        if ask("Type it again: ").strip() != pin:
            out("  the two PINs differ; again")
            continue
        return pin
    raise PinWeakError("no usable staff PIN given; run provisioning again")


def choose_pin(args: argparse.Namespace, configured: bool, interactive: bool) -> str | None:
    if args.pin is not None:
        raise SettingsError("--pin on the command line is refused: it stays in the shell history and "
                            "sudo's journal line. Use --pin-file FILE, or run without it and type the PIN")
    if args.pin_file is not None:
        return read_pin_file(args.pin_file)
    if interactive and (args.new_pin or not configured):
        return prompt_pin()
    if args.new_pin:
        raise SettingsError("--new-pin needs a terminal to type the PIN on, or --pin-file FILE")
    return None


def cmd_provision(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk_app.ops.provision import ProvisionOptions, provision

    probe = ProvisionOptions(root=args.root)
    configured = False
    if probe.config_path.is_file():
        configured = bool(Settings.load(probe.config_path, environ={}).staff.pin_hash)
    pin = choose_pin(args, configured, sys.stdin.isatty())
    if pin is None and not configured:
        out("staff PIN: none set, so the staff screen stays off (set one: --pin-file FILE or --new-pin)")
    kw = {k: getattr(args, k) for k in ("kiosk_id", "ward_name", "office_hours", "input_device",
                                        "output_device", "asr_engine", "tts_engine", "answerer", "models")}
    opts = ProvisionOptions(root=args.root, trust=tuple(args.trust), service=not args.no_service,
                            user=args.user, session=args.session, pin=pin, usb_writable=args.usb_writable,
                            **kw)
    for step in provision(opts):
        out(f"{step.name:9} {'changed  ' if step.changed else 'unchanged'} {step.detail}")
    out(f"settings: {opts.config_path}  (start the kiosk: KIOSK_CONFIG={opts.config_path} kiosk)")
    return 0
