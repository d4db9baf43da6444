"""Run every benchmark (each in its own process) and let each write its section of docs/benchmarks.md.

    .venv/bin/python bench/run_all.py            # all
    .venv/bin/python bench/run_all.py retrieval  # only bench_retrieval.py
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    wanted = set(argv)
    scripts = sorted(p for p in HERE.glob("bench_*.py")
                     if not wanted or p.stem.removeprefix("bench_") in wanted)
    failed = []
    for script in scripts:
        t0 = time.perf_counter()
        sys.stdout.write(f"== {script.name}\n")
        sys.stdout.flush()
        rc = subprocess.run([sys.executable, str(script)], cwd=HERE.parent).returncode
        sys.stdout.write(f"== {script.name}: exit {rc} in {time.perf_counter() - t0:.0f} s\n")
        if rc:
            failed.append(script.name)
    if failed:
        sys.stderr.write("failed: " + ", ".join(failed) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
