"""``kiosk provision`` (technicians): configure this machine as a kiosk. Idempotent.

``scripts/provision.sh`` installs system packages and the Python environment first, then runs this.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from kiosk_app.commands.base import Subparsers, out
from kiosk_app.settings import Settings


def register(groups: Subparsers) -> None:
    p = groups.add_parser("provision", help="configure this machine as a kiosk (technicians; idempotent)")
    p.add_argument("--kiosk-id")
    p.add_argument("--ward", dest="ward_name", help='ward name shown on screen, e.g. "Phường Cầu Giấy"')
    p.add_argument("--office-hours", help="the ward's own opening hours, shown on the home screen")
    p.add_argument("--pin", help="staff PIN (4-12 digits); stored as a scrypt hash only")
    p.add_argument("--input-device", help="microphone name substring or index")
    p.add_argument("--output-device", help="speaker name substring or index")
    p.add_argument("--asr", dest="asr_engine", choices=["vietasr", "vosk"])
    p.add_argument("--tts", dest="tts_engine", choices=["espeak", "piper"])
    p.add_argument("--answerer", choices=["template", "llm"])
    p.add_argument("--models", type=Path, help="model pack folder (pack.toml) to install")
    p.add_argument("--trust", type=Path, action="append", default=[], help="bundle public key (repeat)")
    p.add_argument("--no-service", action="store_true", help="do not install the systemd service")
    p.add_argument("--root", type=Path, default=Path("/"), help="filesystem root (testing)")
    p.add_argument("--user", help="user the service runs as (default: current user)")
    p.set_defaults(run=cmd_provision)


def cmd_provision(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk_app.provision import ProvisionOptions, provision

    kw = {k: getattr(args, k) for k in ("kiosk_id", "ward_name", "office_hours", "pin", "input_device",
                                        "output_device", "asr_engine", "tts_engine", "answerer", "models")}
    opts = ProvisionOptions(root=args.root, trust=tuple(args.trust), service=not args.no_service,
                            **kw, **({"user": args.user} if args.user else {}))
    for step in provision(opts):
        out(f"{step.name:9} {'changed  ' if step.changed else 'unchanged'} {step.detail}")
    out(f"settings: {opts.config_path}  (start the kiosk: KIOSK_CONFIG={opts.config_path} kiosk)")
    return 0
