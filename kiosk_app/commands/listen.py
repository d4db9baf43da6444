"""``kiosk listen``: live partial transcripts and the input level, for technicians placing the microphone.

    kiosk listen [--seconds 30] [--device USB]

Each line: elapsed time, a level bar with dBFS, and the words heard so far. When the person stops
speaking the final text is printed and listening starts again, until ``--seconds`` have passed.
Nothing is recorded or stored. Also home of ``audio_question`` (``kiosk ask --audio FILE``).
"""

from __future__ import annotations

import argparse
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk_app.commands.base import Subparsers, err, out
from kiosk_app.core.errors import CancelledError, MicError, MicMissingError, NoSpeechError
from kiosk_app.core.settings import Settings

BAR = 20


def register(subparsers: Subparsers) -> None:
    p = subparsers.add_parser("listen", help="nghe thử micrô (kỹ thuật viên) / live transcript from the mic",
                              description="Print live partial transcripts and the input level from the "
                              "microphone, to check its placement and gain. Nothing is stored.")
    p.add_argument("--seconds", type=float, default=30.0, help="how long to listen (default 30)")
    p.add_argument("--device", help="input device: index or part of its name (default: settings "
                   "audio.input_device)")
    p.set_defaults(run=cmd_listen)


def _device(value: str | None) -> str | int | None:
    if value is None:
        return None
    return int(value) if value.strip().isdigit() else value


def cmd_listen(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk_app.wiring import build_recognizer, build_vad
    from speech.audio import input_devices, open_mic
    from speech.capture import capture_utterance
    from speech.vad.endpoint import EndpointConfig

    # "Ctrl+C stops" whatever this process inherited: a parent may have left SIGINT ignored or
    # blocked (both survive exec), and then the technician could not stop the listening loop.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    signal.signal(signal.SIGINT, signal.default_int_handler)
    audio = settings.audio
    if args.device is not None:
        audio = audio.model_copy(update={"input_device": _device(args.device)})
    try:
        mic = open_mic(audio)
    except MicMissingError as exc:
        err(f"kiosk listen: no microphone: {exc}")
        devices = input_devices()
        if devices:
            err("input devices: " + "; ".join(f"{d.index}: {d.name}" for d in devices))
        return 1
    resampled = ", resampled to 16 kHz" if mic.rate != 16000 else ""
    out(f"listening on '{mic.device.name}' ({mic.rate} Hz{resampled}) for {args.seconds:.0f} s; "
        "speak now (Ctrl+C stops)")
    # Vietnamese only: the technician checks the microphone, not the English detection (no Whisper load)
    vi_only = settings.model_copy(update={"asr": settings.asr.model_copy(update={"detect_english": False})})
    rec = build_recognizer(vi_only)
    vad = build_vad(settings)
    stop = threading.Event()
    deadline = time.monotonic() + args.seconds
    timer = threading.Timer(max(0.0, args.seconds), stop.set)
    timer.daemon = True
    timer.start()
    t0 = time.monotonic()
    state: dict[str, Any] = {"level": 0.0, "db": -90.0, "last": 0.0}
    ep = settings.endpoint
    cfg = EndpointConfig(threshold=ep.speech_threshold, hangover_s=ep.hangover_s,
                         min_speech_s=ep.min_speech_s, max_utterance_s=ep.max_utterance_s,
                         no_speech_timeout_s=max(ep.no_speech_timeout_s, args.seconds + 1.0))

    def on_level(level: float) -> None:
        state["level"] = level
        now = time.monotonic()
        if now - state["last"] >= 0.5:  # a level line twice a second while nobody speaks
            state["last"] = now
            out(f"{now - t0:5.1f}s {_bar(level)} {_db(level):4.0f} dBFS")

    def on_partial(text: str) -> None:
        state["last"] = time.monotonic()
        out(f"{state['last'] - t0:5.1f}s {_bar(state['level'])} … {text}")

    heard = 0
    try:
        while time.monotonic() < deadline and not stop.is_set():
            try:
                utt = capture_utterance(mic, vad, rec, cfg, on_partial=on_partial, on_level=on_level,
                                        cancel=stop)
            except NoSpeechError as exc:
                out(f"{time.monotonic() - t0:5.1f}s (no words: {exc})")
                continue
            except CancelledError:
                break
            heard += 1
            conf = utt.transcript.confidence
            out(f"{time.monotonic() - t0:5.1f}s => {utt.transcript.text}  "
                f"[{utt.speech_s:.1f} s speech{f', confidence {conf:.2f}' if conf is not None else ''}]")
    except MicError as exc:
        err(f"kiosk listen: the microphone stopped: {exc}")
        return 1
    finally:
        timer.cancel()
        mic.close()
        rec.close()
    overruns = getattr(mic, "overruns", 0)
    out(f"done: {heard} utterance(s) in {time.monotonic() - t0:.0f} s"
        + (f"; {overruns} audio blocks dropped (CPU too busy?)" if overruns else ""))
    return 0


def _db(level: float) -> float:
    return -60.0 + 60.0 * level  # inverse of speech.vad.energy.level_meter


def _bar(level: float) -> str:
    n = round(max(0.0, min(1.0, level)) * BAR)
    return "[" + "#" * n + "." * (BAR - n) + "]"


def audio_question(path: Path, settings: Settings, language: str = "vi", *,
                   knowledge: Callable[[], Any] | None = None) -> dict[str, Any]:
    """``kiosk ask --audio``: a WAV file through VAD → endpointing → ASR. Raises ``KioskError``s.

    ``language`` is the session's; "language" in the result is what was heard (a Vietnamese session
    detects English speech, issue 10). ``knowledge`` (opened after the file was read): the answer is
    prepared during the pauses as the kiosk prepares it, and the result says when its first audio
    was ready. Times in the file's clock (seconds from its start, issue 19): ``speech_end_s`` where
    the last word ended, ``turn_end_s`` where the end of the turn was decided, ``first_audio_s`` when
    the first answer audio was ready, as the kiosk would have played it in real time (the processing
    lag at each moment added to the audio time, as a live microphone would see it)."""
    from kiosk_app.wiring import build_recognizer, build_vad
    from speech.audio import read_wav
    from speech.capture import transcribe_file

    read_wav(path)  # AudioInvalidError before any model is loaded
    kn = knowledge() if knowledge is not None else None
    t0 = time.perf_counter()
    rec = build_recognizer(settings, language)
    load_s = time.perf_counter() - t0
    spec = _speculation(settings, language, kn) if kn is not None else None
    try:
        transcript, timings = transcribe_file(path, settings, recognizer=rec, vad=build_vad(settings),
                                              language=language, speculation=spec)
    except BaseException:
        if kn is not None:
            kn.close()
        raise
    finally:
        rec.close()
    heard: dict[str, Any] = {
        "transcript": transcript.text,
        "asr_ms": round(timings["wall_s"] * 1000, 1),
        "rtf": round(timings["rtf"], 3),
        "asr_engine": rec.name,
        "asr_confidence": transcript.confidence,
        "language": transcript.language,
        "audio_s": round(timings["file_s"], 2),
        "speech_s": round(timings["speech_s"], 2),
        "asr_load_ms": round(load_s * 1000, 1),
        "speech_end_s": round(timings["speech_end_s"], 3),
        "turn_end_s": round(timings["turn_end_s"], 3),
    }
    if spec is not None:
        lang = "en" if transcript.language == "en" else language
        prepared = spec.take(transcript.text, lang)
        heard["answer_prepared_in_pause"] = prepared is not None
        ready = timings["ready_s"]
        if prepared is None:  # not prepared in a pause (or for other words): made after the turn
            t0 = time.perf_counter()
            prepared = spec.prepare_now(transcript.text, lang)
            ready += time.perf_counter() - t0
        heard["first_audio_s"] = round(ready, 3)
        if prepared is not None:
            prepared.close()
    return heard


def _speculation(settings: Settings, language: str, knowledge: Any) -> Any:
    from kiosk_app.pipeline.conversation import ConversationMemory
    from kiosk_app.pipeline.speculation import AnswerSpeculation
    from kiosk_app.wiring import as_written, build_kiosk_voice, open_recordings

    recordings = open_recordings(knowledge)  # as the kiosk speaks: recorded sentences first
    spec = AnswerSpeculation(language=language, knowledge=knowledge,
                             conversation=ConversationMemory(settings.ui.idle_reset_s),
                             synthesizer=build_kiosk_voice(settings, language, recordings=lambda: recordings),
                             normalizer=as_written, rate=settings.tts.rate)
    # The kiosk has answered before (its start-up warms retrieval and the voice): so does this run,
    # or the first retrieval's one-time costs would count as the resident's wait.
    warm = spec.prepare_now("làm giấy khai sinh ở đâu" if language == "vi" else "where is the office",
                            language)
    if warm is not None:
        warm.close()
    spec.made = 0
    return spec
