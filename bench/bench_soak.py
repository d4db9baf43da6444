"""Soak: thousands of questions through the whole kiosk pipeline → ``## Soak`` in docs/benchmarks.md.

    .venv/bin/python bench/bench_soak.py                 # 2,000 questions (≈ 15–30 min on 2 cores)
    .venv/bin/python bench/bench_soak.py --n 200         # shorter
    .venv/bin/python bench/bench_soak.py --data-dir D    # reuse a data folder with an active bundle

The kiosk's own wiring (``wiring.build_kiosk_pipeline``: viet-asr with Whisper English detection,
hybrid retrieval over the sample bundle, template answers, espeak-ng for Vietnamese and the Piper
joe voice for English) and the real ``Player`` (its producer/writer threads run for every answer)
on a sound-card stand-in that discards the audio. Every ``--voice-every``-th question is one of the
6 real recordings (cut to ``--clip-s`` seconds to keep iterations cheap) through the fake microphone
``WavSource``; the others are typed questions from bench/eval/*.jsonl via ``ask_text`` (every
``--english-every``-th of them English). Measured: resident memory (RSS) at 10 % of the run vs
the end (target growth < 5 %), Python and native threads and open file descriptors after warm-up
vs the end (no leaks), every ``Failed`` event and exception (target: none), time per question.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

import _common  # noqa: F401  (the repository on sys.path, engines quiet)

from bench.report import (
    EVAL,
    FIXTURES,
    PLOTS,
    kiosk_settings,
    machine,
    pct,
    peak_rss_mb,
    rss_mb,
    write_section,
)

TARGET_GROWTH = 5.0  # percent


def log(msg: str) -> None:
    sys.stderr.write(f"[{time.strftime('%H:%M:%S')}] {msg}\n")
    sys.stderr.flush()


def native_threads() -> int:
    return len(os.listdir("/proc/self/task"))


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def sqlite_pool() -> int:
    """Connections in Chroma's SQLite pool (Rust sqlx): one worker thread and one database fd each.
    The pool opens connections on demand and closes them with the store, so it is counted apart from
    the threads and fds that would be leaks."""
    n = 0
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/comm", encoding="utf-8") as f:
                n += f.read().startswith("sqlx-sqlite-wor")
        except OSError:  # the thread ended meanwhile
            pass
    return n


def snapshot(i: int) -> dict[str, float]:
    import threading

    pool = sqlite_pool()
    return {"i": i, "rss_mb": rss_mb(), "threads": threading.active_count(),
            "native_threads": native_threads() - pool, "fds": open_fds() - pool, "pool": pool,
            "t": time.monotonic()}


def clips(seconds: float) -> list[bytes]:
    from speech.audio import SAMPLE_RATE, read_wav

    wavs = sorted(FIXTURES.glob("*.wav"))
    if not wavs:
        sys.exit(f"no recordings in {FIXTURES}: run .venv/bin/python scripts/fetch_fixtures.py")
    lead = b"\x00\x00" * int(0.3 * SAMPLE_RATE)
    return [lead + read_wav(w)[0][:int(seconds * SAMPLE_RATE) * 2] for w in wavs]


def texts() -> tuple[list[str], list[str]]:
    vi: list[str] = []
    en: list[str] = []
    for f in sorted(EVAL.glob("*.jsonl")):
        if f.name.startswith("llm"):
            continue
        rows = [json.loads(line) for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
        (en if f.name.startswith("en") else vi).extend(r["text"] for r in rows)
    return vi, en


def schedule(n: int, voice_every: int, english_every: int) -> list[tuple[str, int]]:
    """(kind, index) of every question: kind "voice" (clip index) or "vi"/"en" (index into that pool)."""
    out: list[tuple[str, int]] = []
    n_text = 0
    for i in range(1, n + 1):
        if i % voice_every == 0:
            out.append(("voice", i // voice_every))
        else:
            n_text += 1
            out.append(("en" if n_text % english_every == 0 else "vi", n_text * 7))
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    from bench.sound_card import bench_player
    from kiosk_app import wiring
    from kiosk_app.core.events import Event, Failed
    from speech.audio import WavSource

    data = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="bench-soak-"))
    settings = kiosk_settings(data)
    events: list[Event] = []
    pipeline = wiring.build_kiosk_pipeline(settings, events.append)
    pipeline.speaker.player = bench_player()
    voice_clips = clips(args.clip_s)
    vi, en = texts()
    current = {"pcm": b""}
    pipeline.source_factory = lambda: WavSource(pcm16=current["pcm"], tail_silence_s=1.0)

    res: dict[str, Any] = {"machine": machine(), "n": args.n, "samples": [], "errors": Counter(),
                           "exceptions": [], "kinds": Counter(), "iter_s": {"voice": [], "vi": [], "en": []},
                           "answers": Counter()}
    res["start"] = snapshot(0)
    every = max(1, args.n // 100)
    tenth = max(1, args.n // 10)
    t_start = time.monotonic()
    cpu0 = time.process_time()
    res.update(voice_every=args.voice_every, english_every=args.english_every)
    for i, (kind, k) in enumerate(schedule(args.n, args.voice_every, args.english_every), 1):
        events.clear()
        t0 = time.monotonic()
        try:
            if kind == "voice":
                current["pcm"] = voice_clips[k % len(voice_clips)]
                answer = pipeline.run_once("vi")
            else:
                pool = en if kind == "en" else vi
                answer = pipeline.ask_text(pool[k % len(pool)], kind)
        except Exception as err:  # the pipeline must never raise; count it and go on
            res["exceptions"].append(f"{i}: {type(err).__name__}: {err}\n{traceback.format_exc()[-800:]}")
            continue
        res["iter_s"][kind].append(time.monotonic() - t0)
        res["kinds"][kind] += 1
        for e in events:
            if isinstance(e, Failed):
                res["errors"][f"{kind}:{e.code}"] += 1
        res["answers"]["refer" if answer is None or answer.refer_to_staff else "answered"] += 1
        if i == tenth:
            gc.collect()
            res["tenth"] = snapshot(i)
        if i % every == 0:
            res["samples"].append(snapshot(i))
            if i % (every * 10) == 0:
                s = res["samples"][-1]
                log(f"{i}/{args.n}: RSS {s['rss_mb']:.0f} MiB, threads {s['threads']}/{s['native_threads']}, "
                    f"fds {s['fds']}, errors {sum(res['errors'].values())}, "
                    f"{(time.monotonic() - t_start) / i:.2f} s/question")
    gc.collect()
    res["end"] = snapshot(args.n)
    res["wall_s"] = time.monotonic() - t_start
    res["cpu_s"] = time.process_time() - cpu0
    res["peak_rss_mb"] = peak_rss_mb()

    pipeline.close()
    res["closed"] = snapshot(args.n)
    return res


def plot(res: dict[str, Any]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    PLOTS.mkdir(parents=True, exist_ok=True)
    s = res["samples"]
    xs = [x["i"] for x in s]
    fig, ax = plt.subplots(figsize=(8, 3.6))
    ax.plot(xs, [x["rss_mb"] for x in s], label="resident memory (MiB)", color="tab:blue")
    ax.axvline(res["tenth"]["i"], color="grey", ls=":", lw=1)
    ax.set_xlabel("questions")
    ax.set_ylabel("MiB")
    ax2 = ax.twinx()
    ax2.plot(xs, [x["native_threads"] for x in s], label="native threads", color="tab:orange")
    ax2.plot(xs, [x["fds"] for x in s], label="open file descriptors", color="tab:green")
    ax2.plot(xs, [x.get("pool", 0) for x in s], label="Chroma SQLite pool connections", color="tab:purple")
    ax2.set_ylabel("count")
    lines = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    labels = ax.get_legend_handles_labels()[1] + ax2.get_legend_handles_labels()[1]
    ax.legend(lines, labels, loc="lower right", fontsize=8)
    ax.set_title(f"Soak: {res['n']} questions through the kiosk pipeline")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    name = "soak.png"
    fig.savefig(PLOTS / name, dpi=110)
    plt.close(fig)
    return name


def ms(xs: list[float]) -> str:
    if not xs:
        return "n/a"
    return f"{statistics.median(xs) * 1000:.0f} / {pct(xs, 95) * 1000:.0f}"


def rss_steps(res: dict[str, Any], min_mb: float = 10.0) -> list[tuple[int, int, float, str]]:
    """(first question, last question, MiB, what was asked) for every jump of RSS between two samples."""
    plan = schedule(res["n"], res.get("voice_every", 10), res.get("english_every", 20))
    out = []
    prev = res["samples"][0]
    for s in res["samples"][1:]:
        delta = s["rss_mb"] - prev["rss_mb"]
        if delta >= min_mb:
            kinds = Counter(k for k, _ in plan[prev["i"]:s["i"]])
            names = {"voice": "spoken", "vi": "typed Vietnamese", "en": "typed English"}
            out.append((prev["i"] + 1, s["i"], delta, ", ".join(f"{n} {names[k]}" for k, n in kinds.items())))
        prev = s
    return out


def report(res: dict[str, Any], image: str) -> str:
    a, b, start, closed = res["tenth"], res["end"], res["start"], res["closed"]
    growth = (b["rss_mb"] - a["rss_mb"]) / a["rss_mb"] * 100
    errors = sum(res["errors"].values()) + len(res["exceptions"])
    leak_t = b["native_threads"] - a["native_threads"]
    leak_py = b["threads"] - a["threads"]
    leak_fd = b["fds"] - a["fds"]
    ok = lambda cond: "**met**" if cond else "**NOT met**"  # noqa: E731
    k = res["kinds"]
    lines = [
        f"{res['n']:,} questions through the kiosk pipeline in one process ({k['voice']} spoken: the 6 real "
        f"recordings cut to {res['clip_s']:.1f} s, through the fake microphone; {k['vi']} typed Vietnamese "
        f"and {k['en']} typed English questions from `bench/eval`), default engines, the real `Player` "
        f"threads on a sound card that discards audio. Wall time {res['wall_s'] / 60:.1f} min "
        f"({res['wall_s'] / res['n'] * 1000:.0f} ms per question), CPU {res['cpu_s'] / 60:.1f} min. "
        f"Run on: {res['machine']}. Script: `bench/bench_soak.py`.",
        "",
        f"| check | after warm-up (question {a['i']:,}) | end (question {b['i']:,}) | change | target |",
        "|---|---|---|---|---|",
        f"| resident memory | {a['rss_mb']:.1f} MiB | {b['rss_mb']:.1f} MiB | **{growth:+.2f} %** | "
        f"< {TARGET_GROWTH:.0f} %: {ok(growth < TARGET_GROWTH)} |",
        f"| Python threads | {a['threads']} | {b['threads']} | {leak_py:+d} | no leak: {ok(leak_py <= 0)} |",
        f"| native threads (/proc/self/task) | {a['native_threads']} | {b['native_threads']} | {leak_t:+d} | "
        f"no leak: {ok(leak_t <= 0)} |",
        f"| open file descriptors | {a['fds']} | {b['fds']} | {leak_fd:+d} | no leak: {ok(leak_fd <= 0)} |",
        f"| Chroma SQLite pool connections (a thread + a fd each, not counted above) | {a.get('pool', 0)} | "
        f"{b.get('pool', 0)} | {b.get('pool', 0) - a.get('pool', 0):+d} | closed with the pipeline: "
        f"{ok(closed.get('pool', 0) == 0)} |",
        f"| errors (`Failed` events + exceptions) | | {errors} | | none: {ok(errors == 0)} |",
        "",
        f"Before the first question: RSS {start['rss_mb']:.0f} MiB, {start['threads']} Python / "
        f"{start['native_threads']} native threads, {start['fds']} fds (Whisper detection and the English "
        "voice load and warm up in the background after start, hence the warm-up baseline at 10 %). "
        f"After closing the pipeline: {closed['threads']} Python / {closed['native_threads']} native "
        f"threads, {closed['fds']} fds. "
        f"Peak RSS {res['peak_rss_mb']:.0f} MiB. Answers: {res['answers']['answered']} answered, "
        f"{res['answers']['refer']} referred to staff (recordings and out-of-scope questions are referred).",
        "",
        f"Time per question p50 / p95 ms: spoken {ms(res['iter_s']['voice'])}, typed Vietnamese "
        f"{ms(res['iter_s']['vi'])}, typed English {ms(res['iter_s']['en'])} (including synthesising the "
        "whole answer; the sound card takes audio instantly).",
    ]
    steps = rss_steps(res)
    if steps:
        lines += ["", "Resident memory did not grow steadily but in steps; each step's window of questions "
                  "(between two samples) and what was asked in it:", ""]
        lines += [f"- questions {lo}–{hi}: {delta:+.0f} MiB ({kinds})" for lo, hi, delta, kinds in steps]
    if res.get("kind_runs"):
        lines += ["", "One kind of question only (same script, `--voice-every` / `--english-every`), RSS "
                  "after warm-up (10 %) → end:", ""]
        for name, r in res["kind_runs"].items():
            grew = (r["end"] - r["tenth"]) / r["tenth"] * 100
            note = f", {r['note']}" if r.get("note") else ""
            lines.append(f"- {name}: {r['tenth']:.0f} → {r['end']:.0f} MiB ({grew:+.1f} %){note}")
    if res.get("note"):
        lines += ["", str(res["note"])]
    if res["errors"]:
        lines += ["", "Failed events: " + ", ".join(f"{c} ×{n}" for c, n in res["errors"].most_common())]
    if res["exceptions"]:
        lines += ["", "Exceptions (first 3):", "```", *res["exceptions"][:3], "```"]
    lines += ["", f"![soak](bench/{image})"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=2000, help="questions (default 2000)")
    ap.add_argument("--voice-every", type=int, default=10, help="every k-th question is spoken (default 10)")
    ap.add_argument("--clip-s", type=float, default=2.0, help="recordings cut to this length (default 2 s)")
    ap.add_argument("--english-every", type=int, default=20,
                    help="every k-th typed question is English (default 20)")
    ap.add_argument("--data-dir", help="data folder to use (the sample is activated if nothing is)")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--json", type=Path, help="also write the raw results here")
    ap.add_argument("--render", type=Path, metavar="JSON", help="only re-render a saved --json result")
    args = ap.parse_args(argv)
    if args.render:
        res = json.loads(args.render.read_text(encoding="utf-8"))
        for key in ("errors", "kinds", "answers"):
            res[key] = Counter(res[key])
    else:
        if args.n < 20:
            ap.error("--n must be at least 20")
        res = run(args)
        res["clip_s"] = args.clip_s
    if args.json and not args.render:
        args.json.write_text(json.dumps(res, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    body = report(res, plot(res))
    sys.stdout.write(body + "\n")
    if not args.no_write:
        write_section("Soak", body)
    a, b = res["tenth"], res["end"]
    growth = (b["rss_mb"] - a["rss_mb"]) / a["rss_mb"] * 100
    bad = (growth >= TARGET_GROWTH or b["native_threads"] > a["native_threads"] or b["fds"] > a["fds"]
           or res["closed"].get("pool", 0) or res["errors"] or res["exceptions"])
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
