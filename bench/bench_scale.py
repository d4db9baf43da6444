"""Understanding at scale → ``## Understanding: speed`` in docs/benchmarks.md.

    .venv/bin/python bench/bench_scale.py [--n 1000] [--no-write]

Builds two signed bundles as ``kiosk bundle build`` does, with the examples' E5 vectors shipped
inside: the 27 sample procedures, and the sample plus synthetic procedures up to N (each synthetic
record with 8 example questions made from its own words). Imports each as the kiosk does
(``importer.import_bundle``: shipped vectors reused, nothing re-embedded), then times
``Knowledge.decide`` on the dev questions (bench/eval/vi_*.jsonl). Targets (issue #15): decision p95
≤ 40 ms with 27 procedures and ≤ 60 ms with 1,000; import of the 1,000-procedure bundle ≤ 30 s.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _common import REPO  # the repository on sys.path, engines quiet

sys.path.insert(0, str(REPO / "bench"))

from bench_import import synthetic_records
from report import machine, pct, write_section

from kiosk_app.core.settings import Settings
from knowledge.bundle import importer
from knowledge.bundle.build import build_bundle_file
from knowledge.bundle.schema import Record, load_out_of_scope_dir, load_records_dir
from knowledge.bundle.signing import generate_keypair, trust_key
from knowledge.evaluation import load_rows
from knowledge.service import open_current
from knowledge.understand.store import compute_vectors

SAMPLE = REPO / "knowledge" / "sample" / "records"


def with_examples(rec: Record) -> Record:
    t = rec.title.split(" (")[0].lower()
    alias = rec.aliases[0]
    examples = (f"cho tôi hỏi {t} cần giấy tờ gì", f"{alias} thì làm ở đâu", f"{t} mất bao lâu",
                f"lệ phí {t} bao nhiêu", f"muốn {alias} thì phải làm sao", f"ai được {t}",
                f"{t} có làm trên mạng được không", f"nhà tôi cần {alias}")
    return rec.model_copy(update={"examples": examples})


def timed_import(records: list[Record], tmp: Path, name: str) -> dict[str, float]:
    oos = load_out_of_scope_dir(SAMPLE)
    keys = tmp / f"keys-{name}"
    priv, pub = generate_keypair(keys)
    t0 = time.perf_counter()
    vectors = compute_vectors(records, oos)
    build_s = time.perf_counter() - t0
    out = tmp / f"{name}.wkb"
    rep = build_bundle_file(records, [], out, bundle_id=name, version="1", sign_key=priv, out_of_scope=oos,
                            vectors=lambda: vectors)
    assert rep.ok, rep.errors
    settings = Settings(data_dir=tmp / f"data-{name}")
    trust_key(settings, pub)
    t0 = time.perf_counter()
    importer.import_bundle(out, settings)
    import_s = time.perf_counter() - t0
    questions = [r.text for r in load_rows(sorted((REPO / "bench" / "eval").glob("vi_*.jsonl")), "all")]
    times = []
    with open_current(settings) as kn:
        kn.decide("làm giấy khai sinh cần gì")  # first question: warm caches
        for q in questions:
            t0 = time.perf_counter()
            kn.decide(q)
            times.append((time.perf_counter() - t0) * 1000)
    return {"procedures": len(records), "bundle_mb": rep.size / 1e6, "vectors_s": build_s,
            "import_s": import_s, "p50": statistics.median(times), "p95": pct(times, 95), "n": len(times)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    sample = load_records_dir(SAMPLE)
    big = sample + [with_examples(r) for r in synthetic_records(args.n - len(sample))]
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as d:
        rows = [timed_import(sample, Path(d), "sample"), timed_import(big, Path(d), "big")]
    load = os.getloadavg()[0]
    lines = [f"{machine()}; load average {load:.1f} at the end of the run.", "",
             "| procedures | bundle | vectors computed at build (office PC) | import on the kiosk | "
             "decide p50 / p95 (dev questions) |", "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['procedures']:,} | {r['bundle_mb']:.1f} MB | {r['vectors_s']:.0f} s | "
                     f"{r['import_s']:.1f} s | {r['p50']:.1f} / {r['p95']:.1f} ms (n={r['n']}) |")
    lines += ["", "Targets: decide p95 ≤ 40 ms (27) and ≤ 60 ms (1,000); import of 1,000 ≤ 30 s with the "
              "vectors shipped."]
    body = "\n".join(lines)
    print(body)
    if not args.no_write:
        write_section("Understanding: speed", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
