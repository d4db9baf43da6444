"""Shared helpers for benchmarks: machine description, percentiles, RSS, and writing one section of
docs/benchmarks.md (each benchmark owns one ``## <Area>`` section and replaces only that)."""

from __future__ import annotations

import os
import platform
import re
import resource
import statistics
import subprocess
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk_app.core.settings import Settings

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "benchmarks.md"
FIXTURES = REPO / "tests" / "fixtures" / "vieneu"  # real Vietnamese recordings (scripts/fetch_fixtures.py)
EVAL = REPO / "bench" / "eval"  # evaluation questions
PLOTS = REPO / "docs" / "bench"  # plots the sections link to
HEADER = """# Benchmarks

Measured by the scripts in `bench/` (`python bench/run_all.py` runs them all). Targets from the issues
are checked as ratios or against the stated bound, on the machine named in each section; these
machines are shared and noisy, so numbers measured in one run side by side matter more than absolute
times. Re-run on the kiosk hardware before deployment.
"""


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    load = os.getloadavg()[0]
    return (f"{os.cpu_count()} cores ({cpu}){mem}, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, load avg {load:.1f} at start, "
            f"{datetime.now():%Y-%m-%d %H:%M}")


def pct(values: Sequence[float], p: float) -> float:
    if not values:
        return float("nan")
    xs = sorted(values)
    k = (len(xs) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def summary_ms(values: Sequence[float]) -> str:
    """'p50 12.3 / p95 20.1 / max 25.0 ms (n=20)' from seconds."""
    ms = [v * 1000 for v in values]
    return (f"p50 {statistics.median(ms):.1f} / p95 {pct(ms, 95):.1f} / max {max(ms):.1f} ms "
            f"(n={len(ms)})") if ms else "n/a"


def peak_rss_mb() -> float:
    """Peak resident memory of this process (Linux ru_maxrss is in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb(pid: int | None = None) -> float:
    """Current resident memory of a process in MiB."""
    status = Path(f"/proc/{pid or os.getpid()}/status").read_text()
    m = re.search(r"VmRSS:\s+(\d+) kB", status)
    return int(m.group(1)) / 1024 if m else float("nan")


def git_rev() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=REPO, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def write_section(title: str, body: str, doc: Path = DOC) -> None:
    """Replace (or append) the ``## {title}`` section of docs/benchmarks.md."""
    doc.parent.mkdir(parents=True, exist_ok=True)
    text = doc.read_text(encoding="utf-8") if doc.is_file() else HEADER
    block = f"## {title}\n\n_Machine: {machine()}; commit {git_rev()}._\n\n{body.strip()}\n\n"
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    text = pattern.sub(lambda _m: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block
    doc.write_text(text.rstrip() + "\n", encoding="utf-8")


def kiosk_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings of a provisioned kiosk under ``data_dir``: the sample bundle active and Whisper base
    assembled (what `kiosk provision` does before the first start), so no benchmark charges that
    one-time set-up to its first question. ``overrides`` are Settings fields (``asr={...}``)."""
    from kiosk_app.core.settings import Settings
    from knowledge.bundle.importer import ensure_sample
    from speech.asr.whisper_model import assemble

    settings = Settings(data_dir=data_dir, **{"ui": {"fullscreen": False}, **overrides})
    ensure_sample(settings)
    assemble(settings.models_path)
    return settings
