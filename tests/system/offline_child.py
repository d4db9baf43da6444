"""Child process for tests/system/test_offline.py: the whole kiosk pipeline with real engines.

Counts every Internet-family socket operation Python sees (audit hook); the parent also traces the
process at syscall level with strace, which sees native code too (Chroma, onnxruntime, viet-asr).
Prints one JSON line: the counts and what the kiosk answered.
"""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

attempts: list[str] = []


def _audit(event: str, args: tuple[object, ...]) -> None:
    if event in ("socket.getaddrinfo", "socket.gethostbyname"):
        attempts.append(f"{event} {args[0]!r}")
    elif event in ("socket.connect", "socket.sendto", "socket.bind"):
        sock = args[0]
        if isinstance(sock, socket.socket) and sock.family in (socket.AF_INET, socket.AF_INET6):
            attempts.append(f"{event} {args[1]!r}")


sys.addaudithook(_audit)


def main(data_dir: str, wav: str) -> None:
    from kiosk_app.core.settings import Settings
    from kiosk_app.pipeline import Pipeline
    from kiosk_app.wiring import build_recognizer, build_synthesizer, build_vad
    from knowledge.bundle.importer import ensure_sample
    from knowledge.service import open_current
    from speech.audio import WavSource
    from speech.audio.playback import WavFilePlayer

    settings = Settings(data_dir=Path(data_dir))
    ensure_sample(settings)
    knowledge = open_current(settings)
    events: list[str] = []
    player = WavFilePlayer(Path(data_dir) / "played.wav")
    pipe = Pipeline(settings, source_factory=lambda: WavSource(wav, tail_silence_s=1.5),
                    vad=build_vad(settings), recognizer=build_recognizer(settings), knowledge=knowledge,
                    synthesizer=build_synthesizer(settings), player=player,
                    on_event=lambda e: events.append(str(e.type)))
    voice = pipe.run_once()
    text = pipe.ask_text("cho bác hỏi làm giấy khai sinh cho cháu cần những gì")
    knowledge.close()
    print(json.dumps({"attempts": attempts, "events": events,
                      "voice_answer": voice.verdict if voice else None,
                      "text_procedure": text.procedure_id if text else None,
                      "played_bytes": (Path(data_dir) / "played.wav").stat().st_size}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
