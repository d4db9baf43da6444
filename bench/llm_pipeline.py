"""The local LLM measured *through the kiosk pipeline* (used by ``bench/bench_llm.py --pipeline``).

Question text → ``Pipeline.ask_text`` → hybrid retrieval over the sample bundle → the LLM answerer
(the kiosk's time limits, its guard, the spawned llama.cpp child) → sentences spoken as they come →
espeak-ng (or a silent synthesiser with ``--fake-tts``) → the real ``speech.playback.Player`` writing to
a sound card that accepts audio at once and notes when the first block arrives. *First audio* =
question text in → first block at the sound card: what a resident waits for.

Each eval question follows a first question naming its procedure (as a resident would ask "đăng ký
khai sinh" and then "ông bà đi thay được không"): the follow-up context keeps a vague question on
that procedure; retrieval still decides. The model's KV cache is emptied before every measured
question, so the record's prompt comes from the precomputed state on disk, or (the "no state" pass)
is read in full.
"""

from __future__ import annotations

import re
import resource
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench.report import pct

TARGET_FIRST_S = 2.5


class SilentVoice:
    """``--fake-tts``: 0.2 s of silence per sentence, synthesised instantly."""

    def synthesize(self, text: str, *, rate: float = 1.0) -> Iterator[Any]:
        from speech.tts.base import AudioChunk

        yield AudioChunk(b"\x00\x00" * 3200, 16000, text)


class _NoRecognizer:
    """Typed questions only: the recogniser is never asked."""

    def start(self, sample_rate: int) -> Any:
        raise RuntimeError("bench pipeline: no microphone")

    def transcribe(self, pcm16: bytes, sample_rate: int) -> Any:
        raise RuntimeError("bench pipeline: no microphone")


def kiosk_bundle(dest: Path, records: list[Any]) -> Path:
    """The sample bundle unpacked with its semantic index, as bundle import leaves it (built once)."""
    from knowledge.service import prepare_bundle_dir

    if not (dest / "manifest.json").is_file() or not (dest / "index").is_dir():
        prepare_bundle_dir(records, dest, bundle_id="sample", version="bench")
    return dest


class KioskRig:
    """A kiosk pipeline around one ``Knowledge`` (with the LLM answerer); see the module docstring."""

    def __init__(self, settings: Any, knowledge: Any, *, fake_tts: bool = False) -> None:
        from bench.sound_card import bench_player
        from kiosk_app.pipeline import Pipeline
        from kiosk_app.wiring import build_synthesizer, build_vad

        self.events: list[Any] = []
        self.marks: dict[str, float] = {}
        voice: Any = SilentVoice() if fake_tts else build_synthesizer(settings, "vi")
        self.voice = "silent (--fake-tts)" if fake_tts else type(voice).__name__
        self.pipeline = Pipeline(settings, source_factory=self._no_mic, vad=build_vad(settings),
                                 recognizer=_NoRecognizer(),  # type: ignore[arg-type]
                                 knowledge=knowledge, synthesizer=voice,
                                 player=bench_player(self.marks),
                                 on_event=self.events.append)

    @staticmethod
    def _no_mic() -> Any:
        raise RuntimeError("bench pipeline: no microphone")

    def ask(self, text: str) -> tuple[float, Any]:
        """(seconds from question text to the first block at the sound card, the final answer)."""
        from kiosk_app.events import AnswerFinal

        self.events.clear()
        self.marks.clear()
        t0 = time.monotonic()
        shown = self.pipeline.ask_text(text)
        final = next((e.answer for e in self.events if isinstance(e, AnswerFinal)), shown)
        first = self.marks.get("first_write")
        return (first - t0 if first is not None else float("nan")), final

    def close(self) -> None:
        self.pipeline.close()


def measure(rig: KioskRig, answerer: Any, rows: list[dict[str, Any]], records: dict[str, Any],
            evict: Callable[[], None], log: Callable[[str], None]) -> list[dict[str, Any]]:
    """Ask every row through the pipeline after a first question naming its procedure."""
    from kiosk_app.events import AnswerReady, Speaking

    out = []
    for row in rows:
        rig.pipeline.new_conversation()
        rig.ask(records[row["expect"]].title)  # "đăng ký khai sinh": the template answers, context set
        evict()
        first_s, final = rig.ask(row["text"])
        ready = next(e for e in rig.events if isinstance(e, AnswerReady))
        said = [e.sentence for e in rig.events if isinstance(e, Speaking)]
        t = answerer.last_timings if ready.live else {}
        x = {"id": row["id"], "question": row["text"], "expect": row["expect"],
             "procedure": final.procedure_id, "live": ready.live, "answerer": final.answerer,
             "reason": final.reason, "first_s": first_s, "first_sentence": said[0] if said else "",
             "llm_first": final.answerer in ("llm", "llm+template"),
             "card_s": rig.pipeline.last_timings.get("answer_ready", 0.0)
             - rig.pipeline.last_timings.get("start", 0.0),
             "state": t.get("state"), "prompt_ms": t.get("prompt_ms"), "rss": t.get("rss_peak_mb"),
             "spoken": final.spoken}
        out.append(x)
        log(f"    {x['id']} {x['procedure'] or '-':24} {x['answerer']:12} {x['reason']:24} first audio "
            f"{first_s:.2f} s [{x['state']}] {said[0][:60] if said else ''}")
    return out


def peak_rss_mb(pid: int | None) -> float:
    """Peak resident memory (VmHWM) of a running process, in MiB."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (OSError, TypeError):
        return float("nan")
    m = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(m.group(1)) / 1024 if m else float("nan")


def run(answerer_for: Callable[[bool], Any], settings: Any, bundle: Path, records: dict[str, Any],
        rows: list[dict[str, Any]], *, fake_tts: bool, evict: Callable[[], None],
        log: Callable[[str], None], child_pid: int | None = None) -> dict[str, Any]:
    """Both passes for one model: with the precomputed record states, then without any.
    ``answerer_for(with_state)`` → a ``LlamaAnswerer`` on the model's (shared) child."""
    from knowledge.service import Knowledge

    res: dict[str, Any] = {"first_limit": answerer_for(True).first_timeout}
    for label, with_state in (("precomputed state", True), ("no state", False)):
        answerer = answerer_for(with_state)
        kn = Knowledge.open(bundle, settings, answerer=answerer)
        rig = KioskRig(settings, kn, fake_tts=fake_tts)
        res["voice"] = rig.voice
        log(f"  kiosk pipeline, {label}:")
        try:
            rig.ask("làm giấy khai sinh cần gì")  # warm-up: E5, espeak-ng, player
            res[label] = measure(rig, answerer, rows, records, evict, log)
        finally:
            kn.answerer = None  # the child is shared: closing the pipeline must not stop it
            rig.close()
    res["kiosk_rss_peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    res["child_rss_peak_mb"] = peak_rss_mb(child_pid)  # over the child's life: load, prepare, answers
    return res


def _p(xs: list[float]) -> str:
    if not xs:
        return "-"
    return f"{statistics.median(xs):.2f} / {pct(xs, 95):.2f} / {max(xs):.2f} s"


def render(results: list[dict[str, Any]]) -> list[str]:
    with_pipe = [r for r in results if r.get("pipeline")]
    if not with_pipe:
        return []
    limit = with_pipe[0]["pipeline"].get("first_limit", TARGET_FIRST_S)
    lines = [
        "**Through the kiosk pipeline** (`bench_llm.py --pipeline`): question text → retrieval (hybrid, "
        "sample bundle, after a first question naming the procedure) → LLM answerer with the kiosk's "
        f"limits (first sentence {limit:g} s, then the template speaks) → sentences spoken as the model "
        "writes them → TTS → player; *first audio* = first block at the sound card. *LLM first* = the "
        "model's own sentence was the first heard (else the template's, after the limit or a guard "
        "rejection). *Guard pass* = replies the guard let speak, of those the model wrote in time.",
        "",
        "| model | prompt | first audio p50 / p95 / max | LLM first | LLM first ≤ 2.5 s: first audio "
        "p50 | right procedure | who spoke (reason) | guard pass | peak RSS child / kiosk |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in with_pipe:
        p = r["pipeline"]
        for label in ("precomputed state", "no state"):
            rows = p.get(label, [])
            if not rows:
                continue
            live = [x for x in rows if x["live"]]
            llm_first = [x for x in live if x["llm_first"]]
            fast = [x["first_s"] for x in llm_first if x["first_s"] <= TARGET_FIRST_S]
            written = [x for x in live if x["reason"] not in ("llm-timeout", "llm-not-ready")]
            passed = [x for x in written if x["llm_first"]]
            who = Counter(f"{x['answerer']} ({x['reason']})" for x in rows)
            firsts = [x["first_s"] for x in rows]
            lines.append(
                f"| {r['model']} ({r.get('threads', '?')} thr) | {label} | {_p(firsts)} "
                f"| {len(llm_first)}/{len(rows)} | {len(fast)} ({_p(fast).split(' / ')[0]}) "
                f"| {sum(x['procedure'] == x['expect'] for x in rows)}/{len(rows)} "
                f"| {', '.join(f'{k} ×{v}' for k, v in who.most_common())} "
                f"| {len(passed)}/{len(written)} "
                f"| {p.get('child_rss_peak_mb', float('nan')):.0f} / {p['kiosk_rss_peak_mb']:.0f} MiB |")
    lines.append("")
    lines.append(f"Voice: {with_pipe[0]['pipeline'].get('voice', '?')}. The kiosk process RSS includes the "
                 "E5 retrieval model and the synthesiser; the child runs the model alone.")
    return lines
