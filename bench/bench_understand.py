"""Understanding benchmark: the right procedure answered, the out-of-scope refused, on a question set.

    .venv/bin/python bench/bench_understand.py FILE.jsonl [FILE ...] [--lang vi|en] [--ablation]
        [--section NAME] [--details OUT.jsonl]

The question files are the blind sets (``bench/blind/*_understand.jsonl``, written from
shared/procedures.md by someone who never saw the code or the examples, committed with their sha256
before any tuning) or the dev sets (``bench/eval/*.jsonl``). Questions go through the real
``Knowledge.decide`` on the sample bundle, built fresh from ``knowledge/sample/records``; follow-up
questions are asked after their ``context`` questions, in one conversation. With ``--ablation`` the
same set also runs lexical only, E5 only, and without the examples (titles and aliases only).
``--section`` writes the report as that ``## `` section of docs/benchmarks.md; ``--details`` writes
every outcome (for the record, not for tuning: a failed blind question changes the method).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

from report import REPO, machine, pct, write_section

from kiosk_app.core.settings import Settings
from knowledge.bundle.sample import sample_vectors
from knowledge.bundle.schema import OutOfScope, load_out_of_scope_dir, load_records_dir
from knowledge.evaluation import EvalReport, evaluate, in_conversation, load_rows
from knowledge.service import Knowledge, prepare_bundle_dir
from knowledge.understand.retrieval import Mode

RECORDS = REPO / "knowledge" / "sample" / "records"


def run(files: list[Path], lang: str, mode: Mode, examples: bool,
        tmp: Path) -> tuple[EvalReport, list[float]]:
    records = load_records_dir(RECORDS)
    oos = load_out_of_scope_dir(RECORDS)
    if not examples:
        records = [r.model_copy(update={"examples": (), "examples_en": ()}) for r in records]
        oos = OutOfScope()
    dest = tmp / f"{mode}-{examples}"
    prepare_bundle_dir(records, dest, out_of_scope=oos, vectors=sample_vectors())
    settings = Settings(data_dir=tmp / "data")
    times: list[float] = []
    with Knowledge.open(dest, settings, mode=mode) as kn:
        def decide(text: str):  # type: ignore[no-untyped-def]
            t0 = time.perf_counter()
            result = kn.decide(text, lang)
            times.append(time.perf_counter() - t0)
            return result

        report = evaluate(decide, load_rows(files, "all"), in_conversation(kn.decide, lang))
    return report, times


def summary(report: EvalReport) -> dict[str, object]:
    ins, oos = report.in_scope, report.out_of_scope
    by_oos: dict[str, list[bool]] = defaultdict(list)
    for o in oos:
        by_oos[o.row.oos or "?"].append(o.correct)
    by_kind: dict[str, list[bool]] = defaultdict(list)
    for o in ins:
        by_kind[o.row.kind or "?"].append(o.correct)
    kind_named = Counter(o.decision.reason.removeprefix("out-of-scope:") for o in oos
                         if o.correct and o.decision.reason == f"out-of-scope:{o.row.oos}")
    return {
        "in_scope": f"{sum(o.correct for o in ins)}/{len(ins)}",
        "in_scope_rate": round(report.top1_accuracy, 4),
        "in_scope_referred": report.in_scope_referred,
        "out_of_scope": f"{sum(o.correct for o in oos)}/{len(oos)}",
        "out_of_scope_rate": round(report.refusal_rate, 4),
        "refused_by_kind": {k: f"{sum(v)}/{len(v)}" for k, v in sorted(by_oos.items())},
        "refusal_named_the_kind": sum(kind_named.values()),
        "answered_by_style": {k: f"{sum(v)}/{len(v)}" for k, v in sorted(by_kind.items())},
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--lang", default="vi", choices=("vi", "en"))
    ap.add_argument("--ablation", action="store_true")
    ap.add_argument("--section", help="write the report as this ## section of docs/benchmarks.md")
    ap.add_argument("--details", type=Path, help="write every outcome to this JSONL file")
    args = ap.parse_args()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                            text=True).stdout.strip()
    dirty = bool(subprocess.run(["git", "status", "--porcelain", "knowledge"], cwd=REPO,
                                capture_output=True, text=True).stdout.strip())
    variants = [("hybrid + examples (the kiosk)", Mode.HYBRID, True)]
    if args.ablation:
        variants += [("lexical only", Mode.LEXICAL, True), ("E5 only", Mode.SEMANTIC, True),
                     ("hybrid, no examples", Mode.HYBRID, False)]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, mode, examples in variants:
            report, times = run(args.files, args.lang, mode, examples, Path(tmp))
            xs = [t * 1000 for t in times]
            results[name] = {**summary(report), "decide_ms_p50": round(statistics.median(xs), 1),
                             "decide_ms_p95": round(pct(xs, 95), 1)}
            if name.startswith("hybrid + examples") and args.details:
                with args.details.open("w", encoding="utf-8") as f:
                    for o in report.outcomes:
                        f.write(json.dumps({"id": o.row.id, "expect": o.row.expect, "oos": o.row.oos,
                                            "got": o.answered, "reason": o.decision.reason,
                                            "confidence": o.decision.confidence,
                                            "correct": o.correct}, ensure_ascii=False) + "\n")
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    out = {"files": [str(f.relative_to(REPO)) if f.is_relative_to(REPO) else str(f) for f in args.files],
           "lang": args.lang, "commit": commit + ("+dirty" if dirty else ""), "when": when,
           "results": results}
    print(json.dumps(out, ensure_ascii=False, indent=2))
    if args.section:
        lines = [f"Run {when} at commit `{out['commit']}` on {machine()}; language `{args.lang}`; "
                 f"files: {', '.join(f'`{f}`' for f in out['files'])}.", "",
                 "| variant | in scope answered right | out of scope refused | by kind | decide p50 / p95 |",
                 "|---|---|---|---|---|"]
        for name, r in results.items():
            lines.append(f"| {name} | {r['in_scope']} ({r['in_scope_rate']:.1%}) | {r['out_of_scope']} "
                         f"({r['out_of_scope_rate']:.1%}) | "
                         f"{', '.join(f'{k} {v}' for k, v in r['refused_by_kind'].items())} | "
                         f"{r['decide_ms_p50']} / {r['decide_ms_p95']} ms |")
        main_r = results[variants[0][0]]
        lines += ["", "Answered right by style: "
                  + ", ".join(f"{k} {v}" for k, v in main_r["answered_by_style"].items()) + "."]
        write_section(args.section, "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
