"""``kiosk bundle recordings [BUNDLE]`` and ``kiosk bundle recordings import FOLDER --into SRC`` (issue 20).

The first lists every sentence the kiosk can say (``knowledge.recordings.inventory``) for the
active bundle, a ``.wkb`` file, an unpacked bundle folder or a ward's source folder, each with its
status (recorded / missing / stale), and exports the list to the Excel template (``--xlsx``, sheet
"Ghi âm") and to numbered text files (``--txt DIR``). The second checks a folder of WAV takes named
by sentence id (``speech.tts.take_check``: format, length, speech, clipping, level, noise, and the
kiosk's own recogniser against the sentence) and stores the good ones in the source folder that
``kiosk bundle build`` packs. Exit 0 when every take was kept, 1 when any was refused.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk_app.commands.base import err, out, out_json
from kiosk_app.core.errors import BundleError, KioskError
from kiosk_app.core.settings import Settings

if TYPE_CHECKING:
    from knowledge.bundle.schema import Record
    from knowledge.recordings.lookup import RecordingSet

EXIT_OK, EXIT_REFUSED = 0, 1
STATUS_MARK = {"recorded": "đã ghi", "missing": "thiếu ", "stale": "CŨ   ", "broken": "HỎNG  "}


def register(acts: Any) -> None:
    r = acts.add_parser("recordings", help="sentences the kiosk says and their recordings; "
                        "'recordings import FOLDER --into SRC' adds WAV takes")
    r.add_argument("target", nargs="?", default=None, metavar="BUNDLE",
                   help="a .wkb file, an unpacked bundle, a folder of records (default: the active "
                        "bundle); or the word import")
    r.add_argument("folder", nargs="?", type=Path, default=None, metavar="FOLDER",
                   help="with import: the folder of WAV takes named <sentence id>.wav")
    r.add_argument("--lang", default="vi", choices=("vi", "en"))
    r.add_argument("--xlsx", type=Path, default=None, metavar="FILE.xlsx",
                   help="write the list as sheet 'Ghi âm' into this workbook (made from the records "
                        "if it does not exist)")
    r.add_argument("--txt", type=Path, default=None, metavar="DIR", help="write 0001_<id>.txt files")
    r.add_argument("--status", choices=("recorded", "missing", "stale", "broken"), default=None,
                   help="list only the sentences with this status")
    r.add_argument("--kind", default=None,
                   choices=("fact", "title", "connective", "fixed", "no-info", "extra"),
                   help="list only this kind (record facts, titles and fixed sentences first)")
    r.add_argument("--json", action="store_true")
    r.add_argument("--into", type=Path, default=None, metavar="SRC",
                   help="with import: the ward's source folder of records (what bundle build reads)")
    r.add_argument("--no-asr", action="store_true",
                   help="with import: skip the recogniser check (not recommended)")
    r.set_defaults(run=cmd_recordings)


def _refuse(exc: KioskError) -> int:
    from kiosk_app.ui.bundle_messages import staff_vi

    err(f"kiosk: [{exc.code}] {exc}")
    if isinstance(exc, BundleError):
        err(f"  → {staff_vi(exc)}")
    return EXIT_REFUSED


def open_target(target: str | None, settings: Settings) -> tuple[list[Record], RecordingSet]:
    """Records and recordings of the active bundle, a .wkb file, a bundle folder or a source folder."""
    from knowledge.bundle.schema import MANIFEST, bundle_from_members, read_bundle_dir
    from knowledge.recordings.lookup import RecordingSet

    if target is None:
        from knowledge.service import current_bundle_dir

        path = current_bundle_dir(settings)
        if not path.exists():
            raise BundleError(f"no active bundle at {path}; give a bundle file or folder",
                              "cli-no-active-bundle")
        path = path.resolve()
    else:
        path = Path(target)
    if path.is_file() and path.suffix.lower() == ".wkb":
        from knowledge.bundle.safezip import ZipLimits, read_bundle_zip

        members = read_bundle_zip(path, ZipLimits.from_settings(settings))
        bundle = bundle_from_members(members)
        recs = list(bundle.records.values())
        return recs, RecordingSet.from_members(recs, members)
    if path.is_dir() and (path / MANIFEST).is_file():
        return list(read_bundle_dir(path).records.values()), RecordingSet.open(path)
    if path.exists():
        from knowledge.bundle.build import collect_records
        from knowledge.recordings.bundle import read_source

        recs, problems = collect_records(path)
        if problems:
            raise BundleError(f"{path}: {problems[0].message}", problems[0].reason, **problems[0].details)
        return recs, RecordingSet.from_members(recs, read_source(path))
    raise BundleError(f"{path}: no such bundle file or folder", "cli-not-found", path=str(path))


def cmd_recordings(args: argparse.Namespace, settings: Settings) -> int:
    if args.target == "import":
        if args.folder is None or args.into is None:
            err("kiosk: usage: kiosk bundle recordings import FOLDER --into SRC")
            return 2
        from kiosk_app.commands.recordings_import import run_import

        return run_import(args.folder, args.into, settings, asr=not args.no_asr, as_json=args.json)
    try:
        records, rset = open_target(args.target, settings)
    except (KioskError, OSError) as exc:
        if isinstance(exc, OSError):
            exc = BundleError(f"cannot read {args.target}: {exc}", "cli-unreadable", path=str(args.target))
        return _refuse(exc)
    rset.probe()  # a recording whose file is not a playable Ogg/Opus is "broken", not "recorded"
    items = [i for i in rset.items if i.language == args.lang]
    rows = [(i, rset.status(i)) for i in items]
    shown = [(n, i, s) for n, (i, s) in enumerate(rows, start=1)
             if args.status in (None, s) and args.kind in (None, i.kind.value)]
    cov = rset.coverage(args.lang)
    if args.json:
        out_json({"language": args.lang, "total": cov.total, "recorded": cov.recorded, "missing": cov.missing,
                  "stale": cov.stale, "orphaned": cov.orphaned, "broken": cov.broken,
                  "sentences": [{"n": n, "id": i.id, "fact_id": i.fact_id, "kind": i.kind.value,
                                 "text": i.text, "status": s} for n, i, s in shown]})
    else:
        for n, i, s in shown:
            out(f"{n:04d}  {STATUS_MARK[s]}  {i.id:<36}  {i.text}")
        out(f"Đã ghi âm {cov.recorded}/{cov.total} câu ({cov.fraction:.0%}) · thiếu {cov.missing} · "
            f"cũ, cần ghi lại {cov.stale} · hỏng {cov.broken} · bản ghi của câu không còn {cov.orphaned}")
    try:
        if args.xlsx is not None:
            from knowledge.recordings.export import write_sheet

            out(f"Excel: {write_sheet(args.xlsx, records, rows)} (trang \"Ghi âm\", {len(rows)} câu)")
        if args.txt is not None:
            from knowledge.recordings.export import write_text_files

            out(f"Tệp chữ: {write_text_files(args.txt, rows)} tệp trong {args.txt}")
    except OSError as exc:
        return _refuse(BundleError(f"cannot write the export: {exc}", "cli-export-failed"))
    return EXIT_OK
