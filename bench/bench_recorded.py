"""Recorded voice playback benchmark → ``## Recorded voice playback`` in docs/benchmarks.md (issue 20).

    .venv/bin/python bench/bench_recorded.py              # all sample answers (about a minute)
    .venv/bin/python bench/bench_recorded.py --no-write   # print only

Stand-in recordings: every sentence of the sample bundle's answers (TemplateAnswerer, general / fee /
time answer of each record, as bench_tts.py) rendered by espeak-ng and saved at 16 kHz, at levels
spread over ±6 dB as an unchecked import might leave them; and the six real Vietnamese recordings of
the vieneu fixtures (24 kHz) for the loudness spread and "Nói chậm hơn". Measures:

* first audio: ``Player.play()`` called with an answer whose sentences are all recorded → first block
  handed to the sound card (bench.sound_card), cold (no prepared clip cached) and warm; target ≤ 100 ms;
* gaps: silence around every sentence boundary of the produced audio (tests/speech_out/audio_measure:
  10 ms frames under -45 dBFS), fully recorded, half recorded (every other sentence), and espeak-ng
  alone before this change; target 150–400 ms;
* loudness (BS.1770) of every sentence played: spread and distance from ``TARGET_LUFS``; target ±2 LU;
* "Nói chậm hơn" (0.8, 0.6) on the real recordings: duration / (1/rate), f0 change, stretch time;
* round trip: viet-asr's word error rate on the 6 real recordings as stored and as played (1.0, 0.8,
  0.6), so trimming, resampling, levelling and WSOLA are shown not to cost intelligibility;
* stop in the middle of a clip on a device that plays in real time: ``stop()`` → player thread gone.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import threading
import time
import wave
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from _common import REPO  # the repository on sys.path, engines quiet

from bench.report import FIXTURES, summary_ms, write_section
from bench.sound_card import bench_player
from knowledge.bundle.schema import load_records_dir
from knowledge.types import Aspect
from speech.audio.resample import resample
from speech.text.normalize_vi import normalize_for_speech
from speech.tts.base import AudioChunk, Synthesizer
from speech.tts.espeak_engine import EspeakSynthesizer
from speech.tts.loudness import integrated_loudness
from speech.tts.recorded import PAUSE_MS, TARGET_LUFS, Clip, RecordedSynthesizer
from speech.tts.sentences import split_sentences
from tests.speech_out.audio_measure import boundary_gaps, f0_hz, speech_s

RECORDS = REPO / "knowledge" / "sample" / "records"
ASPECTS = (Aspect.GENERAL, Aspect.FEE, Aspect.TIME)
STAND_IN_RATE = 16000


def sample_answers() -> list[list[str]]:
    from knowledge.answer import TemplateAnswerer

    answerer = TemplateAnswerer()
    out = []
    for record in load_records_dir(RECORDS):
        for aspect in ASPECTS:
            answer = answerer.answer("", record, aspect)
            sentences = [s for s in (answer.sentences or split_sentences(answer.spoken)) if s.strip()]
            if sentences:
                out.append(sentences)
    return out


class StandIns:
    def __init__(self, clips: dict[str, Clip]) -> None:
        self.clips = clips

    def clip(self, text: str, language: str = "vi") -> Clip | None:
        return self.clips.get(text)


def fixed(source: StandIns) -> Callable[[], StandIns]:
    return lambda: source


def stand_ins(espeak: EspeakSynthesizer, sentences: set[str]) -> dict[str, Clip]:
    rng = random.Random(20)
    clips = {}
    for i, s in enumerate(sorted(sentences)):
        pcm = b"".join(c.pcm16 for c in espeak.synthesize(s))
        x = resample(np.frombuffer(pcm, dtype="<i2"), 22050, STAND_IN_RATE).astype(np.float64)
        gain = 10 ** (rng.uniform(-6, 6) / 20)
        clips[s] = Clip(np.clip(np.rint(x * gain), -32768, 32767).astype("<i2").tobytes(), STAND_IN_RATE,
                        f"stand-in/{i}")
    return clips


def answer_audio(synth: Synthesizer, sentences: list[str], rate: float = 1.0) -> list[AudioChunk]:
    return [c for s in sentences for c in synth.synthesize(s, rate=rate)]


def gaps_of(chunks: list[AudioChunk]) -> list[float]:
    if len(chunks) < 2:
        return []
    rate = chunks[0].sample_rate
    starts = list(np.cumsum([len(c.pcm16) // 2 for c in chunks])[:-1])
    return boundary_gaps(b"".join(c.pcm16 for c in chunks), rate, starts)


def levels(chunks: list[AudioChunk]) -> list[float]:
    return [integrated_loudness(c.pcm16, c.sample_rate) for c in chunks]


def first_audio(synth: Synthesizer, answers: list[list[str]]) -> list[float]:
    player = bench_player(block_ms=30)
    out = []
    for sentences in answers:
        def produce(sentences: list[str] = sentences) -> Iterator[AudioChunk]:
            for s in sentences:
                yield from synth.synthesize(s)

        player.play(produce())
        out.append(player.last_timings["first_audio_s"])
    return out


def first_clip_cpu(synth: Synthesizer, answers: list[list[str]]) -> list[float]:
    """CPU time of this thread to get the first chunk of each answer (not inflated by other load)."""
    out = []
    for sentences in answers:
        t0 = time.thread_time()
        next(iter(synth.synthesize(sentences[0])))
        out.append(time.thread_time() - t0)
    return out


def stop_latency(synth: Synthesizer, sentence: str, repeats: int) -> list[float]:
    player = bench_player(realtime=True, block_ms=30)
    out = []
    for i in range(repeats):
        started = threading.Event()
        player.start(synth.synthesize(sentence), on_sentence=lambda _t, ev=started: ev.set())
        started.wait(10)
        time.sleep(0.3 + 0.037 * i)
        t0 = time.perf_counter()
        player.stop()
        assert not player.playing
        out.append(time.perf_counter() - t0)
    return out


def real_recordings() -> list[tuple[str, Clip]]:
    out = []
    for wav in sorted(FIXTURES.glob("*.wav")):
        with wave.open(str(wav), "rb") as w:
            clip = Clip(w.readframes(w.getnframes()), w.getframerate(), wav.stem)
        out.append((wav.with_suffix(".txt").read_text(encoding="utf-8").strip(), clip))
    return out


def round_trip(real: list[tuple[str, Clip]], espeak: EspeakSynthesizer) -> dict[str, float]:
    """viet-asr WER of the real recordings: as stored, and as played at each rate."""
    from vietasr import Pipeline

    from speech.asr.wer import edit_distance
    from speech.asr.wer import normalize_words as words

    asr = Pipeline.preset("transcribe")
    errors: dict[str, list[int]] = {}
    for text, clip in real:
        ref = words(normalize_for_speech(text))
        synth = RecordedSynthesizer(espeak, fixed(StandIns({text: clip})))
        played = {"as stored": (clip.pcm16, clip.sample_rate)}
        for rate in (1.0, 0.8, 0.6):
            chunk = next(iter(synth.synthesize(text, rate=rate)))
            played[f"played at {rate}"] = (chunk.pcm16, chunk.sample_rate)
        for label, (pcm, sr) in played.items():
            hyp = words(asr.transcribe(np.frombuffer(pcm, dtype="<i2").copy(), sr).text)
            e = errors.setdefault(label, [0, 0])
            e[0] += edit_distance(ref, hyp)
            e[1] += len(ref)
    return {label: e / n for label, (e, n) in errors.items()}


def fmt_range(values: list[float], unit: str = "", scale: float = 1.0, digits: int = 0) -> str:
    if not values:
        return "n/a"
    v = [x * scale for x in values]
    return (f"{min(v):.{digits}f}–{max(v):.{digits}f}{unit} (median {statistics.median(v):.{digits}f}, "
            f"n={len(v)})")


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--no-asr", action="store_true", help="skip the viet-asr round trip")
    ap.add_argument("--no-write", action="store_true", help="print the section, do not write the doc")
    args = ap.parse_args(argv)

    espeak = EspeakSynthesizer("vi", normalizer=normalize_for_speech)
    answers = sample_answers()
    sentences = {s for a in answers for s in a}
    clips = stand_ins(espeak, sentences)
    real = real_recordings()
    t0 = time.perf_counter()

    cold = RecordedSynthesizer(espeak, lambda: StandIns(clips), cache_bytes=0)
    warm = RecordedSynthesizer(espeak, lambda: StandIns(clips))
    first_cold = first_audio(cold, answers)
    cpu_cold = first_clip_cpu(cold, answers)
    first_tts = first_audio(espeak, answers)
    first_audio(warm, answers)  # fills the cache
    first_warm = first_audio(warm, answers)

    full = [answer_audio(cold, a) for a in answers]
    half_clips = {s: c for i, (s, c) in enumerate(sorted(clips.items())) if i % 2 == 0}
    mixed_synth = RecordedSynthesizer(espeak, lambda: StandIns(half_clips))
    mixed = [answer_audio(mixed_synth, a) for a in answers]
    before = [answer_audio(espeak, a) for a in answers]
    gaps_full = [g for a in full for g in gaps_of(a)]
    gaps_mixed = [g for a in mixed for g in gaps_of(a)]
    gaps_before = [g for a in before for g in gaps_of(a)]
    mixed_levels = [lv for a in mixed for lv in levels(a)]
    raw_stand_in = [integrated_loudness(c.pcm16, c.sample_rate) for c in clips.values()]
    raw_espeak = [lv for a in before for lv in levels(a)]
    raw_real = [integrated_loudness(c.pcm16, c.sample_rate) for _t, c in real]
    real_synth = RecordedSynthesizer(espeak, lambda: StandIns(dict(real)))
    real_levels = [lv for t, _c in real for lv in levels(list(real_synth.synthesize(t)))]

    slow_rows = []
    for rate in (0.8, 0.6):
        ratios, f0s, times = [], [], []
        for text, clip in real:
            source = StandIns({text: clip})
            synth = RecordedSynthesizer(espeak, fixed(source), cache_bytes=0)
            normal = next(iter(synth.synthesize(text)))
            t1 = time.perf_counter()
            slow = next(iter(synth.synthesize(text, rate=rate)))
            times.append(time.perf_counter() - t1)
            longer = speech_s(slow.pcm16, slow.sample_rate) / speech_s(normal.pcm16, normal.sample_rate)
            ratios.append(longer * rate)
            f0s.append(f0_hz(slow.pcm16, slow.sample_rate) / f0_hz(normal.pcm16, normal.sample_rate) - 1)
        slow_rows.append((rate, ratios, f0s, times))
    longest = max(real, key=lambda tc: len(tc[1].pcm16))
    wer = {} if args.no_asr else round_trip(real, espeak)
    stops = stop_latency(RecordedSynthesizer(espeak, lambda: StandIns(dict(real))), longest[0], 10)
    elapsed = time.perf_counter() - t0

    n_sent = sum(len(a) for a in answers)
    spread = max(mixed_levels) - min(mixed_levels)
    worst = max(abs(lv - TARGET_LUFS) for lv in mixed_levels + real_levels)
    before_levels = " / ".join(fmt_range(v, digits=1) for v in (raw_stand_in, raw_espeak, raw_real))
    stats = mixed_synth.stats
    share = f"{stats.recorded_share:.0%} of {stats.recorded_s + stats.synthesized_s:.0f} s"
    body = f"""Run: `python bench/bench_recorded.py` ({elapsed:.0f} s). {len(answers)} sample answers
(TemplateAnswerer: general, fee and time answer of each record), {n_sent} sentences,
{len(sentences)} distinct.
**Stand-in recordings**: espeak-ng renderings of each sentence saved at 16 kHz with a random gain of
±6 dB (not a human voice: the playback code cannot tell); the six real vieneu recordings (24 kHz)
for loudness and "Nói chậm hơn". Played as the pipeline does (one `synthesize` per sentence) through
`speech.tts.recorded.RecordedSynthesizer` onto `Player` with a bench sound card.

| measure | result | target |
|---|---|---|
| first audio, fully recorded answer, cold (clip prepared on demand) | {summary_ms(first_cold)} | ≤ 100 ms |
| first audio, same, warm (prepared clip cached) | {summary_ms(first_warm)} | ≤ 100 ms |
| CPU time to prepare the first clip, cold (not inflated by load) | {summary_ms(cpu_cold)} | |
| first audio, espeak-ng alone, same player (reference) | {summary_ms(first_tts)} | |
| gaps between sentences, fully recorded | {fmt_range(gaps_full, " ms", 1000)} | 150–400 ms |
| gaps, half recorded (clip / espeak-ng interleaved) | {fmt_range(gaps_mixed, " ms", 1000)} | 150–400 ms |
| gaps, espeak-ng alone (before) | {fmt_range(gaps_before, " ms", 1000)} | |
| loudness of every sentence, half recorded | {fmt_range(mixed_levels, " LUFS", digits=1)}, spread \
{spread:.1f} LU | ±2 LU |
| loudness of the 6 real recordings, played | {fmt_range(real_levels, " LUFS", digits=1)} | ±2 LU |
| worst distance from `TARGET_LUFS` ({TARGET_LUFS:.0f}) | {worst:.2f} LU | ≤ 2 LU |
| before: stand-ins / espeak-ng / real recordings as stored (LUFS) | {before_levels} | |
| recorded share of speech, half recorded | {share} | |
| stop mid-clip → player thread gone (real-time card) | {summary_ms(stops)} | one 30 ms block |
"""
    body += """
"Nói chậm hơn" on the 6 real recordings (WSOLA, `speech.tts.stretch`): speech duration × rate (1.00 =
exactly 1/rate longer), f0 change (median autocorrelation f0 of voiced frames), time to stretch + prepare:

| rate | duration × rate | f0 change | prepare time |
|---|---|---|---|
"""
    for rate, ratios, f0s, times in slow_rows:
        body += (f"| {rate} | {min(ratios):.3f}–{max(ratios):.3f} | {min(f0s):+.1%} … {max(f0s):+.1%} | "
                 f"{summary_ms(times)} |\n")
    if wer:
        body += "\nviet-asr word error rate on the 6 real recordings (round trip): " + ", ".join(
            f"{label} {v:.1%}" for label, v in wer.items()) + ".\n"
    body += f"""
The pause after every sentence is `PAUSE_MS` = {PAUSE_MS} ms; the measured gap adds the ≤ 20 ms kept at each
trimmed edge minus what of it is under -45 dBFS. Times are wall-clock on a machine shared by several
developers (load average {_load():.0f} on 2 cores during this run), so they overstate a kiosk's.
"""
    print(body)
    if not args.no_write:
        write_section("Recorded voice playback", body)
    return 0


def _load() -> float:
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except OSError:
        return float("nan")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
