"""End-to-end benchmark → ``## End to end`` in docs/benchmarks.md.

    .venv/bin/python bench/bench_e2e.py               # latency + UI frame time + memory (about 4 min)
    .venv/bin/python bench/bench_e2e.py --rounds 1    # quicker
    .venv/bin/python bench/bench_e2e.py --no-write    # print only

Three measurements, all with the kiosk's default engines (viet-asr with English detection, the
sample bundle's real knowledge store, template answers, espeak-ng):

1. **End of speech → first audio.** Real Vietnamese recordings (tests/fixtures/vieneu, 0.5 s of
   silence before, 2 s after) are played into the pipeline through a virtual microphone
   (``WavSource(realtime=True)``: chunks arrive at the pace of speech). The sound card is a fake
   output stream that consumes audio in real time and notes when the first block arrives. Latency =
   the endpointer's delay after the last speech frame (``capture.end_detected_s``, includes the 0.7 s
   hang-over) + the recogniser's final pass + the time from the end of capture to the first block
   written. The recordings are not kiosk questions, so they get the (template) refer-to-staff answer;
   typed in-scope questions give the transcript → first audio part for real procedure answers.
2. **UI frame time** while recognition and synthesis run: the Kivy app (SDL offscreen, 800×480)
   runs with the real worker and pipeline; a Clock callback every frame records frame intervals;
   max and p95 during questions (target < 50 ms).
3. **Resident memory** of that whole kiosk process (UI + pipeline + knowledge, no LLM), target ≤ 1 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import REPO  # the repository on sys.path, engines quiet

os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")

FIXTURES = REPO / "tests" / "fixtures" / "vieneu"
TYPED = [  # in-scope questions as residents type or speak them (from bench/eval, one per procedure kind)
    "làm giấy khai sinh cho cháu cần những gì",
    "đăng ký tạm trú ở đâu",
    "chứng thực bản sao mất bao nhiêu tiền",
    "đăng ký kết hôn mất mấy ngày",
    "xin trích lục khai sinh bản sao",
    "người già trên 80 tuổi có được trợ cấp không",
    "làm căn cước cho con",
    "khai tử cho bố cần giấy gì",
]


def clips() -> list[Path]:
    found = sorted(FIXTURES.glob("*.wav"))
    if not found:
        sys.exit(f"no recordings in {FIXTURES}: run .venv/bin/python scripts/fetch_fixtures.py")
    return found


def padded(path: Path) -> bytes:
    from speech.audio import SAMPLE_RATE, read_wav

    pcm, _ = read_wav(path)
    return b"\x00\x00" * (SAMPLE_RATE // 2) + pcm


def prepared_settings(tmp: Path, detect_english: bool = True) -> Any:
    from bench.report import kiosk_settings

    return kiosk_settings(tmp, asr={"detect_english": detect_english})


# ---- 1. latency ---------------------------------------------------------------------------------
def measure_latency(rounds: int, detect_english: bool = True) -> dict[str, Any]:
    from bench.sound_card import bench_player
    from kiosk_app import wiring
    from kiosk_app.core.events import Event, Failed
    from speech.audio import WavSource

    tmp = Path(tempfile.mkdtemp(prefix="bench-e2e-"))
    settings = prepared_settings(tmp, detect_english)
    stamps: dict[str, float] = {}
    events: list[Event] = []
    pipeline = wiring.build_kiosk_pipeline(settings, events.append)
    pipeline.speaker.player = bench_player(stamps, realtime=True)
    rows: list[dict[str, Any]] = []
    current = {"pcm": b""}
    pipeline.source_factory = lambda: WavSource(pcm16=current["pcm"], realtime=True, tail_silence_s=2.0)
    for _ in range(rounds):
        for clip in clips():
            current["pcm"] = padded(clip)
            stamps.clear()
            events.clear()
            answer = pipeline.run_once("vi")
            t = pipeline.last_timings
            failed = [e for e in events if isinstance(e, Failed)]
            if failed or "first_write" not in stamps or answer is None:
                rows.append({"clip": clip.stem, "error": str(failed[0].code) if failed else "no audio"})
                continue
            end_to_capture = t.get("capture_end_detected_s", 0.0) + t.get("capture_final_s", 0.0)
            after = stamps["first_write"] - t["speech_ended"]
            rows.append({"clip": clip.stem, "e2e_s": end_to_capture + after,
                         "endpoint_s": t.get("capture_end_detected_s", 0.0),
                         "final_s": t.get("capture_final_s", 0.0),
                         "answer_s": t["answer_ready"] - t["speech_ended"],
                         "to_audio_s": stamps["first_write"] - t["answer_ready"],
                         "verdict": str(answer.verdict), "language": answer.language})
    typed: list[dict[str, Any]] = []
    for q in TYPED:
        stamps.clear()
        events.clear()
        t0 = time.monotonic()
        answer = pipeline.ask_text(q, "vi")
        if answer is None or "first_write" not in stamps:
            typed.append({"q": q, "error": "no audio"})
            continue
        typed.append({"q": q, "procedure": answer.procedure_id, "first_audio_s": stamps["first_write"] - t0,
                      "answer_s": pipeline.last_timings["answer_ready"] - t0})

    pipeline.close()
    return {"voice": rows, "typed": typed}


# ---- 2 + 3. the app: frame time and memory (own process) ------------------------------------------
def run_app(rounds: int, detect_english: bool = True) -> dict[str, Any]:
    """Runs in a child process: the real KioskApp + worker + pipeline, questions from recordings."""
    os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
    os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="kivyhome-"))
    from kivy.config import Config

    Config.set("graphics", "width", "800")
    Config.set("graphics", "height", "480")
    Config.set("graphics", "maxfps", "60")
    from kivy.clock import Clock

    from bench.report import rss_mb
    from bench.sound_card import bench_player
    from kiosk_app import wiring
    from kiosk_app.core.events import Event, Idle, Listening
    from kiosk_app.pipeline.worker import PipelineWorker
    from kiosk_app.ui.app import KioskApp
    from speech.audio import WavSource

    tmp = Path(tempfile.mkdtemp(prefix="bench-e2e-app-"))
    settings = prepared_settings(tmp, detect_english)
    queue = [padded(c) for _ in range(rounds) for c in clips()]
    current = {"pcm": b""}
    stamps: dict[str, float] = {}

    def build(sink: Any) -> Any:
        p = wiring.build_kiosk_pipeline(settings, sink)
        p.source_factory = lambda: WavSource(pcm16=current["pcm"], realtime=True, tail_silence_s=2.0)
        p.player = bench_player(stamps, realtime=True)
        return p

    frames: list[tuple[float, bool]] = []  # (interval, during a question)
    slow: list[str] = []  # the events just before each frame over 50 ms
    recent: list[str] = []
    state = {"busy": False, "last": time.perf_counter(), "done": 0, "ready": False}
    result: dict[str, Any] = {}

    class BenchApp(KioskApp):
        def handle(self, ev: Event) -> None:
            recent.append(type(ev).__name__)
            del recent[:-3]
            super().handle(ev)
            if isinstance(ev, Listening):
                state["busy"] = True
            elif isinstance(ev, Idle) and state["busy"]:
                state["busy"] = False
                state["done"] += 1
                Clock.schedule_once(lambda _dt: next_question(), 0.5)
            elif type(ev).__name__ == "BundleActivated" and not state["ready"]:
                state["ready"] = True
                result["rss_ready_mb"] = rss_mb()
                Clock.schedule_once(lambda _dt: next_question(), 1.0)

    app = BenchApp(settings, worker_factory=lambda sink, ready: PipelineWorker(build, sink, on_ready=ready))

    def next_question() -> None:
        if not queue:
            result["rss_end_mb"] = rss_mb()
            app.stop()
            return
        current["pcm"] = queue.pop(0)
        app.controller.ask_voice()

    def tick(_dt: float) -> None:
        now = time.perf_counter()
        frames.append((now - state["last"], bool(state["busy"])))
        if now - state["last"] > 0.05 and len(frames) > 5:
            slow.append(f"{(now - state['last']) * 1000:.0f} ms after {'/'.join(recent)}")
        state["last"] = now

    # A real display's buffer swap makes the GPU finish each frame. The SDL offscreen window's swap
    # does not, so Mesa llvmpipe would defer the drawing of many frames and charge it all to the next
    # texture upload (a label changing): 150-450 ms stalls that no displayed kiosk has. glFinish after
    # each frame puts every frame's own drawing into its own interval.
    from kivy.core.window import Window
    from kivy.graphics.opengl import glFinish

    Window.bind(on_flip=lambda *_a: glFinish())
    Clock.schedule_interval(tick, 0)
    Clock.schedule_once(lambda _dt: app.stop(), 60 + 15 * len(queue))  # safety net
    t0 = time.perf_counter()
    app.run()
    busy = [f for f, b in frames[5:] if b]
    idle = [f for f, b in frames[5:] if not b]
    from resource import RUSAGE_SELF, getrusage

    result.update(slow_frames=slow, busy_frames=busy, idle_frames=idle, questions=state["done"],
                  wall_s=time.perf_counter() - t0, peak_rss_mb=getrusage(RUSAGE_SELF).ru_maxrss / 1024)
    return result


# ---- report ---------------------------------------------------------------------------------------
def fmt_ms(values: list[float]) -> str:
    from bench.report import pct

    if not values:
        return "n/a"
    ms = [v * 1000 for v in values]
    return f"p50 {statistics.median(ms):.0f} / p95 {pct(ms, 95):.0f} / max {max(ms):.0f} ms (n={len(ms)})"


def voice_table(lat: dict[str, Any]) -> list[str]:
    voice = [r for r in lat["voice"] if "e2e_s" in r]
    return [
        f"| **end of speech → first audio** (target ≤ 1.5 s) | **{fmt_ms([r['e2e_s'] for r in voice])}** |",
        f"| end of last speech frame → end decided (0.7 s hang-over + lag) | "
        f"{fmt_ms([r['endpoint_s'] for r in voice])} |",
        f"| recogniser final pass | {fmt_ms([r['final_s'] for r in voice])} |",
        f"| capture end → answer ready (retrieval + template) | {fmt_ms([r['answer_s'] for r in voice])} |",
        f"| answer ready → first audio block (normalise + espeak-ng + player) | "
        f"{fmt_ms([r['to_audio_s'] for r in voice])} |",
    ]


def verdict(values: list[float], bound: float) -> str:
    from bench.report import pct

    if not values:
        return "not measured"
    return "met" if pct(values, 95) <= bound else "NOT met"


def report(runs: dict[str, tuple[dict[str, Any], dict[str, Any]]]) -> str:
    lines = [
        "Engines: viet-asr, the sample bundle's knowledge (hybrid retrieval, template answers), "
        "espeak-ng; measured with the default Whisper English detection on (`asr.detect_english`) and "
        "off. Recordings: the 6 real Vietnamese vieneu clips (not kiosk questions: each gets the "
        "template refer-to-staff answer), fed through `WavSource(realtime=True)` with 0.5 s of silence "
        "before and 2 s after; the output device is a stand-in that consumes audio in real time.",
        "",
    ]
    for name, (lat, ui) in runs.items():
        voice = [r for r in lat["voice"] if "e2e_s" in r]
        errors = [r for r in lat["voice"] if "error" in r]
        typed = [r for r in lat["typed"] if "first_audio_s" in r]
        e2e = [r["e2e_s"] for r in voice]
        busy, idle = ui.get("busy_frames", []), ui.get("idle_frames", [])
        peak = ui.get("peak_rss_mb", float("nan"))
        lines += [
            f"### {name}",
            "",
            "| measure | value |",
            "|---|---|",
            *voice_table(lat),
            f"| typed in-scope question → first audio (real procedure answers) | "
            f"{fmt_ms([r['first_audio_s'] for r in typed])} |",
            f"| UI frame interval during questions (target < 50 ms; 60 fps cap = 17 ms) | "
            f"{fmt_ms(busy)} |",
            f"| UI frame interval between questions | {fmt_ms(idle)} |",
            f"| resident memory, whole kiosk: ready / after questions / peak (target ≤ 1024 MiB) | "
            f"{ui.get('rss_ready_mb', float('nan')):.0f} / {ui.get('rss_end_mb', float('nan')):.0f} / "
            f"{peak:.0f} MiB |",
            "",
            f"Targets: latency {verdict(e2e, 1.5)} (p95); frame time "
            f"{'met' if busy and max(busy) < 0.05 else 'NOT met (max)' if busy else 'not measured'}; "
            f"memory {'met' if peak <= 1024 else 'NOT met'}. Spoken questions in the app run: "
            f"{ui.get('questions', 0)}.",
            "",
        ]
        if ui.get("slow_frames"):
            lines += [f"Frames over 50 ms ({len(ui['slow_frames'])} of {len(busy) + len(idle)}): "
                      + "; ".join(ui["slow_frames"]) + ".", ""]
        if errors:
            lines += [f"Runs without audio: {len(errors)} ({', '.join(r['error'] for r in errors)}).", ""]
    lines += [
        "The UI run is the real `KioskApp` (Kivy, SDL offscreen at 800×480, Mesa llvmpipe software "
        "rendering) with the real worker thread and engines; a Clock callback every frame records "
        "the interval, and `glFinish` after every frame makes llvmpipe draw each frame inside its own "
        "interval, as a displayed window's buffer swap does (without it the offscreen window defers "
        "the drawing of many frames and charges it to the next changed label: 150–450 ms stalls that "
        "are an artefact of the offscreen driver, found with py-spy and strace). The worker thread "
        "runs at nice +5 (its engine threads inherit it) so the screen keeps its CPU share. espeak-ng "
        "runs as a short child process and is not in the memory figure. "
        "Other benchmarks shared the 2 cores during some runs (see the load average above); rerun on an "
        "idle kiosk before trusting absolute numbers.",
    ]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description="end-to-end benchmark")
    ap.add_argument("--rounds", type=int, default=2, help="passes over the 6 recordings")
    ap.add_argument("--only-default", action="store_true", help="skip the run without English detection")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--app-child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--no-detect", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.app_child:
        sys.stdout.write("RESULT " + json.dumps(run_app(args.rounds, not args.no_detect)) + "\n")
        return 0
    configs = {"English detection on (default)": True}
    if not args.only_default:
        configs["English detection off"] = False
    runs: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    ok = True
    for name, detect in configs.items():
        lat = measure_latency(args.rounds, detect)
        cmd = [sys.executable, __file__, "--app-child", "--rounds", str(args.rounds)]
        child = subprocess.run(cmd + ([] if detect else ["--no-detect"]), capture_output=True, text=True,
                               cwd=REPO)
        ui: dict[str, Any] = {}
        for line in child.stdout.splitlines():
            if line.startswith("RESULT "):
                ui = json.loads(line[7:])
        if not ui:
            ok = False
            sys.stderr.write(child.stderr[-4000:])
        runs[name] = (lat, ui)
    body = report(runs)
    sys.stdout.write(body + "\n")
    if not args.no_write:
        from bench.report import write_section

        write_section("End to end", body)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
