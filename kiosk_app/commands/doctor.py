"""``kiosk doctor`` and ``kiosk audio-test`` (technicians)."""

from __future__ import annotations

import argparse
import time

from kiosk_app.commands.base import Subparsers, out, out_json
from kiosk_app.core.settings import Settings


def register(groups: Subparsers) -> None:
    d = groups.add_parser("doctor", help="health check with a precise fix for each problem (technicians)")
    d.add_argument("--json", action="store_true")
    d.set_defaults(run=cmd_doctor)
    a = groups.add_parser("audio-test", help="record a few seconds and play them back (mic placement)")
    a.add_argument("--seconds", type=float, default=3.0)
    a.set_defaults(run=cmd_audio_test)


def cmd_doctor(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk_app.ops.doctor import Level, as_json, run_checks

    t0 = time.perf_counter()
    results = run_checks(settings)
    failed = [r for r in results if r.level is Level.FAIL]
    if args.json:
        out_json({"ok": not failed, "seconds": round(time.perf_counter() - t0, 2),
                  "checks": as_json(results)})
    else:
        mark = {Level.OK: "ok  ", Level.WARN: "WARN", Level.FAIL: "FAIL"}
        for r in results:
            out(f"[{mark[r.level]}] {r.name:11} {r.detail}")
            if r.fix and r.level is not Level.OK:
                out(f"       {'':11} fix: {r.fix}")
        out(f"{len(failed)} problem(s), {sum(r.level is Level.WARN for r in results)} warning(s) "
            f"in {time.perf_counter() - t0:.1f} s")
    return 1 if failed else 0


def cmd_audio_test(args: argparse.Namespace, settings: Settings) -> int:
    """Record from the microphone (kept in memory only), report the level, play it back."""
    from kiosk_app.ops.doctor import _level_dbfs
    from kiosk_app.wiring import build_player
    from speech.audio import SAMPLE_RATE, open_mic
    from speech.tts.base import AudioChunk

    mic = open_mic(settings.audio)
    out(f"recording {args.seconds:.0f} s: speak now…")
    data = bytearray()
    want = int(args.seconds * SAMPLE_RATE) * 2
    deadline = time.monotonic() + args.seconds + 2
    try:
        while len(data) < want and time.monotonic() < deadline:
            chunk = mic.read(0.2)
            if chunk:
                data += chunk
    finally:
        mic.close()
    db = _level_dbfs(bytes(data))
    verdict = ("too quiet: move the microphone closer or raise its gain (alsamixer)" if db < -45
               else "too loud: lower the gain (alsamixer)" if db > -6 else "good")
    out(f"level {db:.0f} dBFS: {verdict}")
    out("playing it back…")
    build_player(settings).play([AudioChunk(bytes(data), SAMPLE_RATE, "audio-test")])
    return 0
