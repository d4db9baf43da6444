"""Recorded answers, end to end (issue 20) → ``## Recorded answers, end to end`` in docs/benchmarks.md.

As ward staff and a resident meet the feature: the sample records are fully recorded with
**espeak-ng stand-ins** (every Vietnamese sentence ``kiosk bundle recordings`` lists, rendered by
espeak-ng; added with ``kiosk bundle recordings import FOLDER --into SRC --no-asr`` because viet-asr
cannot understand espeak-ng), built with ``kiosk bundle build`` and imported with ``kiosk bundle
import`` into a temporary data folder (the CLI, in a subprocess). A second source with the first 400
non-"no information" sentences recorded gives the issue's 400-sentence size and import targets.

Then the in-scope Vietnamese questions of two spent test sets (bench/blind4/vi_understand.jsonl,
bench/blind_facts2/facts.jsonl; read only here, nothing is tuned on them) are answered by the
kiosk's own objects: ``Knowledge.ask`` (``open_current`` + ``build_answerer``), and each
``Answer.sentences`` element spoken by ``build_kiosk_voice(settings, "vi", recordings=...)``.
Measured on the produced audio: share of speech that is recorded (``RecordedSynthesizer.stats``),
which sentences were synthesised and why, first audio after the answer is ready, gaps at sentence
boundaries (10 ms frames under -45 dBFS), BS.1770 loudness of every recorded sentence.

    .venv/bin/python bench/bench_recorded_answers.py [--no-write] [--limit N]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from _common import REPO  # the repository on sys.path, engines quiet

from bench.report import write_section

RECORDS = REPO / "knowledge" / "sample" / "records"
SETS = (REPO / "bench" / "blind4" / "vi_understand.jsonl", REPO / "bench" / "blind_facts2" / "facts.jsonl")
PY = sys.executable


def kiosk(data: Path, *argv: str) -> tuple[int, str, str]:
    env = {**os.environ, "KIOSK_DATA_DIR": str(data), "KIOSK_CONFIG": ""}
    p = subprocess.run([PY, "-m", "kiosk_app", *argv], cwd=REPO, env=env, capture_output=True,
                       text=True, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout, p.stderr


def checked(data: Path, *argv: str) -> str:
    code, out, err = kiosk(data, *argv)
    if code != 0:
        raise SystemExit(f"kiosk {' '.join(argv)} failed ({code}):\n{out[-2000:]}\n{err[-2000:]}")
    return out


def import_takes(data: Path, folder: Path, into: Path) -> str:
    """``kiosk bundle recordings import``: exit 1 only means some takes were refused (reported)."""
    code, out, err = kiosk(data, "bundle", "recordings", "import", str(folder), "--into", str(into), "--no-asr")
    if code not in (0, 1):
        raise SystemExit(f"recordings import failed ({code}):\n{out[-2000:]}\n{err[-2000:]}")
    return out


def render(text: str, path: Path) -> None:
    from speech.text.normalize_vi import normalize_for_speech

    subprocess.run(["espeak-ng", "-v", "vi", "-s", "150", "-w", str(path), normalize_for_speech(text)],
                   check=True, capture_output=True)


def questions() -> list[str]:
    out: list[str] = []
    for path in SETS:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            q = json.loads(line)
            if q.get("lang", "vi") == "vi" and q.get("expect") and not q.get("oos"):
                out.append(q["text"])
    return out


def frames_db(x: np.ndarray, rate: int, ms: int = 10) -> np.ndarray:
    n = rate * ms // 1000
    m = len(x) // n
    f = x[: m * n].astype(np.float64).reshape(m, n) / 32768.0
    db: np.ndarray = 20 * np.log10(np.sqrt((f ** 2).mean(axis=1)) + 1e-12)
    return db


def edge_silence(x: np.ndarray, rate: int, lead: bool) -> float:
    db = frames_db(x, rate)
    seq = db if lead else db[::-1]
    k = 0
    while k < len(seq) and seq[k] < -45.0:
        k += 1
    return k * 0.010


def prepare_sources(tmp: Path, data: Path) -> dict[str, Any]:
    src = tmp / "src"
    shutil.copytree(RECORDS, src)
    script = json.loads(checked(data, "bundle", "recordings", str(src), "--lang", "vi", "--json"))
    sentences = script["sentences"]
    takes = tmp / "takes"
    takes.mkdir()
    t0 = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda s: render(s["text"], takes / f"{s['id']}.wav"), sentences))
    render_s = time.perf_counter() - t0
    # staff add takes in batches: the first 400 (facts, titles, fixed sentences first) make the
    # 400-sentence source; the full source is a copy of it with the remaining takes added
    first = {s["id"] for s in [s for s in sentences if s["kind"] != "no-info"][:400]}
    src400 = tmp / "src400"
    shutil.copytree(RECORDS, src400)
    takes400, rest = tmp / "takes400", tmp / "takes-rest"
    takes400.mkdir()
    rest.mkdir()
    for s in sentences:
        shutil.move(takes / f"{s['id']}.wav", (takes400 if s["id"] in first else rest) / f"{s['id']}.wav")
    t0 = time.perf_counter()
    out = import_takes(data, takes400, src400)
    shutil.rmtree(src)
    shutil.copytree(src400, src)
    out += import_takes(data, rest, src)
    import_takes_s = time.perf_counter() - t0
    refused = [ln for ln in out.splitlines() if ln.startswith("✗")]
    after = json.loads(checked(data, "bundle", "recordings", str(src), "--lang", "vi", "--json"))
    return {"src": src, "src400": src400, "total": script["total"], "render_s": render_s,
            "import_takes_s": import_takes_s, "refused": refused, "recorded": after["recorded"]}


def build_and_import(tmp: Path, src: Path, name: str, keys: Path) -> dict[str, Any]:
    data = tmp / f"data-{name}"
    wkb = tmp / f"{name}.wkb"
    checked(data, "bundle", "build", str(src), "--out", str(wkb), "--sign", str(keys / "bundle-signing.key"),
            "--version", "1")
    checked(data, "bundle", "trust", str(keys / "bundle-signing.pub"))
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    checked(data, "bundle", "import", str(wkb), "--yes")
    import_s = time.perf_counter() - t0
    audio = 0
    import zipfile

    with zipfile.ZipFile(wkb) as z:
        audio = sum(i.compress_size for i in z.infolist() if i.filename.endswith(".ogg"))
        n = sum(i.filename.endswith(".ogg") for i in z.infolist())
    return {"data": data, "bytes": wkb.stat().st_size, "audio_bytes": audio, "ogg": n,
            "import_s": import_s, "load": load}


def reason(rs: Any, text: str) -> str:
    from knowledge.recordings.sentences import decompose, sentence_key

    if any(sentence_key(i.text) == sentence_key(text) for i in rs.items if i.language == "vi"):
        return "in inventory but not played (stale/broken?)"
    known = rs._loose.get("vi", {})
    parts = decompose(text, known)
    if parts:
        return "splits into items, one not recorded"
    return "not in inventory (no item; does not split into items)"


def answer_all(data: Path, qs: list[str]) -> dict[str, Any]:
    from bench.report import kiosk_settings
    from kiosk_app.wiring import build_answerer, build_kiosk_voice, open_recordings
    from knowledge.service import open_current
    from speech.tts.loudness import integrated_loudness
    from speech.tts.recorded import PAUSE_MS, RecordedSynthesizer

    settings = kiosk_settings(data)
    knowledge = open_current(settings, answerer=build_answerer(settings))
    rs = open_recordings(knowledge)
    assert rs is not None
    cov = rs.coverage("vi")
    t0 = time.perf_counter()
    rs.preload()
    preload_s = time.perf_counter() - t0
    voice = build_kiosk_voice(settings, "vi", recordings=lambda: rs)
    assert isinstance(voice, RecordedSynthesizer)
    for _ in voice.synthesize("Xin chào."):  # the kiosk warms its voice up at start
        pass
    voice.stats.recorded_s = voice.stats.synthesized_s = 0.0
    voice.stats.clips = voice.stats.synthesized = 0
    first_ms: list[float] = []
    first_cold_ms: list[float] = []
    gaps: list[float] = []
    lufs: list[float] = []
    synth: Counter[tuple[str, str]] = Counter()
    answers = fully = 0
    seen_first: set[str] = set()
    for q in qs:
        ans = knowledge.ask(q, "vi")
        if not ans.sentences:
            continue
        answers += 1
        ready = time.perf_counter()
        chunks: list[tuple[np.ndarray, int, bool]] = []
        all_rec = True
        for i, sentence in enumerate(ans.sentences):
            before = voice.stats.synthesized
            for ch in voice.synthesize(sentence):
                if i == 0 and not chunks:
                    ms = (time.perf_counter() - ready) * 1000
                    if rs.has(sentence):
                        (first_ms if sentence in seen_first else first_cold_ms).append(ms)
                        seen_first.add(sentence)
                x = np.frombuffer(ch.pcm16, dtype="<i2")
                recorded = voice.stats.synthesized == before
                chunks.append((x, ch.sample_rate, recorded))
            if voice.stats.synthesized != before:
                all_rec = False
                synth[(sentence, reason(rs, sentence))] += 1
        fully += all_rec
        for (a, ra, _), (b, rb, _) in itertools.pairwise(chunks):
            gaps.append(edge_silence(a, ra, lead=False) + edge_silence(b, rb, lead=True))
        for x, rate, recorded in chunks:
            if recorded:
                body = x[: max(0, len(x) - rate * PAUSE_MS // 1000)]
                lufs.append(integrated_loudness(body.tobytes(), rate))
    st = voice.stats
    knowledge.close()
    return {"questions": len(qs), "answers": answers, "fully": fully, "share": st.recorded_share,
            "recorded_s": st.recorded_s, "synthesized_s": st.synthesized_s, "clips": st.clips,
            "synthesized": st.synthesized, "synth": synth, "first_ms": first_ms,
            "first_cold_ms": first_cold_ms, "gaps": gaps, "lufs": [v for v in lufs if np.isfinite(v)],
            "coverage": cov, "preload_s": preload_s}


def ms(values: list[float]) -> str:
    if not values:
        return "—"
    v = sorted(values)
    return (f"median {statistics.median(v):.1f} ms, p95 {v[int(0.95 * (len(v) - 1))]:.1f} ms, "
            f"max {v[-1]:.1f} ms (n={len(v)})")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--limit", type=int, default=0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="rec-e2e-") as t:
        tmp = Path(t)
        scratch = tmp / "scratch-data"
        src = prepare_sources(tmp, scratch)
        print(f"rendered {src['total']} in {src['render_s']:.0f} s; takes imported in "
              f"{src['import_takes_s']:.0f} s; recorded {src['recorded']}; refused {len(src['refused'])}",
              flush=True)
        keys = tmp / "office"
        checked(scratch, "bundle", "keygen", "--out", str(keys))
        b400 = build_and_import(tmp, src["src400"], "r400", keys)
        full = build_and_import(tmp, src["src"], "full", keys)
        print(f"400: {b400['bytes'] / 1e6:.2f} MB, import {b400['import_s']:.1f} s; full: "
              f"{full['bytes'] / 1e6:.2f} MB, import {full['import_s']:.1f} s", flush=True)
        qs = questions()[: args.limit or None]
        res = answer_all(full["data"], qs)
    share = res["share"]
    gaps = sorted(res["gaps"])
    in_range = sum(0.150 <= g <= 0.400 for g in gaps)
    lufs = res["lufs"]
    spread = (max(lufs) - min(lufs)) if lufs else float("nan")
    mid = statistics.median(lufs) if lufs else float("nan")
    within2 = sum(abs(v - mid) <= 2.0 for v in lufs)
    refused_rows = "\n".join(f"- {ln}" for ln in src["refused"])
    synth_rows = "\n".join(f"| {n} | {s} | {why} |" for (s, why), n in res["synth"].most_common(15))
    cov = res["coverage"]
    body = f"""\
`bench/bench_recorded_answers.py` (issue 20). **Stand-ins: espeak-ng renderings** (`-v vi -s 150`)
of every Vietnamese sentence `kiosk bundle recordings` lists for the sample records
({src['total']} sentences), added with `kiosk bundle recordings import FOLDER --into SRC --no-asr`
(viet-asr cannot understand espeak-ng, so its check is off), built with `kiosk bundle build`, imported
with `kiosk bundle import` into a fresh data folder (the CLI in a subprocess, as staff run it).
Questions: the in-scope Vietnamese questions of two spent test sets (bench/blind4/vi_understand.jsonl,
bench/blind_facts2/facts.jsonl; {res['questions']} questions, read here only, nothing tuned on them),
answered by `Knowledge.ask` and spoken sentence by sentence by `build_kiosk_voice(settings, "vi",
recordings=...)`, the kiosk's own objects.

**Staff side**

| | value | target |
|---|---|---|
| takes rendered / accepted by `recordings import` | {src['total']} / {src['recorded']} ({len(src['refused'])} refused) | |
| `recordings import` of all takes (check, trim, level, Opus) | {src['import_takes_s']:.0f} s | |
| bundle, 400 recorded sentences ({b400['ogg']} .ogg) | {b400['bytes'] / 1e6:.2f} MB (audio {b400['audio_bytes'] / 1e6:.2f} MB) | < 10 MB |
| bundle, fully recorded ({full['ogg']} .ogg) | {full['bytes'] / 1e6:.2f} MB (audio {full['audio_bytes'] / 1e6:.2f} MB) | |
| `kiosk bundle import`, 400 recorded | {b400['import_s']:.1f} s (load average {b400['load']:.1f} on 2 cores) | < 30 s |
| `kiosk bundle import`, fully recorded | {full['import_s']:.1f} s (load average {full['load']:.1f}) | |
| coverage after import (`RecordingSet.coverage`) | {cov.recorded}/{cov.total}, stale {cov.stale}, broken {cov.broken} | |
| decode all recordings (the start-up preload) | {res['preload_s']:.1f} s | |

**Resident side** ({res['answers']} answers with sentences)

| | value | target |
|---|---|---|
| answer speech that is recorded voice, by duration | **{100 * share:.1f} %** ({res['recorded_s']:.0f} s recorded, {res['synthesized_s']:.0f} s synthesised) | ≥ 95 % |
| sentences played from recordings / synthesised | {res['clips']} / {res['synthesized']} | |
| answers spoken entirely from recordings | {res['fully']}/{res['answers']} | |
| first audio after the answer is ready, first sentence recorded, first time | {ms(res['first_cold_ms'])} | ≤ 100 ms |
| same, first sentence said before (prepared clip cached) | {ms(res['first_ms'])} | ≤ 100 ms |
| gaps at sentence boundaries (10 ms frames < −45 dBFS) | {in_range}/{len(gaps)} in 150–400 ms; min {1000 * gaps[0]:.0f}, median {1000 * statistics.median(gaps):.0f}, max {1000 * gaps[-1]:.0f} ms | 150–400 ms |
| loudness of recorded sentences as played (BS.1770) | median {mid:.1f} LUFS, spread {spread:.1f} LU, {within2}/{len(lufs)} within ±2 LU | ±2 LU |

Takes refused by `recordings import` (espeak-ng renderings its checks do not accept; these
sentences stay unrecorded):

{refused_rows or '- none'}

Sentences synthesised (most frequent 15; why):

| times | sentence | why |
|---|---|---|
{synth_rows or '| 0 | — | — |'}

First audio is measured from the answer being ready to the first chunk the voice yields (the
player's own start is measured in "Recorded voice playback"); the recordings were decoded ahead of
time as the kiosk does at start-up. Composed sentences (a title before a fact, a list) are joined
inside one clip with 120 ms pauses; those inner pauses are not counted as gaps.
"""
    print(body)
    if not args.no_write:
        write_section("Recorded answers, end to end", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
