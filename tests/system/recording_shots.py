"""Screenshots of the staff recording page in a real window (issue 20), not a test: run it under an
X server (Xvfb, no window manager). The kiosk app is the real one with the built-in sample bundle;
the staff screen is opened through the PIN pad and the real PIN check; the recording page records
from a fake microphone playing a real Vietnamese recording in real time (tests/fixtures/vieneu) and
a fake recogniser (the first take "heard" wrong, the second right). Engines only are fake.

    Xvfb :77 -screen 0 800x480x24 &
    DISPLAY=:77 SDL_VIDEODRIVER=x11 .venv/bin/python tests/system/recording_shots.py 800x480 docs/screenshots
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
PIN = "739214"


def main(size: str, out: Path) -> int:
    width, height = (int(v) for v in size.split("x"))
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="kivyhome-"))
    sys.path.insert(0, str(REPO))
    from kivy.config import Config

    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    Config.set("graphics", "resizable", "0")
    from kivy.clock import Clock
    from kivy.core.window import Window

    from kiosk_app.core.pin import hash_pin
    from kiosk_app.core.settings import Settings
    from kiosk_app.pipeline import recording_session
    from kiosk_app.ui.app import KioskApp
    from knowledge.bundle import importer, version_check
    from speech.audio.wav import WavSource, read_wav
    from speech.vad.energy import EnergyVad
    from tests.staff.staff_cases import fake_index_check, fake_indexer, no_smoke

    version_check.open_index_check = fake_index_check  # no search index is built for screenshots
    tmp = Path(tempfile.mkdtemp(prefix="kiosk-rec-shots-"))
    settings = Settings(data_dir=tmp, ui={"fullscreen": False}, staff={"pin_hash": hash_pin(PIN)})
    importer.ensure_sample(settings, indexer=fake_indexer, smoke=no_smoke)
    pcm, _ = read_wav(REPO / "tests" / "fixtures" / "vieneu" / "Tuyên (nam miền Bắc).wav")
    heard: list[str] = []

    class Engines:
        def transcribe(self, pcm16: bytes, sample_rate: int) -> str:
            return heard.pop(0)

        def play(self, chunks: Any) -> bool:
            return False

    engines = Engines()
    real_open = recording_session.open_for_kiosk

    def opener(s: Settings, on_change: Any) -> Any:
        session = real_open(s, on_change)
        session._open_source = lambda: WavSource(pcm16=b"\x00" * 16000 + pcm, realtime=True,
                                                 tail_silence_s=3.0)
        session._recognizer, session._vad, session._player = lambda: engines, EnergyVad, lambda: engines
        return session

    app = KioskApp(settings)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def shot(name: str) -> None:
        target = out / f"staff-recording-{name}-{size}.png"
        Path(Window.screenshot(name=str(target))).replace(target)
        written.append(target)

    def page() -> Any:
        return app.state.sm.get_screen("recording")

    steps: list[tuple[float, Any]] = []

    def at(delay: float, fn: Any) -> None:
        steps.append((delay, fn))

    def run_steps(_dt: float = 0) -> None:
        if not steps:
            app.stop()
            return
        delay, fn = steps.pop(0)

        def go(_dt: float) -> None:
            fn()
            run_steps()
        Clock.schedule_once(go, delay)

    def first_take() -> None:
        heard[:] = ["đăng ký kết hôn ở ủy ban nhân dân phường"]
        page().on_record_press()

    def second_take() -> None:
        page().on_again_press()
        heard[:] = [page().session.item.text]
        page().on_record_press()

    at(0.5, lambda: app.kiosk.open_pin_pad())
    at(0.2, lambda: app.kiosk.check_pin(PIN))  # the real scrypt check, off the UI thread
    at(4.0, lambda: shot("staff"))  # the staff screen with "Ghi âm câu nói (X/Y đã ghi)"
    at(0.1, lambda: setattr(page(), "opener", opener))
    at(0.1, lambda: app.controller.go("recording"))
    at(1.5, lambda: shot("ready"))
    at(0.1, first_take)
    at(2.0, lambda: shot("recording"))
    at(8.0, lambda: shot("refused"))
    at(0.1, second_take)
    at(9.0, lambda: shot("good"))
    at(0.1, lambda: page().on_keep_press())
    at(1.0, lambda: shot("kept"))
    Clock.schedule_once(run_steps, 0.5)
    app.run()
    for p in written:
        sys.stdout.write(f"{p}\n")
    return 0 if len(written) == 6 else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], Path(sys.argv[2])))
