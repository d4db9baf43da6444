"""Do two commits answer every evaluation question the same? ``kiosk ask --jsonl`` on both, diffed.

    python bench/ask_identity.py BEFORE AFTER [--repeat] [--jobs 2] [--show 10] [--out DIR]

BEFORE and AFTER are commits (checked out with ``git worktree add --detach`` under a temporary
folder, removed afterwards) or existing work-tree folders. Each run gets a fresh data directory,
activates the built-in sample bundle (``kiosk bundle import --sample --yes``) and answers every
question with ``python -m kiosk_app ask --jsonl -``: Vietnamese questions in one process, English
ones in another with ``--lang en``. The questions are read from this checkout (the same for both
commits): bench/eval/*.jsonl, bench/blind*/*_understand.jsonl and bench/blind*/facts.jsonl, except
the sets not run yet (``UNSPENT``). The CLI takes no conversation context, so follow-ups are asked
alone, in file order.

Fact embeddings warm up in a background thread and, before the fix in ``knowledge.answer.semantic.
EmbeddingsFirst``, a question about a record not embedded yet was answered from the wording alone.
So each process first answers one throw-away question, then the harness waits until the log says
"fact embeddings ready" before it sends the rest: old commits are compared warmed up too.

Before comparing, a line loses ``timings_ms`` (every key in it is a duration in ms), and the run's
data directory in ``why`` (the "no LLM here" reason names the models path) becomes ``<data_dir>``.
``--repeat`` runs BEFORE twice first: the two must be identical, else the comparison means nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
UNSPENT = ("blind10", "blind_facts13")  # independent sets not run yet: never read here
WARMUP = {"id": "__warmup__", "text": "xin chào"}
READY = "fact embeddings ready"
FAILED = "fact embeddings for"  # "... for <record> failed": the warm-up stopped
TIMING_FIELDS = ("timings_ms",)


@dataclass(frozen=True)
class Question:
    qid: str  # "<file relative to bench/>#<id>", unique over all files
    text: str
    lang: str


def question_files() -> list[Path]:
    bench = REPO / "bench"
    files = (sorted(bench.glob("eval/*.jsonl")) + sorted(bench.glob("blind*/*_understand.jsonl"))
             + sorted(bench.glob("blind*/facts.jsonl")))
    return [f for f in files if not f.parent.name.startswith(UNSPENT)]


def load_questions(files: Iterable[Path]) -> list[Question]:
    out: list[Question] = []
    for f in files:
        default = "en" if f.name.startswith("en_") else "vi"
        rel = f.relative_to(REPO / "bench").as_posix()
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            d = json.loads(line)
            if isinstance(d.get("text"), str):
                out.append(Question(f"{rel}#{d.get('id', n)}", d["text"], d.get("lang") or default))
    return out


def _env(data: Path, tree: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "KIOSK_CONFIG" and not k.startswith("KIOSK_")}
    env.update(KIOSK_DATA_DIR=str(data), PYTHONPATH=str(tree), PYTHONUNBUFFERED="1",
               ANONYMIZED_TELEMETRY="False", KIVY_NO_ARGS="1", SDL_VIDEODRIVER="offscreen",
               KIVY_HOME=str(data / "kivy"))
    return env


def _log_count(log: Path, needle: str) -> int:
    try:
        return log.read_text(encoding="utf-8", errors="replace").count(needle)
    except FileNotFoundError:
        return 0


def ask_all(tree: Path, data: Path, questions: list[Question], lang: str, python: str,
            timeout_s: float = 900.0) -> list[str]:
    """The CLI's output lines for ``questions``, asked after the fact embeddings warmed up."""
    log = data / "logs" / "kiosk.log"
    ready0, failed0 = _log_count(log, READY), _log_count(log, FAILED)
    cmd = [python, "-m", "kiosk_app", "ask", "--jsonl", "-"] + (["--lang", "en"] if lang == "en" else [])
    proc = subprocess.Popen(cmd, cwd=tree, env=_env(data, tree), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    errors: list[str] = []
    stderr = proc.stderr
    drain = threading.Thread(target=lambda: errors.extend(stderr), daemon=True)
    drain.start()
    try:
        proc.stdin.write(json.dumps(WARMUP, ensure_ascii=False) + "\n")
        proc.stdin.flush()
        first = proc.stdout.readline()
        if not first:
            raise RuntimeError(f"{tree}: kiosk ask ended before answering: {''.join(errors)[-2000:]}")
        deadline = time.monotonic() + timeout_s
        while _log_count(log, READY) <= ready0:
            if _log_count(log, FAILED) > failed0:
                raise RuntimeError(f"{tree}: the fact-embedding warm-up failed, see {log}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{tree}: no '{READY}' in {log} after {timeout_s:.0f} s")
            time.sleep(0.5)

        def feed() -> None:
            assert proc.stdin is not None
            for q in questions:
                proc.stdin.write(json.dumps({"id": q.qid, "text": q.text}, ensure_ascii=False) + "\n")
            proc.stdin.close()
        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        lines = proc.stdout.read().splitlines()
        writer.join()
        if proc.wait() != 0 or len(lines) != len(questions):
            raise RuntimeError(f"{tree}: exit {proc.returncode}, {len(lines)} lines for {len(questions)} "
                               f"questions: {''.join(errors)[-2000:]}")
        return lines
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def run(tree: Path, work: Path, label: str, questions: list[Question], python: str) -> dict[str, Any]:
    """One run of a work tree with a fresh data directory: {"lines": {qid: normalised}, "s": seconds}."""
    data = work / f"data-{label}"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    t0 = time.monotonic()
    subprocess.run([python, "-m", "kiosk_app", "bundle", "import", "--sample", "--yes"], cwd=tree,
                   env=_env(data, tree), check=True, capture_output=True)
    lines: dict[str, dict[str, Any]] = {}
    raw = work / f"{label}.jsonl"
    with raw.open("w", encoding="utf-8") as fh:
        for lang in ("vi", "en"):
            part = [q for q in questions if q.lang == lang]
            if not part:
                continue
            for line in ask_all(tree, data, part, lang, python):
                fh.write(line + "\n")
                d = normalise(json.loads(line), data)
                lines[str(d["id"])] = d
    return {"lines": lines, "s": time.monotonic() - t0, "raw": raw}


def normalise(d: dict[str, Any], data: Path) -> dict[str, Any]:
    """The line without its timings, and without the run's own data-directory path."""
    d = {k: v for k, v in d.items() if k not in TIMING_FIELDS}
    if isinstance(d.get("why"), str):
        d["why"] = d["why"].replace(str(data), "<data_dir>")
    return d


def compare(a: dict[str, dict[str, Any]], b: dict[str, dict[str, Any]], questions: list[Question],
            show: int, names: tuple[str, str]) -> int:
    differing = [q for q in questions if a.get(q.qid) != b.get(q.qid)]
    print(f"{names[0]} vs {names[1]}: {len(questions)} questions, {len(questions) - len(differing)} "
          f"identical lines, {len(differing)} differing")
    for q in differing[:show]:
        x, y = a.get(q.qid) or {}, b.get(q.qid) or {}
        print(f"  {q.qid} [{q.lang}] {q.text!r}")
        for k in sorted(set(x) | set(y)):
            if x.get(k) != y.get(k):
                print(f"    {k}: {json.dumps(x.get(k), ensure_ascii=False)[:300]}")
                print(f"    {' ' * len(k)}  {json.dumps(y.get(k), ensure_ascii=False)[:300]}")
    return len(differing)


def checkout(rev: str, work: Path) -> tuple[Path, bool]:
    """(work tree, made here) for a commit or an existing folder."""
    if Path(rev).is_dir():
        return Path(rev).resolve(), False
    sha = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--verify", f"{rev}^{{commit}}"],
                         check=True, capture_output=True, text=True).stdout.strip()
    tree = work / f"wt-{sha[:10]}"
    if not tree.exists():
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree), sha],
                       check=True, capture_output=True)
    return tree, True


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before", help="commit or work-tree folder")
    ap.add_argument("after", help="commit or work-tree folder")
    ap.add_argument("--repeat", action="store_true", help="run BEFORE twice first (must be identical)")
    ap.add_argument("--jobs", type=int, default=1, help="runs at a time (default 1)")
    ap.add_argument("--show", type=int, default=10, help="differences printed per comparison")
    ap.add_argument("--limit", type=int, default=0, help="first N questions only (a quick check)")
    ap.add_argument("--out", type=Path, help="keep the raw output lines here (default: a temp folder)")
    ap.add_argument("--python", default=sys.executable, help="interpreter with the kiosk's dependencies")
    args = ap.parse_args(argv)

    questions = load_questions(question_files())
    if args.limit:
        questions = questions[: args.limit]
    by_lang = {lang: sum(q.lang == lang for q in questions) for lang in ("vi", "en")}
    print(f"{len(questions)} questions ({by_lang['vi']} vi, {by_lang['en']} en) from "
          f"{len(question_files())} files")
    work = Path(tempfile.mkdtemp(prefix="ask-identity-"))
    made: list[Path] = []
    try:
        trees = {}
        for rev in (args.before, args.after):
            tree, new = checkout(rev, work)
            trees[rev] = tree
            if new:
                made.append(tree)
        jobs = [("before-1", args.before)] + ([("before-2", args.before)] if args.repeat else [])
        jobs.append(("after", args.after))
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            futures = {label: pool.submit(run, trees[rev], work, label, questions, args.python)
                       for label, rev in jobs}
            results = {label: f.result() for label, f in futures.items()}
        for label, rev in jobs:
            print(f"run {label} ({rev}): {results[label]['s']:.0f} s")
        diffs = 0
        if args.repeat:
            same = compare(results["before-1"]["lines"], results["before-2"]["lines"], questions, args.show,
                           (f"{args.before} run 1", f"{args.before} run 2"))
            if same:
                print("the same commit answered differently twice: the comparison below is not meaningful")
            diffs += same
        diffs += compare(results["before-1"]["lines"], results["after"]["lines"], questions, args.show,
                         (args.before, args.after))
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            for label, _ in jobs:
                shutil.copy(results[label]["raw"], args.out / f"{label}.jsonl")
        return 1 if diffs else 0
    finally:
        for tree in made:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)],
                           capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
