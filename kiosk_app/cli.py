"""The ``kiosk`` command. No arguments: the kiosk UI. Subcommands: one module each in ``commands/``.

Every action takes ``(args, settings)`` and returns an exit code; a ``KioskError`` becomes a one-line
message on stderr (with its stable code) and a non-zero exit.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
from collections.abc import Sequence
from pathlib import Path

from kiosk_app import __version__
from kiosk_app.commands.base import err
from kiosk_app.core.errors import KioskError
from kiosk_app.core.settings import Settings
from kiosk_app.logging_setup import configure_logging

log = logging.getLogger(__name__)

# Each module defines ``register(subparsers)``; its parsers set ``run=<action>``.
COMMAND_MODULES: tuple[str, ...] = (
    "kiosk_app.commands.models",
    "kiosk_app.commands.provision",
    "kiosk_app.commands.doctor",
    "kiosk_app.commands.bundle",
    "kiosk_app.commands.ask",
    "kiosk_app.commands.listen",
    "kiosk_app.commands.say",
)

EXIT_ERROR = 1
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kiosk", description="Ward Kiosk: offline voice Q&A for the ward one-stop counter. "
        "Without a subcommand it starts the kiosk screen.")
    parser.add_argument("--config", type=Path, help="settings TOML file (default: $KIOSK_CONFIG or "
                        "/etc/ward-kiosk/kiosk.toml)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument("--version", action="version", version=f"kiosk {__version__}")
    groups = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(groups)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("KIVY_NO_ARGS", "1")  # Kivy must never parse our argv
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.load(args.config)
    except KioskError as exc:
        err(f"kiosk: [{exc.code}] {exc}")
        return EXIT_ERROR
    configure_logging(settings, verbose=args.verbose, console=args.command is not None)
    try:
        if args.command is None:
            from kiosk_app.ui.app import run_ui  # deferred: Kivy is heavy

            return run_ui(settings)
        return int(args.run(args, settings))
    except KioskError as exc:
        log.debug("command failed", exc_info=True)
        err(f"kiosk: [{exc.code}] {exc}")
        return EXIT_ERROR
    except KeyboardInterrupt:
        err("kiosk: interrupted")
        return 130
