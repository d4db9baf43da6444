"""``kiosk say "văn bản"``: speak a text the way the kiosk speaks its answers (technicians, listen-checks).

Without ``--out`` it plays on the speaker (``[audio] output_device``); with ``--out`` it writes the
WAV that would have been played. ``--show-normalized`` prints the words the voice actually says.
"""

from __future__ import annotations

import argparse
import threading
from pathlib import Path

from kiosk_app.commands.base import Subparsers, err, out
from kiosk_app.core.settings import Settings, TtsEngine

EXIT_OK, EXIT_FAIL = 0, 1


def register(groups: Subparsers) -> None:
    p = groups.add_parser("say", help="speak a text with the kiosk voice (or write it to a WAV file)")
    p.add_argument("text", help='text to speak, e.g. "Lệ phí là 5.000 đồng"')
    p.add_argument("--out", type=Path, metavar="FILE.wav", help="write a WAV file instead of playing")
    p.add_argument("--rate", type=float, default=None,
                   help="speaking rate, 1.0 normal, below 1 slower (default: [tts] rate)")
    p.add_argument("--engine", choices=[e.value for e in TtsEngine], default=None,
                   help="voice engine (default: [tts] engine)")
    p.add_argument("--lang", choices=["vi", "en"], default="vi", help="language (default: %(default)s)")
    p.add_argument("--show-normalized", action="store_true",
                   help="print the text as it is spoken (numbers, dates, abbreviations written out)")
    p.set_defaults(run=cmd_say)


def cmd_say(args: argparse.Namespace, settings: Settings) -> int:
    from kiosk_app.wiring import build_player, build_synthesizer
    from speech.audio.playback import WavFilePlayer

    text = args.text.strip()
    if not text:
        err("kiosk say: nothing to say (empty text)")
        return EXIT_FAIL
    rate = args.rate if args.rate is not None else settings.tts.rate
    if not 0.3 <= rate <= 3.0:
        err(f"kiosk say: --rate {rate} is outside 0.3 .. 3.0")
        return EXIT_FAIL
    if args.engine is not None:
        tts: dict[str, object] = {"engine": TtsEngine(args.engine)}
        if args.lang == "en" and args.engine == TtsEngine.ESPEAK:
            tts["english_voice"] = ""  # English voice off: espeak-ng only
        settings = settings.model_copy(update={"tts": settings.tts.model_copy(update=tts)})
    if args.show_normalized:
        if args.lang == "vi":
            from speech.text.normalize_vi import normalize_for_speech

            out(normalize_for_speech(text))
        else:
            out(text)
    synth = build_synthesizer(settings, language=args.lang)
    player = WavFilePlayer(args.out, volume=settings.audio.volume) if args.out else build_player(settings)
    sentences: list[str] = []
    try:
        interrupted = player.play(synth.synthesize(text, rate=rate), cancel=threading.Event(),
                                  on_sentence=sentences.append)
    finally:
        player.close()
        synth.close()
    timings = player.last_timings
    where = str(args.out) if args.out else "speaker"
    out(f"{synth.name}: {len(sentences)} sentence(s), first audio after "
        f"{timings.get('first_audio_s', 0.0) * 1000:.0f} ms -> {where}"
        + (f" ({timings['audio_s']:.1f} s of audio)" if "audio_s" in timings else "")
        + (" (interrupted)" if interrupted else ""))
    return EXIT_OK
