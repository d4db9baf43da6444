"""``kiosk models list|install|verify|pack`` (technicians)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from kiosk_app.commands.base import Subparsers, out, out_json
from kiosk_app.core.errors import KioskError
from kiosk_app.core.models import load_manifest, require, verify
from kiosk_app.core.settings import Settings


def register(groups: Subparsers) -> None:
    p = groups.add_parser("models", help="model packs: list, install, verify (technicians)")
    acts = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    ls = acts.add_parser("list", help="known and installed models with their state")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(run=cmd_list)
    ins = acts.add_parser("install", help="verify and install models from a model pack folder")
    ins.add_argument("pack", type=Path, help="folder holding pack.toml")
    ins.add_argument("--only", action="append", default=[], metavar="NAME")
    ins.set_defaults(run=cmd_install)
    ver = acts.add_parser("verify", help="full sha256 check of installed models")
    ver.add_argument("names", nargs="*", metavar="NAME")
    ver.add_argument("--json", action="store_true")
    ver.set_defaults(run=cmd_verify)
    pk = acts.add_parser("pack", help="write pack.toml for model folders under DIR/<name>/")
    pk.add_argument("dir", type=Path)
    pk.add_argument("--model", action="append", required=True, metavar="NAME:KIND:LANG:LICENCE",
                    help="e.g. piper-vi:tts:vi:CC-BY-4.0 (repeat per model)")
    pk.add_argument("--sign", type=Path, metavar="PRIVATE_KEY",
                    help="write pack.sig with this key (kiosk bundle keygen); kiosks refuse unsigned packs")
    pk.set_defaults(run=cmd_pack)


def _states(settings: Settings) -> list[dict[str, str]]:
    rows = []
    for spec in load_manifest().values():
        try:
            path, state = str(require(settings, spec.name)), "ok"
        except KioskError as exc:
            path, state = "", f"{exc.code}: {exc}"
        rows.append({"name": spec.name, "kind": spec.kind, "language": spec.language,
                     "source": spec.source, "licence": spec.licence, "state": state, "path": path})
    known = {r["name"] for r in rows}
    if settings.models_path.is_dir():
        for d in sorted(settings.models_path.iterdir()):
            if d.is_dir() and not d.name.startswith(".") and d.name not in known and "." not in d.name:
                try:
                    rows.append({"name": d.name, "kind": "?", "language": "?", "source": "provisioned",
                                 "licence": "?", "state": "ok", "path": str(require(settings, d.name))})
                except KioskError as exc:
                    rows.append({"name": d.name, "kind": "?", "language": "?", "source": "provisioned",
                                 "licence": "?", "state": f"{exc.code}: {exc}", "path": str(d)})
    return rows


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    rows = _states(settings)
    if args.json:
        out_json(rows)
        return 0
    from rich.console import Console
    from rich.table import Table

    t = Table("name", "kind", "lang", "state", "path / what to do")
    for r in rows:
        ok = r["state"] == "ok"
        t.add_row(r["name"], r["kind"], r["language"], "[green]ok[/]" if ok else "[yellow]missing[/]",
                  r["path"] if ok else r["state"])
    Console(width=160).print(t)
    return 0


def cmd_install(args: argparse.Namespace, settings: Settings) -> int:
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

    from kiosk_app.ops.modelpack import install_pack

    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn()) as bar:
        tasks: dict[str, Any] = {}

        def progress(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(name, total=total)
            bar.update(tasks[name], completed=done)

        result = install_pack(args.pack, settings, only=args.only, progress=progress)
    for r in result:
        out(f"{r.name}: {'installed' if r.changed else 'already installed'} "
            f"({r.files} files, {r.bytes / 1e6:.1f} MB) -> {r.path}")
    return 0


def cmd_verify(args: argparse.Namespace, settings: Settings) -> int:
    names = args.names or [r["name"] for r in _states(settings) if r["state"] == "ok"]
    results, bad = [], 0
    for name in names:
        try:
            path = verify(settings, name)
            results.append({"name": name, "ok": True, "path": str(path)})
        except KioskError as exc:
            bad += 1
            results.append({"name": name, "ok": False, "code": str(exc.code), "error": str(exc)})
    if args.json:
        out_json(results)
    else:
        for r in results:
            out(f"{r['name']}: {'ok' if r['ok'] else 'FAILED: ' + str(r['error'])}")
    return 1 if bad else 0


def cmd_pack(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk_app.ops.modelpack import PackEntry, PackError, make_pack

    entries = []
    for spec in args.model:
        parts = spec.split(":", 3)
        if len(parts) != 4:
            raise PackError(f"--model {spec!r}: expected NAME:KIND:LANG:LICENCE")
        entries.append(PackEntry(*parts))
    out(f"wrote {make_pack(args.dir, entries, sign_key=args.sign)}"
        + ("" if args.sign else " (NOT signed: kiosks requiring signatures refuse it; use --sign KEY)"))
    return 0
