"""Screenshots of every kiosk screen (headless) into docs/screenshots/.

    .venv/bin/python scripts/screenshots.py            # all sizes (one process per window size)
    .venv/bin/python scripts/screenshots.py --size 800x480 --only home,answer

The screens show the built-in sample records and a real template answer; no engine is loaded (the
pipeline is replaced by scripted events, the same ones the worker sends).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "docs" / "screenshots"

# size -> screens; every screen at the smallest size, the main ones at the others
PLAN: dict[str, tuple[str, ...]] = {
    "800x480": ("home", "listening", "thinking", "answer", "answer-card", "answer-speaking",
                "answer-no-voice", "alternatives", "refer", "browse", "browse-topic", "typing", "feedback",
                "error", "mic-missing", "maintenance", "home-en", "answer-en", "pin"),
    "1280x800": ("home", "answer", "browse-topic"),
    "1920x1080": ("home", "answer"),
    "480x800": ("home", "answer", "browse", "typing"),
    "800x1280": ("home", "answer"),
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", help="one window size WxH (default: every size in the plan)")
    ap.add_argument("--only", help="comma-separated screen names")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    if args.size is None:
        rc = 0
        for size in PLAN:
            cmd = [sys.executable, __file__, "--size", size, "--out", str(args.out)]
            if args.only:
                cmd += ["--only", args.only]
            rc |= subprocess.call(cmd)
        return rc
    names = tuple(args.only.split(",")) if args.only else PLAN.get(args.size, PLAN["800x480"])
    return shoot(args.size, names, args.out)


def shoot(size: str, names: tuple[str, ...], out: Path) -> int:
    width, height = (int(v) for v in size.split("x"))
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="kivyhome-"))
    os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
    os.environ.setdefault("KIVY_CLIPBOARD", "dummy")
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
    sys.path.insert(0, str(REPO))
    from kivy.config import Config

    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    Config.set("graphics", "resizable", "0")

    from kivy.clock import Clock
    from kivy.core.window import Window

    from kiosk_app.core.errors import ErrorCode
    from kiosk_app.core.events import (
        AnswerReady,
        AudioLevel,
        BundleActivated,
        Failed,
        Idle,
        Listening,
        PartialTranscript,
        Speaking,
        SpeakingFinished,
        SpeechEnded,
        Thinking,
        Transcribed,
    )
    from kiosk_app.core.settings import Settings
    from kiosk_app.ui.app import KioskApp
    from knowledge.answer import TemplateAnswerer, refer_answer
    from knowledge.bundle.schema import load_records_dir
    from knowledge.types import Aspect

    records = {r.id: r for r in load_records_dir(REPO / "knowledge" / "sample" / "records")}
    tmp = Path(tempfile.mkdtemp(prefix="kiosk-shots-"))
    settings = Settings(data_dir=tmp, ui={"fullscreen": False, "ward_name": "Phường (mẫu)"},
                        staff={"pin_hash": "scrypt$AAAA$AAAA"})
    app = KioskApp(settings)
    templ = TemplateAnswerer()
    question = "cho bác hỏi làm giấy khai sinh cho cháu thì cần những giấy tờ gì"
    docs = templ.answer(question, records["khai-sinh"], Aspect.DOCUMENTS, confidence=0.92,
                        alternatives=("dang-ky-lai-khai-sinh", "trich-luc-ho-tich", "nhan-cha-me-con"))
    fee = templ.answer("khai sinh muộn mất bao nhiêu tiền", records["khai-sinh"], Aspect.FEE, confidence=0.9)
    en = templ.answer("birth registration papers", records["khai-sinh"], Aspect.DOCUMENTS, confidence=0.9,
                      language="en")

    handle, go = app.router.handle, app.controller.go

    def screen(name: str) -> Any:  # the screens exist once the app is built (in run())
        return app.state.sm.get_screen(name)  # type: ignore[union-attr]

    def answer(a: object, q: str) -> None:
        go("home")
        handle(Transcribed(q))
        handle(AnswerReady(a))  # type: ignore[arg-type]
        screen("answer").finish_card()

    def scroll_card() -> None:
        answer(docs, question)
        handle(SpeakingFinished())
        scr = screen("answer")
        Clock.schedule_once(lambda _dt: scr.ids.pager.page(-1), 0.05)

    def speaking() -> None:
        answer(fee, "khai sinh muộn mất bao nhiêu tiền")
        handle(Speaking(fee.sentences[min(1, len(fee.sentences) - 1)]))

    def en_mode(screen: str) -> None:
        app.controller.set_language("en")
        if screen == "answer":
            answer(en, "birth registration papers")

    actions = {
        "home": lambda: go("home"),
        "listening": lambda: [handle(Listening()), handle(AudioLevel(0.7)),
                              handle(PartialTranscript("cho bác hỏi làm giấy khai sinh cho cháu"))],
        "thinking": lambda: [handle(Listening()), handle(SpeechEnded(3.2)),
                             handle(Transcribed(question)), handle(Thinking())],
        "answer": lambda: [answer(docs, question), handle(Speaking(docs.sentences[0]))],
        "answer-card": scroll_card,
        "answer-speaking": speaking,
        "answer-no-voice": lambda: [answer(docs, question), handle(Failed(ErrorCode.PLAYBACK_FAILED)),
                                    handle(Idle())],
        "alternatives": lambda: [answer(docs, question), app.controller.not_right()],
        "refer": lambda: answer(refer_answer("out-of-scope"), "nhà tôi nuôi chó thì có phải đăng ký không"),
        "browse": lambda: [go("browse"), setattr(screen("browse"), "group", "")],
        "browse-topic": lambda: [go("browse"),
                                 setattr(screen("browse"), "group", "hộ tịch")],
        "typing": lambda: [go("typing"),
                           setattr(screen("typing").ids.query_input, "text",
                                   "lam giay khai sinh cho chau")],
        "feedback": lambda: go("feedback"),
        "error": lambda: handle(Failed(ErrorCode.NO_SPEECH)),
        "mic-missing": lambda: handle(Failed(ErrorCode.MIC_MISSING)),
        "maintenance": lambda: handle(Failed(ErrorCode.STORE_MISSING)),
        "home-en": lambda: [en_mode("home"), go("home")],
        "answer-en": lambda: en_mode("answer"),
        "pin": lambda: [go("home"), app.kiosk.open_pin_pad(), setattr(app.kiosk.pin_pad, "pin", "12")],
    }
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def reset() -> None:
        if app.kiosk.pin_pad is not None:
            app.kiosk.pin_pad.dismiss()
        app.controller.set_language("vi")

    def take(name: str) -> None:
        target = out / f"{name}-{size}.png"
        got = Path(Window.screenshot(name=str(out / f"{name}-{size}.png")))
        got.replace(target)  # Kivy appends a counter to the name
        written.append(target)

    plan = list(names)
    state = {"phase": "act", "frames": 0, "since": 0.0}

    def step(_dt: float) -> None:
        """One state per frame: act, let at least 4 frames and 0.4 s pass (layout + draw), shoot."""
        import time as _time

        if not plan:
            app.stop()
            return
        name = plan[0]
        if state["phase"] == "act":
            reset()
            actions[name]()
            state.update(phase="wait", frames=0, since=_time.monotonic())
        elif state["phase"] == "wait":
            state["frames"] += 1
            if state["frames"] >= 4 and _time.monotonic() - state["since"] >= 0.4:
                take(name)
                plan.pop(0)
                state["phase"] = "act"

    def start(_dt: float) -> None:
        app.router.set_catalog(records, sample=True)
        app.router.handle(BundleActivated("sample@1", len(records)))
        Clock.schedule_interval(step, 0)

    Clock.schedule_once(start, 0.2)
    app.run()
    for p in written:
        sys.stdout.write(f"{p.relative_to(REPO) if p.is_relative_to(REPO) else p}\n")
    return 0 if len(written) == len(names) else 1


if __name__ == "__main__":
    raise SystemExit(main())
