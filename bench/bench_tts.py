"""Voice out benchmark → ``## Voice out`` in docs/benchmarks.md.

    .venv/bin/python bench/bench_tts.py              # all sample answers (about 4 min on 2 cores)
    .venv/bin/python bench/bench_tts.py --limit 10   # quicker
    .venv/bin/python bench/bench_tts.py --no-write   # print only

Measures, for the spoken answers the kiosk gives on the sample bundle (TemplateAnswerer: general,
fee and time answer of every record):

* first audio: from ``Player.play()`` being called with the answer text to the first block handed
  to PortAudio (synthesis of sentence 1 + stream open + volume), target ≤ 300 ms. Real sounddevice /
  PortAudio / ALSA path; the "sound card" is ALSA's file plugin (STACK.md §4) unless --real-device;
* synthesis real-time factor per engine (espeak-ng target ≤ 0.2);
* round-trip intelligibility: synthesise, transcribe with viet-asr, WER against the normalised text;
  espeak-ng Vietnamese at rate 1.0 and 0.8, and Piper with the English joe voice on Vietnamese text
  as a lower bound (the only Piper voice on the registries); viet-asr on real recordings as a ceiling;
* stop latency: ``Player.stop()`` until the player thread has exited, while a long answer plays on a
  device that consumes audio in real time (a paced fake stream; ALSA's file device has no clock).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

from _common import REPO  # the repository on sys.path, engines quiet


def _alsa_file_device() -> Path:
    """Point ALSA's default device at a file before sounddevice is imported (STACK.md §4)."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-tts-alsa-"))
    (tmp / "asound.conf").write_text(
        'pcm.!default { type plug  slave.pcm "kiosk_file" }\n'
        f'pcm.kiosk_file {{ type file  slave.pcm "null"  file "{tmp}/played.raw"  format "raw" }}\n',
        encoding="utf-8")
    os.environ["ALSA_CONFIG_PATH"] = f"/usr/share/alsa/alsa.conf:{tmp}/asound.conf"
    return tmp


if "--real-device" not in sys.argv:
    ALSA_DIR: Path | None = _alsa_file_device()
else:
    ALSA_DIR = None

from bench.report import FIXTURES, summary_ms, write_section  # noqa: E402
from bench.sound_card import bench_player  # noqa: E402
from kiosk_app.core.memory import release_memory  # noqa: E402
from kiosk_app.core.models import require  # noqa: E402
from kiosk_app.core.settings import Settings  # noqa: E402
from knowledge.bundle.schema import load_records_dir  # noqa: E402
from knowledge.types import Aspect  # noqa: E402
from speech.asr.wer import edit_distance  # noqa: E402
from speech.asr.wer import normalize_words as words  # noqa: E402
from speech.audio.playback import Player, WavFilePlayer  # noqa: E402
from speech.text.normalize_vi import normalize_for_speech  # noqa: E402
from speech.tts.base import AudioChunk, Synthesizer  # noqa: E402
from speech.tts.espeak_engine import BASE_WPM, EspeakSynthesizer  # noqa: E402
from speech.tts.piper_engine import PiperSynthesizer, find_voice  # noqa: E402

RECORDS = REPO / "knowledge" / "sample" / "records"
ASPECTS = (Aspect.GENERAL, Aspect.FEE, Aspect.TIME)


# ---- inputs ------------------------------------------------------------------------------------
def sample_answers(limit: int | None) -> list[tuple[str, str]]:
    """(label, spoken answer) as the kiosk says them for the sample bundle."""
    from knowledge.answer import TemplateAnswerer

    answerer = TemplateAnswerer()
    out: list[tuple[str, str]] = []
    for record in load_records_dir(RECORDS):
        for aspect in ASPECTS:
            answer = answerer.answer("", record, aspect)
            if answer.spoken.strip():
                out.append((f"{record.id}/{aspect.value}", answer.spoken))
    return out[:limit] if limit else out


# ---- metrics -----------------------------------------------------------------------------------
def write_wav(path: Path, chunks: list[AudioChunk]) -> None:
    WavFilePlayer(path).play(chunks)


# ---- measurements ------------------------------------------------------------------------------
class EngineRun:
    def __init__(self, label: str) -> None:
        self.label = label
        self.synth_s = 0.0
        self.audio_s = 0.0
        self.first_chunk: list[float] = []
        self.first_audio: list[float] = []
        self.errors = 0
        self.ref_words = 0
        self.wer_per_utt: list[float] = []
        self.examples: list[tuple[str, str]] = []

    @property
    def rtf(self) -> float:
        return self.synth_s / self.audio_s if self.audio_s else float("nan")

    @property
    def wer(self) -> float:
        return self.errors / self.ref_words if self.ref_words else float("nan")


def run_engine(label: str, synth: Synthesizer, answers: list[tuple[str, str]], rate: float,
               asr: object | None, tmp: Path, player: Player | None) -> EngineRun:
    run = EngineRun(label)
    for i, (_name, text) in enumerate(answers):
        t0 = time.perf_counter()
        chunks: list[AudioChunk] = []
        for chunk in synth.synthesize(text, rate=rate):
            if not chunks:
                run.first_chunk.append(time.perf_counter() - t0)
            chunks.append(chunk)
        run.synth_s += time.perf_counter() - t0
        run.audio_s += sum(len(c.pcm16) / 2 / c.sample_rate for c in chunks)
        if player is not None:
            player.play(synth.synthesize(text, rate=rate))
            run.first_audio.append(player.last_timings["first_audio_s"])
        if asr is not None:
            wav = tmp / f"{label.replace(' ', '_')}-{i}.wav"
            write_wav(wav, chunks)
            hyp = words(asr.transcribe(str(wav)).text)  # type: ignore[attr-defined]
            ref = words(normalize_for_speech(text))
            errors = edit_distance(ref, hyp)
            run.errors += errors
            run.ref_words += len(ref)
            run.wer_per_utt.append(errors / max(1, len(ref)))
            if len(run.examples) < 2:
                run.examples.append((" ".join(ref), " ".join(hyp)))
            wav.unlink()
    return run


def asr_ceiling(asr: object) -> tuple[float, int] | None:
    """viet-asr WER on the real recordings (what a human voice gets)."""
    wavs = sorted(FIXTURES.glob("*.wav"))
    if not wavs:
        return None
    errors = total = 0
    for wav in wavs:
        ref = words(normalize_for_speech(wav.with_suffix(".txt").read_text(encoding="utf-8")))
        hyp = words(asr.transcribe(str(wav)).text)  # type: ignore[attr-defined]
        errors += edit_distance(ref, hyp)
        total += len(ref)
    return errors / total, len(wavs)


def stop_latency(synth: Synthesizer, text: str, repeats: int) -> list[float]:
    """stop() → player thread gone, mid-sentence, on a real-time device."""
    player = bench_player(realtime=True, block_ms=30)
    out: list[float] = []
    for i in range(repeats):
        started = threading.Event()
        player.start(synth.synthesize(text), on_sentence=lambda _t, ev=started: ev.set())
        started.wait(10)
        time.sleep(0.1 + 0.037 * i)  # land at different points inside a 30 ms block
        t0 = time.perf_counter()
        player.stop()
        assert not player.playing
        out.append(time.perf_counter() - t0)
    return out


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--limit", type=int, default=None, help="only the first N answers")
    ap.add_argument("--subset", type=int, default=12,
                    help="answers for the secondary configurations (espeak 0.8, Piper joe; default 12)")
    ap.add_argument("--no-asr", action="store_true", help="skip the round-trip WER")
    ap.add_argument("--no-write", action="store_true", help="print the section, do not write the doc")
    ap.add_argument("--real-device", action="store_true", help="play on the real default sound card")
    args = ap.parse_args(argv)

    answers = sample_answers(args.limit)
    audio_chars = sum(len(t) for _n, t in answers)
    settings = Settings(data_dir=Path(tempfile.mkdtemp(prefix="bench-tts-data-")))
    tmp = Path(tempfile.mkdtemp(prefix="bench-tts-"))
    asr = None
    if not args.no_asr:
        from vietasr import Pipeline

        asr = Pipeline.preset("transcribe")
    player = Player(block_ms=30)
    device = player.check()

    espeak = EspeakSynthesizer("vi", normalizer=normalize_for_speech)
    model, config = find_voice(require(settings, "piper-en"))
    t0 = time.perf_counter()
    joe = PiperSynthesizer(model, config, normalizer=normalize_for_speech, language="vi",
                           after_run=release_memory)
    joe_load = time.perf_counter() - t0

    subset = answers[:: max(1, len(answers) // args.subset)][: args.subset]
    runs = [
        run_engine(f"espeak-ng vi, rate 1.0 ({BASE_WPM} wpm)", espeak, answers, 1.0, asr, tmp, player),
        run_engine(f"espeak-ng vi, rate 0.8 ({round(BASE_WPM * 0.8)} wpm), {len(subset)} answers", espeak,
                   subset, 0.8, asr, tmp, player),
        run_engine(f"Piper joe (English voice) on Vietnamese text, {len(subset)} answers", joe, subset, 1.0,
                   asr, tmp, player),
    ]
    base_subset = run_engine("espeak-ng vi 1.0 on the subset", espeak, subset, 1.0, None, tmp, None)
    english = [(n, t) for n, t in (("en", "Birth registration is free within sixty days of the birth. "
                                    "Bring the birth certificate from the hospital and your ID card. "
                                    "The result is usually ready the same day."),)]
    joe_en = PiperSynthesizer(model, config, language="en", after_run=release_memory)
    en_run = run_engine("Piper joe, English text", joe_en, english * 3, 1.0, None, tmp, player)
    ceiling = asr_ceiling(asr) if asr is not None else None
    stops = stop_latency(espeak, answers[0][1] + " " + answers[1][1], repeats=12)
    player.close()

    lines = [
        f"{len(answers)} spoken answers of the sample bundle (TemplateAnswerer: general, fee and time "
        f"answer of each record; {audio_chars} characters). Output device: `{device}` "
        + ("(ALSA file plugin standing in for the sound card, STACK.md §4: the real sounddevice/PortAudio "
           "path, but a device without a clock)." if ALSA_DIR else "(real sound card)."),
        "",
        "| engine | synthesis RTF | first chunk (synthesis of sentence 1) | first audio via Player "
        "(target ≤ 300 ms) | audio | viet-asr WER |",
        "|---|---|---|---|---|---|",
    ]
    for r in [*runs, en_run]:
        wer = f"**{r.wer:.0%}** ({r.ref_words} words)" if r.ref_words else "n/a (English)"
        lines.append(f"| {r.label} | {r.rtf:.3f} | {summary_ms(r.first_chunk)} | "
                     f"{summary_ms(r.first_audio)} | {r.audio_s:.0f} s | {wer} |")
    lines += [
        "",
        f"- Targets: first audio ≤ 300 ms — espeak-ng p95 {_p95(runs[0].first_audio):.0f} ms "
        f"({'met' if _p95(runs[0].first_audio) <= 300 else 'NOT met'}); espeak-ng RTF ≤ 0.2 — "
        f"{runs[0].rtf:.3f} ({'met' if runs[0].rtf <= 0.2 else 'NOT met'}). Piper voice load "
        f"{joe_load:.2f} s (once, at start-up).",
        f"- Rate: 0.8 (\"Nói chậm hơn\") makes the same answers "
        f"{runs[1].audio_s / base_subset.audio_s:.2f}× longer.",
    ]
    if ceiling is not None:
        lines.append(f"- Ceiling: viet-asr on the {ceiling[1]} real recordings (tests/fixtures/vieneu) "
                     f"gives WER {ceiling[0]:.0%}; the synthetic voices are far below a human voice.")
    if runs[0].ref_words:
        lines += [
            "- Honest reading: espeak-ng's Vietnamese is robotic and the ASR recognises little of it "
            f"(WER {runs[0].wer:.0%}; STACK.md predicted it). A resident hears it better than the ASR "
            "does (tones and syllables are all there), but this is exactly why a provisioned Vietnamese "
            "Piper voice (`piper-vi`) is the intended production voice and espeak-ng only the fallback. "
            "The English joe voice on Vietnamese text is a lower bound, not a candidate.",
            f"- Utterances with WER ≤ 20 %: espeak 1.0 {_share(runs[0])}, espeak 0.8 {_share(runs[1])}, "
            f"Piper joe {_share(runs[2])}.",
            "",
            "Examples (reference → viet-asr):",
            "",
        ]
        for r in runs:
            for ref, hyp in r.examples[:1]:
                lines.append(f"- {r.label}: \"{ref}\" → \"{hyp}\"")
    lines += [
        "",
        f"Stop latency (`Player.stop()` until the player thread has exited, long answer playing on a "
        f"real-time paced device, 30 ms blocks): {summary_ms(stops)} — target 150 ms "
        f"({'met' if max(stops) <= 0.15 else 'NOT met'}). PortAudio's abort then drops the ≤ 100 ms "
        "output buffer, so the speaker is silent within one block plus the abort.",
    ]
    body = "\n".join(lines)
    sys.stdout.write(body + "\n")
    if not args.no_write:
        write_section("Voice out", body)
    return 0


def _p95(values: list[float]) -> float:
    from bench.report import pct

    return pct([v * 1000 for v in values], 95)


def _share(run: EngineRun) -> str:
    if not run.wer_per_utt:
        return "n/a"
    good = sum(w <= 0.2 for w in run.wer_per_utt)
    return f"{good}/{len(run.wer_per_utt)}"


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
