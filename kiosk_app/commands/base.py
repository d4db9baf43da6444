"""Shared helpers for ``kiosk`` subcommands: the only stdout/stderr writers of the CLI."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from kiosk_app.core.settings import Settings

Action = Callable[[argparse.Namespace, Settings], int]
Subparsers = Any  # argparse._SubParsersAction (private type)


def out(text: str = "") -> None:
    """Print a line for the user of the CLI (stdout)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def out_json(obj: Any) -> None:
    out(json.dumps(obj, ensure_ascii=False, default=str))


def err(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()
