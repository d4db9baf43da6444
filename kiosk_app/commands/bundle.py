"""``kiosk bundle keygen|build|template|trust|verify|import|rollback|status|recordings`` (staff).

Exit 0 only on success; every refusal prints the reason (English, then the Vietnamese sentence the
staff screen shows) on stderr and exits 1. Heavy modules (chromadb via the importer) load lazily.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk_app.commands.base import Subparsers, err, out, out_json
from kiosk_app.core.errors import BundleError, ErrorCode, KioskError
from kiosk_app.core.settings import Settings

if TYPE_CHECKING:
    from knowledge.bundle.schema import OutOfScope, Record

EXIT_OK, EXIT_REFUSED = 0, 1


def register(groups: Subparsers) -> None:
    p = groups.add_parser("bundle", help="knowledge bundle: build, sign, import, roll back (staff)")
    acts = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    kg = acts.add_parser("keygen", help="new Ed25519 signing key pair (private .key + public .pub)")
    kg.add_argument("--out", type=Path, required=True, metavar="DIR")
    kg.add_argument("--name", default="bundle-signing", help="file name stem (default: %(default)s)")
    kg.set_defaults(run=cmd_keygen)
    b = acts.add_parser("build", help="validate records (folder of YAML or .xlsx) and write a .wkb file")
    src = b.add_mutually_exclusive_group(required=True)
    src.add_argument("src", nargs="?", type=Path, help="folder of *.yaml records or an .xlsx workbook")
    src.add_argument("--sample", action="store_true", help="the built-in sample records")
    b.add_argument("--out", type=Path, required=True, metavar="FILE.wkb")
    b.add_argument("--sign", type=Path, metavar="PRIVATE_KEY",
                   help="sign with this key (made by kiosk bundle keygen)")
    b.add_argument("--bundle-id", default=None, help="bundle name (default: ward, or sample with --sample)")
    b.add_argument("--version", dest="bundle_version", default=None,
                   help="version label (default: UTC date-time, e.g. 2026.11.23-1030)")
    b.add_argument("--title", default="", help="free text shown on the staff screen")
    b.add_argument("--no-vectors", action="store_true",
                   help="do not ship the examples' E5 vectors (each kiosk then computes them at import)")
    b.set_defaults(run=cmd_build)
    t = acts.add_parser("template", help="write the Excel template, pre-filled with records")
    t.add_argument("--out", type=Path, required=True, metavar="FILE.xlsx")
    t.add_argument("--from", dest="src", type=Path, default=None, metavar="DIR",
                   help="folder of *.yaml records (default: the built-in sample)")
    t.set_defaults(run=cmd_template)
    tr = acts.add_parser("trust", help="trust a public key for signed bundles on this kiosk")
    tr.add_argument("public_key", type=Path, metavar="PUBLIC_KEY")
    tr.set_defaults(run=cmd_trust)
    v = acts.add_parser("verify", help="check a bundle file fully without importing it")
    v.add_argument("file", type=Path, metavar="FILE")
    v.add_argument("--json", action="store_true")
    v.set_defaults(run=cmd_verify)
    im = acts.add_parser("import", help="import a bundle file and make it active (atomic)")
    isrc = im.add_mutually_exclusive_group(required=True)
    isrc.add_argument("file", nargs="?", type=Path, metavar="FILE")
    isrc.add_argument("--sample", action="store_true", help="the built-in sample bundle")
    im.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    im.add_argument("--allow-downgrade", action="store_true",
                    help="accept a bundle older (version or date) than the active one of the same id")
    im.add_argument("--allow-other-bundle", action="store_true",
                    help="accept a bundle with another bundle id than the active one (another office's)")
    im.add_argument("--allow-future-date", action="store_true",
                    help="accept a bundle created after this kiosk's clock (when the clock is wrong)")
    im.add_argument("--json", action="store_true", help="print the result as JSON")
    im.set_defaults(run=cmd_import)
    rb = acts.add_parser("rollback", help="make the previous (or a kept) bundle version active again")
    rb.add_argument("--to", metavar="VERSION", default=None,
                    help="a kept version (see kiosk bundle status): 2, phuong@2 or its folder phuong-2")
    rb.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    rb.set_defaults(run=cmd_rollback)
    st = acts.add_parser("status", help="active bundle, previous bundle, kept versions and their state")
    st.add_argument("--json", action="store_true")
    st.set_defaults(run=cmd_status)
    from kiosk_app.commands.recordings import register as register_recordings

    register_recordings(acts)


# ---- helpers -------------------------------------------------------------------------------------
def _refuse(exc: KioskError) -> int:
    from kiosk_app.ui.bundle_messages import staff_vi

    err(f"kiosk: [{exc.code}] {exc}")
    err(f"  → {staff_vi(exc)}")
    return EXIT_REFUSED


def _confirmed(args: argparse.Namespace) -> frozenset[ErrorCode]:
    """The version anomalies the --allow-… flags confirm (``knowledge.bundle.version_policy.FLAGS``)."""
    flags = {ErrorCode.BUNDLE_DOWNGRADE: args.allow_downgrade,
             ErrorCode.BUNDLE_OTHER_ID: args.allow_other_bundle,
             ErrorCode.BUNDLE_FUTURE_DATE: args.allow_future_date}
    return frozenset(code for code, on in flags.items() if on)


def _confirm(question: str) -> bool:
    err(f"{question} [y/N] ")
    try:
        answer = sys.stdin.readline()
    except (OSError, KeyboardInterrupt):
        return False
    return answer.strip().lower() in ("y", "yes", "c", "có", "co")


def _console() -> Any:
    from rich.console import Console

    return Console(width=max(100, Console().width), highlight=False)


def _print_issues(issues: list[Any], title: str) -> None:
    if not issues:
        return
    from rich.markup import escape
    from rich.table import Table

    from kiosk_app.ui.bundle_messages import staff_vi

    table = Table(title=title, show_lines=False, expand=False)
    table.add_column("mức", no_wrap=True)
    table.add_column("bản ghi", no_wrap=True)
    table.add_column("vấn đề (tiếng Việt) / detail")
    for i in issues:
        sev = "[red]LỖI[/]" if i.severity == "error" else "[yellow]cảnh báo[/]"
        table.add_row(sev, i.record_id or "", f"{escape(staff_vi(i))}\n[dim]{escape(i.message)}[/]")
    _console().print(table)


def _print_counts(lint: Any, errors: int | None = None) -> None:
    out(f"Thủ tục: {lint.record_count} · mục nội dung: {lint.fact_count} · chưa chắc chắn: "
        f"{lint.uncertain_count} · chưa có nguồn: {lint.unsourced_count} · "
        f"lỗi: {len(lint.errors) if errors is None else errors} · cảnh báo: {len(lint.warnings)}")


# ---- actions -------------------------------------------------------------------------------------
def cmd_keygen(args: argparse.Namespace, settings: Settings) -> int:
    from knowledge.bundle.signing import fingerprint, generate_keypair, load_public_key

    try:
        priv, pub = generate_keypair(args.out, args.name)
    except BundleError as exc:
        return _refuse(exc)
    out(f"private key (keep it on the office PC, never on the stick): {priv}")
    out(f"public key (install on each kiosk: kiosk bundle trust {pub.name}): {pub}")
    out(f"fingerprint: {fingerprint(load_public_key(pub))}")
    return EXIT_OK


def cmd_build(args: argparse.Namespace, settings: Settings) -> int:
    from knowledge.bundle.build import build_bundle_file, collect_records, default_version
    from knowledge.bundle.sample import SAMPLE, SAMPLE_DIR
    from knowledge.bundle.schema import load_out_of_scope_dir

    try:
        src = SAMPLE_DIR if args.sample else args.src
        records, schema_errors = collect_records(src)
        oos = load_out_of_scope_dir(src if src.is_dir() else src.parent)
        if not oos.kinds:  # the refusal examples are not ward-specific: the built-in ones serve
            oos = load_out_of_scope_dir(SAMPLE_DIR)
        bundle_id = args.bundle_id or (SAMPLE if args.sample else "ward")
        from knowledge.recordings.bundle import read_source

        recordings = {} if args.sample else read_source(src)  # <src>/recordings.yaml + recordings/
        rep = build_bundle_file(records, schema_errors, args.out, bundle_id=bundle_id,
                                version=args.bundle_version or default_version(), title=args.title,
                                sample=args.sample, sign_key=args.sign, out_of_scope=oos,
                                vectors=None if args.no_vectors else lambda: _vectors(records, oos),
                                recordings=recordings)
    except (BundleError, OSError) as exc:
        if isinstance(exc, OSError):
            exc = BundleError(f"cannot write {args.out}: {exc}", "cli-write-failed", path=str(args.out))
        return _refuse(exc)
    _print_issues(list(rep.errors) + list(rep.lint.warnings), "Báo cáo kiểm tra")
    _print_counts(rep.lint, len(rep.errors))
    if not rep.ok or rep.out is None:
        err(f"kiosk: [bundle-invalid] {len(rep.errors)} error(s); no bundle written")
        err(f"  → Có {len(rep.errors)} lỗi; chưa tạo gói dữ liệu. Sửa các lỗi trên rồi chạy lại.")
        return EXIT_REFUSED
    out(f"Đã tạo gói {rep.label}: {rep.out} ({rep.size} bytes, sha256 {rep.sha256[:16]}…)")
    out(f"signed by key {rep.signed_by}" if rep.signed_by else
        "NOT signed: kiosks that require signatures will refuse it (use --sign KEY)")
    return EXIT_OK


def _vectors(records: list[Record], oos: OutOfScope) -> tuple[str, bytes]:
    """The E5 vectors of every example and name, computed here once instead of on each kiosk."""
    from rich.progress import Progress

    from knowledge.understand.store import compute_vectors

    with Progress(transient=True) as bar:
        task = bar.add_task("Tính véc-tơ câu hỏi mẫu / embedding examples", total=None)
        return compute_vectors(records, oos,
                               lambda done, total: bar.update(task, completed=done, total=total))


def cmd_template(args: argparse.Namespace, settings: Settings) -> int:
    from knowledge.bundle.excel import write_template
    from knowledge.bundle.sample import SAMPLE_DIR
    from knowledge.bundle.schema import load_records_dir

    try:
        records = load_records_dir(args.src or SAMPLE_DIR)
        path = write_template(records, args.out)
    except BundleError as exc:
        return _refuse(exc)
    out(f"Excel template with {len(records)} procedures: {path}")
    return EXIT_OK


def cmd_trust(args: argparse.Namespace, settings: Settings) -> int:
    from knowledge.bundle.signing import trust_key, trusted_keys

    try:
        tk = trust_key(settings, args.public_key)
    except BundleError as exc:
        return _refuse(exc)
    out(f"trusted key {tk.fingerprint} → {tk.path} ({len(trusted_keys(settings))} trusted key(s))")
    return EXIT_OK


def cmd_verify(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk_app.ui.bundle_messages import staff_vi
    from knowledge.bundle.importer import check_bundle
    from knowledge.bundle.schema import MANIFEST
    from knowledge.bundle.version_policy import import_problems

    try:
        members, bundle, signed_by, lint = check_bundle(args.file, settings)
    except BundleError as exc:
        report = getattr(exc, "report", None)
        if report is not None and not args.json:
            _print_issues(list(report.errors) + list(report.warnings), "Báo cáo kiểm tra")
        if args.json:
            out_json({"ok": False, "code": str(exc.code), "error": str(exc), "message_vi": staff_vi(exc)})
        return _refuse(exc)
    m = bundle.manifest
    problems = import_problems(settings, members[MANIFEST])  # what importing it here would meet
    if args.json:
        out_json({"ok": True, "label": m.label, "records": m.record_count, "signed_by": signed_by,
                  "created": m.created.isoformat(), "warnings": [str(w) for w in lint.warnings],
                  "version_problems": [{"code": str(p.code), "error": p.message, "message_vi": staff_vi(p),
                                        "confirmable": p.confirmable} for p in problems]})
        return EXIT_OK
    _print_issues(list(lint.warnings), "Cảnh báo")
    _print_counts(lint)
    out(f"OK: {m.label} · {m.record_count} thủ tục · tạo lúc {m.created:%d/%m/%Y %H:%M} · "
        + (f"ký bởi khóa {signed_by}" if signed_by else "chưa ký (máy này cho phép)"))
    for p in problems:
        err(f"kiosk: importing it on this kiosk: [{p.code}] {p.message}")
        err(f"  → {staff_vi(p)}")
    return EXIT_OK


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from knowledge.bundle.importer import check_bundle, import_bundle
    from knowledge.bundle.sample import SAMPLE
    from knowledge.bundle.schema import MANIFEST
    from knowledge.bundle.version_policy import FLAGS, import_problems, policy_error
    from knowledge.bundle.versions import status

    source: Path | str = SAMPLE if args.sample else args.file
    try:
        members, bundle, signed_by, _lint = check_bundle(source, settings)
    except BundleError as exc:
        report = getattr(exc, "report", None)
        if report is not None:
            _print_issues(list(report.errors), "Báo cáo kiểm tra")
        return _refuse(exc)
    cur = status(settings).current
    m = bundle.manifest
    if not args.json:
        out(f"Gói mới: {m.label} ({m.record_count} thủ tục, tạo {m.created:%d/%m/%Y %H:%M}, "
            + (f"ký bởi {signed_by})" if signed_by else "không ký)"))
        out(f"Đang dùng: {cur.label if cur else '(chưa có)'}")
    confirmed = _confirmed(args)
    problems = import_problems(settings, members[MANIFEST], builtin_sample=args.sample)
    refusal = policy_error(problems, confirmed)
    if refusal is not None:
        _refuse(refusal)
        if refusal.confirmable:
            err(f"  → Muốn vẫn nhập: thêm {' '.join(FLAGS[c] for c in sorted(refusal.confirmable))}.")
        return EXIT_REFUSED
    for p in problems:
        err(f"kiosk: warning: [{p.code}] {p.message}; importing it because of the --allow flag")
    if not args.yes and not _confirm("Nhập gói này và dùng ngay? / Import and activate?"):
        err("kiosk: cancelled; nothing changed")
        return EXIT_REFUSED
    names = {"read": "Đọc gói", "copy": "Chép dữ liệu", "index": "Tạo chỉ mục", "smoke": "Kiểm tra thử",
             "activate": "Kích hoạt"}
    from rich.console import Console

    with Progress(TextColumn("{task.description:<16}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), transient=args.json, console=Console(stderr=True)) as bar:
        tasks: dict[str, Any] = {}

        def progress(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = bar.add_task(names.get(phase, phase), total=max(total, 1))
            bar.update(tasks[phase], completed=done, total=max(total, 1))

        try:
            res = import_bundle(source, settings, progress, confirmed=confirmed)
        except KioskError as exc:
            bar.stop()
            return _refuse(exc)
    if args.json:
        out_json({"ok": True, "label": res.info.label, "folder": res.info.name, "unchanged": res.unchanged,
                  "previous": res.previous, "records": res.info.record_count, "timings_s": res.timings,
                  "warnings": len(res.lint.warnings)})
        return EXIT_OK
    if res.unchanged:
        out(f"Gói {res.info.label} đang được dùng rồi; không thay đổi gì.")
    else:
        total = sum(res.timings.values())
        out(f"Đã nhập và kích hoạt {res.info.label} ({res.info.record_count} thủ tục) trong {total:.1f} s. "
            f"Phiên bản trước: {res.previous or '(không có)'}")
    return EXIT_OK


def cmd_rollback(args: argparse.Namespace, settings: Settings) -> int:
    from knowledge.bundle.versions import plan_rollback, rollback

    try:  # checks the target (checksums, index) before asking; rollback() checks again under the lock
        cur, target = plan_rollback(settings, args.to)
    except KioskError as exc:
        return _refuse(exc)
    if cur is not None and target.name == cur.name:
        out(f"Gói {target.label} đang được dùng rồi; không thay đổi gì.")
        return EXIT_OK
    out(f"Đang dùng: {f'{cur.label} ({cur.name})' if cur else '(không có)'} → quay lại: {target.label} "
        f"({target.name})")
    if not args.yes and not _confirm(f"Quay lại {target.label}? / Roll back?"):
        err("kiosk: cancelled; nothing changed")
        return EXIT_REFUSED
    try:
        info = rollback(settings, args.to)
    except KioskError as exc:
        return _refuse(exc)
    out(f"Đã quay lại {info.label} ({info.record_count} thủ tục).")
    return EXIT_OK


STATE_VI = {"ok": "ok (dùng được)", "damaged": "damaged (HỎNG)", "unchecked": "unchecked (chưa kiểm tra)"}


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk_app.ui.bundle_messages import staff_vi
    from knowledge.bundle.versions import status

    st = status(settings, verify=True)
    cur, prev = st.current, st.previous
    cur_ok = cur is not None and all(v.state == "ok" for v in st.versions if v.name == cur.name)
    if args.json:
        data = st.to_json()
        for v, row in zip(st.versions, data["versions"], strict=True):
            row["problem_vi"] = staff_vi(v.note) if v.note else ""
        out_json(data)
        return EXIT_OK if cur_ok else EXIT_REFUSED
    out(f"Đang dùng: {cur.label if cur else '(chưa có gói nào)'}"
        + (f" · {cur.record_count} thủ tục · nhập lúc {cur.imported_at} · "
           + (f"ký bởi {cur.signed_by}" if cur.signed_by else "không ký") if cur else ""))
    prev_bad = prev is not None and any(v.state == "damaged" for v in st.versions if v.name == prev.name)
    out(f"Phiên bản trước: {prev.label if prev else '(không có)'}"
        + (" · HỎNG, không quay lại được" if prev_bad else ""))
    out("Các phiên bản lưu trên máy (mới nhập trước; quay lại bản nào: kiosk bundle rollback --to THƯ_MỤC):"
        if st.versions else "Các phiên bản lưu trên máy: (không có)")
    for v in st.versions:
        role = (" · đang dùng" if cur and v.name == cur.name
                else " · bản trước" if prev and v.name == prev.name else "")
        i = v.info
        detail = (f"{i.label} · {i.record_count} thủ tục · nhập {i.imported_at[:16].replace('T', ' ')}"
                  if i else "(không đọc được tệp mô tả)")
        out(f"  {v.name}  {detail}{role} · {STATE_VI.get(v.state, v.state)}"
            + (f": {staff_vi(v.note)}" if v.note else ""))
    for p in st.problems:
        err(f"problem: {p}")
    return EXIT_OK if cur_ok else EXIT_REFUSED
