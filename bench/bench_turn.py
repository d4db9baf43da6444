"""End of turn: today's fixed hang-over vs the word rules vs the rules + a classifier → ``## End of turn``.

    .venv/bin/python bench/bench_turn.py                 # the whole run (~15 min, mostly real time)
    .venv/bin/python bench/bench_turn.py --quick         # 2 singles, 3 pairs, 3 filler pairs
    .venv/bin/python bench/bench_turn.py --no-write      # print only
    .venv/bin/python bench/bench_turn.py --render R.json --note NOTE.md   # re-render a saved run

One process, one run, the kiosk's own wiring (``wiring.build_kiosk_pipeline``: energy VAD, viet-asr
with Whisper English detection, hybrid retrieval over the sample bundle, template answers,
espeak-ng, a sound-card stand-in noting its first block). The three endpointers run on the same
audio, interleaved case by case (who goes first rotates), played in real time through the fake
microphone (``WavSource(realtime=True)``):

- ``silence``: ``[endpoint] turn_end = "silence"``, 0.7 s hang-over, no speculation;
- ``words``: ``turn_end = "words"``, the word rules' waits (short / mid / long), the answer prepared
  in the pause;
- ``model``: ``turn_end = "model"``, as ``words``, and an open ending the classifier over the partial
  transcript (``speech.vad.turn_model``) scores complete waits ``complete_wait_s``.

Audio, all from the 6 real vieneu recordings (16 kHz), in a quiet room (white noise at -60 dBFS):

- singles: each recording alone (0.5 s before, 2.5 s after);
- pairs 0.4 s: every pair of recordings, each trimmed to its first/last speech frame (energy VAD),
  joined by exactly 0.4 s of room noise;
- filler pairs 0.8 s: a recording cut at one of its own dips in energy right after a connective
  ("như là", "với", "và", "cho", "mà"…: what the kiosk's streaming recogniser has settled 0.3 s
  into the pause ends in a word of the Vietnamese ``hanging`` list, and the reference transcript
  has that word there), then 0.8 s of room noise, then another recording.

Measures: end of speech (the last speech frame, audio clock) → first answer block at the sound card
(wall clock; the source's start pins audio time to wall time), and where that time went (the wait,
the decision lag, final(), the answer, the first chunk, the player); kept whole (the turn did not
end in the joining pause, nor anywhere before the last word of the case). Also, text only: the word
rules vs the rules + classifier at telling a finished question from a pause inside one
(``turn_classifier``, on the eval questions, which the classifier never saw).
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _common  # noqa: F401  (the repository on sys.path, engines quiet)

from bench.report import FIXTURES, kiosk_settings, machine, pct, write_section

RATE = 16000
LEAD_S, TAIL_S, PAUSE_S, FILLER_PAUSE_S = 0.5, 2.5, 0.4, 0.8
ROOM_DB = -60.0
FRAME = 512
# today's fixed hang-over; the word rules; the word rules plus the classifier (speech.vad.turn_model)
ENDPOINTERS = ["silence", "words", "model"]


def log(msg: str) -> None:
    sys.stderr.write(f"[{time.strftime('%H:%M:%S')}] {msg}\n")
    sys.stderr.flush()


# ---- audio ----------------------------------------------------------------------------------------
def room(seconds: float, seed: int) -> Any:
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.standard_normal(round(seconds * RATE)) * 32768 * 10 ** (ROOM_DB / 20)
    return np.clip(x, -32768, 32767).astype(np.int16)


def speech_frames(x: Any) -> list[int]:
    """Indices of the 32 ms frames the kiosk's energy VAD calls speech (after 1 s of room noise)."""
    import numpy as np

    from speech.vad.energy import EnergyVad

    vad = EnergyVad()
    a = np.concatenate([room(1.0, 99), x])
    off = RATE // FRAME  # frames of the lead
    probs = [vad(a[i:i + FRAME].tobytes()) for i in range(0, len(a) - FRAME + 1, FRAME)]
    return [i - off for i, p in enumerate(probs) if p >= 0.5 and i >= off]


def trim(x: Any) -> Any:
    sp = speech_frames(x)
    return x[max(0, sp[0] * FRAME):(sp[-1] + 1) * FRAME]


def recordings() -> dict[str, Any]:
    import numpy as np

    from speech.audio import read_wav

    wavs = sorted(FIXTURES.glob("*.wav"))
    if len(wavs) < 6:
        sys.exit(f"no recordings in {FIXTURES}: run .venv/bin/python scripts/fetch_fixtures.py")
    return {w.stem.split(" ")[0]: np.frombuffer(read_wav(w)[0], dtype=np.int16) for w in wavs}


def references() -> dict[str, list[str]]:
    from speech.vad.turn import words_of

    return {w.stem.split(" ")[0]: list(words_of(w.with_suffix(".txt").read_text(encoding="utf-8")))
            for w in sorted(FIXTURES.glob("*.wav"))}


def heard_at_pause(asr: Any, prefix: Any) -> str:
    """What the kiosk's streaming recogniser has settled 0.3 s into a pause after ``prefix``."""
    import numpy as np

    session = asr.start(RATE)
    audio = np.concatenate([room(0.45, 5), prefix, room(0.3, 6)]).tobytes()
    for i in range(0, len(audio), 2 * FRAME):
        session.accept(audio[i:i + 2 * FRAME])
    text = " ".join(session.settle().text.split())
    session.close()
    return text


def connective_cuts(rec: dict[str, Any], asr: Any) -> list[tuple[str, Any, str]]:
    """(name, prefix, what the kiosk hears): each recording cut at its own dips in energy where the
    kiosk's streaming recogniser, 0.3 s into the pause, hears a connective that the reference
    transcript has there (within two words: the recogniser may drop or add one)."""
    from speech.vad.turn import Ending, ending

    out = []
    refs = references()
    for name, x in rec.items():
        t = trim(x)
        sp = speech_frames(t)
        gaps = [a for a, b in itertools.pairwise(sp) if b - a >= 2]  # ≥ 32 ms inside speech
        for a in gaps:
            prefix = t[:(a + 1) * FRAME]
            text = heard_at_pause(asr, prefix)
            ws, ref = text.split(), refs[name]
            n = len(ws)
            said = n >= 2 and ws[-1] in ref[max(0, n - 3):n + 2]
            if said and ending(text, "vi") is Ending.HANGING:
                out.append((f"{name}[…{' '.join(ws[-2:])} @{len(prefix) / RATE:.2f}s]", prefix, text))
    return out


def cases(quick: bool, asr: Any) -> list[dict[str, Any]]:
    import numpy as np

    rec = recordings()
    names = list(rec)
    out: list[dict[str, Any]] = []

    def add(kind: str, name: str, parts: list[Any], pause_s: float, seed: int) -> None:
        lead = room(LEAD_S, seed)
        pieces, b_start = [lead], None
        for i, p in enumerate(parts):
            if i:
                pieces.append(room(pause_s, seed + i))
                b_start = sum(len(q) for q in pieces) / RATE
            pieces.append(p)
        # end of the last speech frame of the whole case (audio clock): a turn that ends before it
        # cut the speaker off, inside a pause of the recording itself or at the join
        last_end = (sum(len(q) for q in pieces[:-1]) + (speech_frames(parts[-1])[-1] + 1) * FRAME) / RATE
        pieces.append(room(TAIL_S, seed + 7))
        out.append({"kind": kind, "name": name, "pcm": np.concatenate(pieces).tobytes(),
                    "b_start": b_start, "last_end": last_end})

    singles = names[:2] if quick else names
    for i, n in enumerate(singles):
        add("single", n, [rec[n]], 0.0, 10 + i)
    pairs = list(itertools.combinations(names, 2))
    for i, (a, b) in enumerate(pairs[:3] if quick else pairs):
        add("pair 0.4 s", f"{a}+{b}", [trim(rec[a]), trim(rec[b])], PAUSE_S, 100 + 10 * i)
    cuts = connective_cuts(rec, asr)
    fillers = []
    for i, (name, prefix, text) in enumerate(cuts):
        whole = name.split("[")[0]
        others = [n for n in names if n != whole]
        for j in range(2):  # each cut joined with two other recordings
            b = others[(i + j) % len(others)]
            fillers.append((f"{name}+{b}", prefix, trim(rec[b]), text))
    for i, (name, prefix, b, text) in enumerate(fillers[:3] if quick else fillers):
        add("filler 0.8 s", name, [prefix, b], FILLER_PAUSE_S, 500 + 10 * i)
        out[-1]["cut_text"] = text
    return out


# ---- running --------------------------------------------------------------------------------------
class Rig:
    """The kiosk pipeline; the endpoint settings switch per run."""

    def __init__(self, settings: Any) -> None:
        from bench.sound_card import bench_player
        from kiosk_app import wiring
        from kiosk_app.core.events import Event

        self.events: list[Event] = []
        self.marks: dict[str, float] = {}
        self.pipeline = wiring.build_kiosk_pipeline(settings, self.events.append)
        self.pipeline.speaker.player = bench_player(self.marks)
        self.base = settings
        self.source: Any = None
        self.pipeline.source_factory = lambda: self.source

    def run(self, case: dict[str, Any], endpointer: str) -> dict[str, Any]:
        from kiosk_app.core.events import Failed
        from speech.audio import WavSource

        class Clocked(WavSource):
            t0: float | None = None

            def read(self, timeout: float) -> bytes | None:
                if self.t0 is None:
                    self.t0 = time.monotonic()
                return super().read(timeout)

        ep = self.base.endpoint.model_copy(update={"turn_end": endpointer})
        self.pipeline.settings = self.base.model_copy(update={"endpoint": ep})
        self.events.clear()
        self.marks.clear()
        self.source = src = Clocked(pcm16=case["pcm"], realtime=True)
        answer = self.pipeline.run_once("vi")
        t = self.pipeline.last_timings
        row: dict[str, Any] = {"case": case["name"], "kind": case["kind"]}
        failed = [e for e in self.events if isinstance(e, Failed)]
        if failed or answer is None or "first_write" not in self.marks or src.t0 is None:
            row["error"] = str(failed[0].code) if failed else "no audio"
            return row
        speech_end, turn_end = t["capture_speech_end_t"], t["capture_turn_end_t"]
        e2e = self.marks["first_write"] - (src.t0 + speech_end)
        waited = turn_end - speech_end
        t0 = src.t0
        decided, ended = t["capture_decided_mono"], t["speech_ended"]
        answered = t.get("answer_ready", ended)
        first = t.get("first_audio", answered)
        # where the time after the decision goes (wall clock, seconds)
        row.update(lag_s=decided - (t0 + turn_end), final_stage_s=ended - decided,
                   answer_stage_s=answered - ended, synth_stage_s=first - answered,
                   card_stage_s=self.marks["first_write"] - first,
                   prepare_s=t.get("capture_prepare_s", 0.0))
        row.update(e2e_s=e2e, waited_s=waited, rest_s=e2e - waited, turn_end_t=turn_end,
                   speculated=t.get("speculated", 0.0), dropped=t.get("speculations_dropped", 0.0),
                   settle_s=t.get("capture_settle_s", 0.0), final_s=t.get("capture_final_s", 0.0),
                   text=self.pipeline.last_timings.get("text", ""))
        if case["b_start"] is not None:
            row["kept_whole"] = turn_end > case["b_start"]
        # the turn ended on the last word of the case (0.3 s slack: the VAD in the stream may call
        # the faint last frames differently; a cut inside the recording leaves a word or more)
        row["to_the_end"] = speech_end >= case["last_end"] - 0.3
        return row


def run(args: argparse.Namespace) -> dict[str, Any]:
    from speech.asr.vietasr_engine import VietAsrRecognizer

    data = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="bench-turn-"))
    settings = kiosk_settings(data)
    rig = Rig(settings)
    asr = VietAsrRecognizer()
    cs = cases(args.quick, asr)
    asr.close()
    res: dict[str, Any] = {"machine": machine(), "waits": settings.endpoint.model_dump(mode="json"),
                           "cases": [{k: v for k, v in c.items() if k != "pcm"} for c in cs],
                           "rows": {e: [] for e in ENDPOINTERS}}
    log(f"{len(cs)} cases; warm-up")
    for e in ENDPOINTERS:
        rig.run(cs[0], e)
    for i, c in enumerate(cs):
        k = i % len(ENDPOINTERS)
        for e in ENDPOINTERS[k:] + ENDPOINTERS[:k]:  # who goes first rotates
            res["rows"][e].append(rig.run(c, e))
        log(f"{i + 1}/{len(cs)} {c['kind']} {c['name']}: " + ", ".join(
            f"{e} {res['rows'][e][-1].get('e2e_s', float('nan')):.2f}s"
            f"{'' if whole(res['rows'][e][-1]) else ' CUT'}" for e in ENDPOINTERS))
    res["classifier"] = turn_classifier()
    return res


# ---- rules vs the classifier over the partial transcript (text only) ------------------------------
def _strip(text: str) -> str:
    from speech.vad.turn import words_of

    return " ".join(words_of(text))


def turn_points() -> list[tuple[str, int]]:
    """(text so far, 1 = the question is over / 0 = a pause inside it) from the eval questions (never
    used to train the classifier, which learnt from the sample records' examples): each whole
    question is a turn end; each of its prefixes ending at a comma, and one prefix of 2+ words chosen
    at random, is a pause inside the question."""
    import random

    from bench.report import EVAL

    rng = random.Random(19)
    out = []
    for f in sorted(EVAL.glob("vi_*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            text = json.loads(line)["text"]
            if text.isascii():  # typed without diacritics: not what viet-asr writes
                continue
            words = _strip(text).split()
            if len(words) < 3:
                continue
            out.append((" ".join(words), 1))
            cut_at = set()
            for chunk in text.split(",")[:-1]:
                cut_at.add(len(_strip(chunk).split()))
            cut_at.add(rng.randrange(2, len(words)))
            for n in sorted(c for c in cut_at if 1 <= c < len(words)):
                out.append((" ".join(words[:n]), 0))
    return out


def turn_classifier() -> dict[str, Any]:
    """Which ends and pauses get a wait shorter than the middle one: the word rules (a question word
    or particle: the short wait) vs the rules plus the classifier (also an open ending it scores
    complete: ``complete_wait_s``). A pause given a shorter wait is cut if it lasts longer."""
    from speech.vad.turn import Ending, ending, sounds_complete

    pts = turn_points()
    ends = [t for t, y in pts if y]
    pauses = [t for t, y in pts if not y]

    def rate(xs: list[str], fast: Any) -> float:
        return sum(1 for t in xs if fast(t)) / max(1, len(xs))

    def rules(t: str) -> bool:
        return ending(t, "vi") is Ending.FINISHED

    def model(t: str) -> bool:
        return rules(t) or (ending(t, "vi") is Ending.OPEN and sounds_complete(t, "vi"))

    return {"ends": len(ends), "pauses": len(pauses),
            "rules": {"ends_fast": rate(ends, rules), "pauses_fast": rate(pauses, rules)},
            "model": {"ends_fast": rate(ends, model), "pauses_fast": rate(pauses, model),
                      "pauses_complete_only": rate(pauses, lambda t: model(t) and not rules(t))}}


# ---- report ---------------------------------------------------------------------------------------
def whole(row: dict[str, Any]) -> bool:
    return bool(row.get("kept_whole", True)) and bool(row.get("to_the_end", True))


def vals(rows: list[dict[str, Any]], key: str, kinds: tuple[str, ...] | None = None,
         whole_only: bool = True) -> list[float]:
    return [r[key] for r in rows if key in r and "error" not in r and (kinds is None or r["kind"] in kinds)
            and (not whole_only or whole(r))]


def ms(xs: list[float]) -> str:
    if not xs:
        return "n/a"
    return f"{statistics.median(xs) * 1000:.0f} / {pct(xs, 95) * 1000:.0f}"


def kept(rows: list[dict[str, Any]], kind: str, key: str = "kept_whole") -> str:
    rs = [r for r in rows if r["kind"] == kind and "error" not in r]
    return f"{sum(1 for r in rs if r.get(key, True))}/{len(rs)}" if rs else "n/a"


def last_recording(case: str) -> str:
    """The recording whose end is measured (the second of a pair)."""
    return case.split("+")[-1].split("[")[0]


STAGES = (("waited_s", "silence waited after the last word (audio)"),
          ("lag_s", "decision lag: the deciding frame read → turn declared over (wall)"),
          ("final_stage_s", "recogniser final() (incl. English detection)"),
          ("answer_stage_s", "→ answer ready (retrieval, or the prepared one taken)"),
          ("synth_stage_s", "→ first audio chunk (synthesis, or the prepared one)"),
          ("card_stage_s", "→ first block at the sound card (player threads)"),
          ("rest_s", "everything that is not the waiting (end to end − silence waited)"))


def report(res: dict[str, Any]) -> str:
    rows = res["rows"]
    eps = [e for e in ENDPOINTERS if e in rows]
    w = res["waits"]
    cs = res["cases"]
    n = {k: sum(1 for c in cs if c["kind"] == k) for k in ("single", "pair 0.4 s", "filler 0.8 s")}
    head = " | ".join({"silence": "silence (today)", "words": "words (rules)",
                       "model": "model (rules + classifier)"}[e] for e in eps)
    lines = [
        "Three endpointers side by side, interleaved case by case (who goes first rotates) in one "
        "process, one run, the kiosk's own wiring (energy VAD, viet-asr with Whisper English "
        "detection, hybrid retrieval over the sample bundle, template answers, espeak-ng, a "
        "sound-card stand-in noting the first block), audio played in real time: "
        "`silence` = `[endpoint] turn_end = \"silence\"`, a fixed "
        f"{w['hangover_s']} s hang-over after every question; `words` = the word rules: "
        f"{w['short_wait_s']} s after a question word or particle, {w['mid_wait_s']} s otherwise, "
        f"{w['long_wait_s']} s after a filler or connective; `model` = the same rules, and an ending "
        "they leave open that the classifier over the partial transcript (`speech/vad/turn_model.py`) "
        f"scores complete waits {w.get('complete_wait_s', 0.42)} s. Both word endpointers prepare the "
        "answer and its first audio in the pause. "
        f"Audio from the 6 real vieneu recordings in room noise ({ROOM_DB:.0f} dBFS): "
        f"**{n['single']} singles**; **{n['pair 0.4 s']} pairs** trimmed to their speech and joined by "
        f"exactly {PAUSE_S} s; **{n['filler 0.8 s']} filler pairs**: a recording cut at one of its own "
        "dips in energy right after a connective (what the kiosk's streaming recogniser has settled "
        "0.3 s into the pause ends in a word of the `hanging` list, and the reference transcript has "
        f"that word there, within two words), {FILLER_PAUSE_S} s of room noise, then another recording. "
        "The recordings are statements, not questions: none ends in a question word. "
        "End to end is measured at the end of the last recording of each case, over the runs that "
        "kept the case whole. Script: `bench/bench_turn.py`. "
        f"Run on: {res['machine']}.",
        "",
        f"| measure (p50 / p95 ms where two numbers) | {head} | target |",
        "|---|" + "---|" * len(eps) + "---|",
    ]
    for label, kinds in (("singles", ("single",)), ("pairs (end of the 2nd)", ("pair 0.4 s",)),
                         ("filler pairs (end of the 2nd)", ("filler 0.8 s",)), ("all", None)):
        lines.append(f"| end of speech → first audio, {label} | "
                     + " | ".join(ms(vals(rows[e], "e2e_s", kinds)) for e in eps) + " | ≤ 500 / ≤ 650 |")
    lines += [
        f"| kept whole, pairs joined by {PAUSE_S} s | "
        + " | ".join(kept(rows[e], "pair 0.4 s") for e in eps) + " | ≥ 95% |",
        f"| kept whole, filler pairs joined by {FILLER_PAUSE_S} s | "
        + " | ".join(kept(rows[e], "filler 0.8 s") for e in eps) + " | ≥ 95% |",
        "| turn ended on the last word (not inside a recording's own pause), all cases | "
        + " | ".join(f"{sum(1 for r in rows[e] if r.get('to_the_end') and 'error' not in r)}/"
                     f"{sum(1 for r in rows[e] if 'error' not in r)}" for e in eps) + " | |",
    ]
    for key, label in STAGES:
        lines.append(f"| {label} | " + " | ".join(ms(vals(rows[e], key)) for e in eps)
                     + (" | p95 < 150 |" if key == "rest_s" else " | |"))
    lines += [
        "| answers prepared in a pause and spoken / pauses talked over (dropped) | "
        + " | ".join("–" if e == "silence" else
                     f"{sum(r.get('speculated', 0) for r in rows[e]):.0f} / "
                     f"{sum(r.get('dropped', 0) for r in rows[e]):.0f}" for e in eps) + " | |",
        "",
        "End of speech → first audio per recording (the one whose end is measured), p50 / p95 ms over "
        "its cases, and the silence waited after it:",
        "",
        "| recording | cases | " + " | ".join(eps) + " | waited (" + " / ".join(eps) + ") |",
        "|---|---|" + "---|" * len(eps) + "---|",
    ]
    recs = sorted({last_recording(c["name"]) for c in cs})
    for rname in recs:
        mine = {e: [r for r in rows[e] if last_recording(r["case"]) == rname] for e in eps}
        waited = " / ".join(f"{statistics.median(x) * 1000:.0f}" if (x := vals(mine[e], "waited_s"))
                            else "–" for e in eps)
        lines.append(f"| {rname} | {len(mine[eps[0]])} | "
                     + " | ".join(ms(vals(mine[e], "e2e_s")) for e in eps) + f" | {waited} |")
    errors = {e: [r["error"] for r in rs if "error" in r] for e, rs in rows.items()}
    if any(errors.values()):
        lines += ["", "Runs without an answer: " + "; ".join(f"{k}: {v}" for k, v in errors.items() if v)]
    for e in eps[1:]:
        cut = [f"{r['case']} (turn ended {r['turn_end_t']:.2f} s)" for r in rows[e]
               if "error" not in r and not whole(r)]
        if cut:
            lines += ["", f"Cut by `{e}`: " + "; ".join(cut) + "."]
    fillers = sorted({c["cut_text"] for c in cs if c.get("cut_text")})
    if fillers:
        lines += ["", "Filler cuts used (what the kiosk heard at the pause): "
                  + "; ".join(f"“{t}”" for t in fillers) + "."]
    c = res["classifier"]
    r, m = c["rules"], c["model"]
    lines += [
        "",
        "**Rules vs the classifier, text only** (`turn_classifier`): the Vietnamese eval questions "
        "with diacritics (bench/eval/vi_*.jsonl, never used to train the classifier) as viet-asr "
        f"writes them: {c['ends']} turn ends, and {c['pauses']} pauses inside a turn (each question's "
        "prefixes ending at a comma plus one random prefix of 2+ words). The classifier is a logistic "
        "regression over the last word, the last two words, the word before the last, the first word, "
        "the length and the rules' verdict, trained on text only: the sample records' `examples` "
        "as complete turns, their truncations at every word and at every comma, and truncations "
        "followed by a filler, as pauses (`python -m speech.vad.turn_training --write`); its threshold "
        "is the lowest at which ≤ 5% of the comma pauses and ≤ 10% of the word pauses of held-out "
        "records score complete. English: too few held-out examples to meet that, so English keeps "
        "the rules alone.",
        "",
        "| | ends given a wait shorter than the middle one | pauses given one (cut if longer) |",
        "|---|---|---|",
        f"| word rules (short wait) | {r['ends_fast']:.2f} | {r['pauses_fast']:.2f} |",
        f"| rules + classifier (short or complete wait) | {m['ends_fast']:.2f} | {m['pauses_fast']:.2f} "
        f"(of which {m['pauses_complete_only']:.2f} at the complete wait) |",
    ]
    if res.get("note"):
        lines += ["", str(res["note"])]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--data-dir", help="data folder to use (the sample is activated if nothing is)")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--json", type=Path, help="also write the raw results here")
    ap.add_argument("--render", type=Path, metavar="JSON", help="only re-render a saved --json result")
    ap.add_argument("--classifier", action="store_true", help="only the text comparison, printed")
    ap.add_argument("--note", type=Path, help="a file whose text ends the section (the run's reading)")
    args = ap.parse_args(argv)
    if args.classifier:
        sys.stdout.write(json.dumps(turn_classifier(), indent=1) + "\n")
        return 0
    res = json.loads(args.render.read_text(encoding="utf-8")) if args.render else run(args)
    if args.note:
        res["note"] = args.note.read_text(encoding="utf-8").strip()
    if args.json and not args.render:
        args.json.write_text(json.dumps(res, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    body = report(res)
    sys.stdout.write(body + "\n")
    if not args.no_write:
        write_section("End of turn", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
