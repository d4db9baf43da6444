"""Independent crafted bundles → ``## Crafted bundles`` in docs/benchmarks.md.

    .venv/bin/python bench/bench_crafted.py [--no-write]

``bench/crafted/make_bad.py`` was written by a helper who never read the importer (only the public
bundle format, a good signed bundle and the trusted key); it makes 88 bad bundles of five kinds
(resource exhaustion, member-set tricks, misleading content, versions, integrity), most of them
signed with the trusted key. This script builds the good signed sample, runs the generator beside
it, imports the good bundle, then tries every bad one as ``kiosk bundle import`` does and checks:
refused (a downgrade only with staff confirmation) within 5 s, a precise message, ``current``
unchanged, no staging folder left and nothing written outside the data folder, and the kiosk still
answers from the good bundle.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from _common import REPO  # the repository on sys.path, engines quiet

from bench.report import write_section
from kiosk_app.core.errors import KioskError
from kiosk_app.core.settings import Settings
from knowledge.bundle import importer
from knowledge.bundle.build import build_bundle_file, collect_records
from knowledge.bundle.schema import load_out_of_scope_dir
from knowledge.bundle.signing import generate_keypair, trust_key
from knowledge.service import open_current

SAMPLE = REPO / "knowledge" / "sample" / "records"
LIMIT_S = 5.0


def tree(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


def answers(settings: Settings) -> bool:
    with open_current(settings) as kn:
        d, _aspect, _hits = kn.decide("làm giấy khai sinh cho cháu cần những gì")
        return d.procedure_id == "khai-sinh"


def run(write: bool) -> int:
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="bench-crafted-") as d:
        tmp = Path(d)
        work = tmp / "crafted"
        (work / "keys").mkdir(parents=True)
        priv, pub = generate_keypair(work / "keys")
        records, errors = collect_records(SAMPLE)
        rep = build_bundle_file(records, errors, work / "sample-good.wkb", bundle_id="sample",
                                version="2026.12.01-0900", sample=True, sign_key=priv,
                                out_of_scope=load_out_of_scope_dir(SAMPLE))
        assert rep.ok, rep.errors
        shutil.copy(REPO / "bench" / "crafted" / "make_bad.py", work / "make_bad.py")
        (work / "bad").mkdir()
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "make_bad.py"], cwd=work, check=True, stdout=subprocess.DEVNULL)
        print(f"generated the bad bundles in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        settings = Settings(data_dir=tmp / "data")
        trust_key(settings, pub)
        t0 = time.perf_counter()
        importer.import_bundle(work / "sample-good.wkb", settings)
        good_s = time.perf_counter() - t0
        current = (settings.bundles_dir / "current").resolve()
        assert answers(settings)
        lines_ = (work / "bad" / "catalogue.jsonl").read_text().splitlines()
        catalogue = [json.loads(line) for line in lines_]
        outside_before = tree(tmp) - {p for p in tree(tmp) if p.startswith(("data/", "crafted/"))}
        rows = []
        for entry in catalogue:
            path = work / "bad" / entry["file"]
            t0 = time.perf_counter()
            try:
                importer.import_bundle(path, settings)
                outcome, message = "ACCEPTED", ""
            except KioskError as exc:
                outcome, message = "refused", f"[{exc.code}] {exc}"
            except Exception as exc:  # a crash is a finding, not a refusal
                outcome, message = "CRASHED", f"{type(exc).__name__}: {exc}"
            elapsed = time.perf_counter() - t0
            now = (settings.bundles_dir / "current").resolve()
            staging = [p.name for p in settings.bundles_dir.iterdir() if p.name.startswith(".incoming")]
            everything = tree(tmp)
            outside = {p for p in everything if not p.startswith(("data/", "crafted/"))} - outside_before
            ok = (outcome == "refused" and elapsed <= LIMIT_S and now == current and not staging
                  and not outside and answers(settings))
            if outcome == "ACCEPTED" and now != current:  # put the good bundle back for the next one
                importer.import_bundle(work / "sample-good.wkb", settings, allow_downgrade=True)
                current = (settings.bundles_dir / "current").resolve()
            rows.append({**entry, "outcome": outcome, "seconds": round(elapsed, 2),
                         "message": message[:160], "current_kept": now == current,
                         "staging_left": staging, "outside": sorted(outside), "ok": ok})
            print(f"{'ok ' if ok else 'BAD'} {entry['file']:<48} {outcome:<8} {elapsed:5.2f} s  "
                  f"{message[:90]}", file=sys.stderr)
    passed = sum(r["ok"] for r in rows)
    by_kind = Counter(r["kind"] for r in rows)
    ok_kind = Counter(r["kind"] for r in rows if r["ok"])
    slowest = max(rows, key=lambda r: r["seconds"])
    lines = [f"{passed}/{len(rows)} crafted bundles refused within {LIMIT_S:.0f} s with a precise "
             "message, the active bundle unchanged and answering, no staging folder left, nothing written "
             f"outside the data folder (the good bundle imported in {good_s:.1f} s).", "",
             "| kind | refused as required |", "|---|---|"]
    lines += [f"| {k} | {ok_kind[k]}/{n} |" for k, n in sorted(by_kind.items())]
    lines += ["", f"Slowest refusal: `{slowest['file']}` {slowest['seconds']} s."]
    bad = [r for r in rows if not r["ok"]]
    if bad:
        lines += ["", "Not as required:", ""]
        lines += [f"- `{r['file']}` ({r['kind']}, expected {r['expect']}): {r['outcome']} in "
                  f"{r['seconds']} s {r['message'][:120]}" for r in bad]
    body = "\n".join(lines)
    print(body)
    if write:
        write_section("Crafted bundles", body)
    return 0 if not bad else 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--no-write", action="store_true")
    return run(not ap.parse_args().no_write)


if __name__ == "__main__":
    sys.exit(main())
