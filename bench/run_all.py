"""Run every benchmark (each in its own process) and let each write its section of docs/benchmarks.md.

    .venv/bin/python bench/run_all.py                    # all, full size (an hour or more on 2 cores)
    .venv/bin/python bench/run_all.py --quick            # all, small sizes for the slow ones
    .venv/bin/python bench/run_all.py retrieval soak     # only bench_retrieval.py and bench_soak.py

``--quick`` passes each slow benchmark the small-size options it supports (``QUICK``); the numbers
are then rougher (fewer samples) but every section is refreshed. Plots go to docs/bench/.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# benchmark name -> extra arguments under --quick
QUICK: dict[str, list[str]] = {
    "retrieval": ["--quick"],
    "e2e": ["--rounds", "1", "--only-default"],
    "english": ["--runs", "1"],
    "import": ["--records", "200"],
    "llm": ["--models", "smollm2", "--limit", "6"],
    "tts": ["--limit", "20"],
    "pipeline": ["--quick"],
    "soak": ["--n", "200"],
}


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("names", nargs="*", help="benchmarks to run (bench_<name>.py); default: all")
    ap.add_argument("--quick", action="store_true", help="small sizes for the slow benchmarks")
    args = ap.parse_args(argv)
    wanted = set(args.names)
    scripts = sorted(p for p in HERE.glob("bench_*.py")
                     if not wanted or p.stem.removeprefix("bench_") in wanted)
    unknown = wanted - {p.stem.removeprefix("bench_") for p in scripts}
    if unknown:
        ap.error("no such benchmark: " + ", ".join(sorted(unknown)))
    failed = []
    for script in scripts:
        extra = QUICK.get(script.stem.removeprefix("bench_"), []) if args.quick else []
        t0 = time.perf_counter()
        sys.stdout.write(f"== {script.name} {' '.join(extra)}\n")
        sys.stdout.flush()
        rc = subprocess.run([sys.executable, str(script), *extra], cwd=HERE.parent).returncode
        sys.stdout.write(f"== {script.name}: exit {rc} in {time.perf_counter() - t0:.0f} s\n")
        sys.stdout.flush()
        if rc:
            failed.append(script.name)
    if failed:
        sys.stderr.write("failed: " + ", ".join(failed) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
