"""``kiosk bundle recordings import FOLDER --into SRC``: check WAV takes and keep the good ones.

Each ``<sentence id>.wav`` (or ``0001_<id>.wav`` as the text files are numbered) in FOLDER is
checked in this order, and the first refusal is reported with its code and Vietnamese message:
the id must be a sentence of SRC's records now; the file must be a WAV of at most 30 s (read from
its header: a 10-minute file is refused before it is decoded) at 16 kHz or more (any rate from
16 kHz up is resampled, lower rates are refused); then ``speech.tts.take_check`` (speech, clipping,
level, noise, length for the syllables, and the kiosk's recogniser against the sentence). A kept
take is trimmed, levelled and stored as Ogg/Opus (24 kHz, or 16 kHz for a 16–24 kHz take) in
``SRC/recordings/`` with its index entry; ``kiosk bundle build SRC`` then packs it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from kiosk_app.commands.base import err, out, out_json
from kiosk_app.core.errors import KioskError
from kiosk_app.core.settings import Settings


def _problem(code: str, detail: str) -> dict[str, Any]:
    from kiosk_app.ui.recording_messages import TAKE_VI

    return {"ok": False, "code": code, "detail": detail, "message_vi": TAKE_VI[code]}


def check_file(path: Path, items: dict[str, Any], asr: Any, vad: Any) -> tuple[dict[str, Any], Any]:
    """(result, (samples, rate) to keep or None) for one take file."""
    import soundfile as sf

    from kiosk_app.ui.recording_messages import takes_vi
    from knowledge.recordings.export import take_id
    from speech.audio.resample import resample
    from speech.audio.wav import decode_wav
    from speech.tts.take_check import LIMITS, TakeCode, check_take

    sid = take_id(path.stem)
    item = items.get(sid)
    if item is None:
        return _problem(TakeCode.UNKNOWN_ID, f"{path.name}: no sentence with id {sid!r} in the records"), None
    try:
        info = sf.info(str(path))
    except Exception as exc:  # libsndfile: LibsndfileError / RuntimeError
        return _problem(TakeCode.FORMAT, f"{path.name}: not a readable audio file ({exc})"), None
    if info.format != "WAV":
        return _problem(TakeCode.FORMAT, f"{path.name}: is {info.format}, expected WAV"), None
    if info.duration > LIMITS.max_duration_s:
        return _problem(TakeCode.TOO_LONG_FILE, f"{path.name}: lasts {info.duration:.0f} s "
                        f"(limit {LIMITS.max_duration_s:.0f} s)"), None
    try:
        samples, rate = decode_wav(path.read_bytes(), path.name)
    except (KioskError, OSError) as exc:
        return _problem(TakeCode.FORMAT, str(exc)), None
    if rate < 16000:
        return _problem(TakeCode.FORMAT, f"{path.name}: {rate} Hz is too low (16 kHz or more)"), None
    x16 = resample(samples, rate, 16000)
    stats, heard, findings = check_take(x16, item.text, asr, vad)
    result: dict[str, Any] = {"ok": not findings, "id": sid, "duration_s": round(stats.duration_s, 2),
                              "speech_s": round(stats.speech_s, 2), "heard": heard,
                              "snr_db": round(stats.snr_db, 1), "level_dbfs": round(stats.active_dbfs, 1)}
    if findings:
        f = findings[0]
        result.update(code=f.code.value, detail="; ".join(x.detail for x in findings),
                      message_vi=takes_vi(findings),
                      codes=[x.code.value for x in findings],
                      differing=[list(p) for x in findings for p in x.differing])
        return result, None
    keep_rate = 24000 if rate >= 24000 else 16000
    return result, (item, resample(samples, rate, keep_rate), keep_rate)


def run_import(folder: Path, into: Path, settings: Settings, *, asr: bool = True, as_json: bool = False,
               recognizer: Any = None, vad: Any = None) -> int:
    from knowledge.bundle.build import collect_records
    from knowledge.recordings.bundle import add_take
    from knowledge.recordings.export import take_id
    from knowledge.recordings.inventory import inventory

    folder, into = Path(folder), Path(into)
    try:
        records, problems = collect_records(into)
    except KioskError as exc:
        err(f"kiosk: [{exc.code}] {exc}")
        return 1
    if problems or not into.is_dir():
        err(f"kiosk: {into} must be a folder of records that builds cleanly"
            + (f": {problems[0].message}" if problems else ""))
        return 1
    wavs = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".wav") \
        if folder.is_dir() else []
    if not wavs:
        err(f"kiosk: no .wav files in {folder}")
        return 1
    items = {i.id: i for lang in ("vi", "en") for i in inventory(records, lang)}
    recognizers: dict[str, Any] = {"vi": recognizer} if recognizer is not None else {}

    def recognizer_for(language: str) -> Any:
        """The kiosk's own recogniser of the take's language (built on first use); Vietnamese takes
        without the English detector: a take is one known language."""
        if language not in recognizers:
            from kiosk_app.wiring import build_recognizer

            asr_only = settings.asr.model_copy(update={"detect_english": False})
            plain = settings.model_copy(update={"asr": asr_only})
            recognizers[language] = build_recognizer(plain, language)
        return recognizers[language]

    if vad is None:
        from kiosk_app.wiring import build_vad

        detector = build_vad(settings)
        vad = detector if getattr(detector, "chunk_samples", 512) == 512 else None
    results: list[dict[str, Any]] = []
    kept = 0
    for path in wavs:
        lang = items[take_id(path.stem)].language if take_id(path.stem) in items else "vi"
        res, keep = check_file(path, items, recognizer_for(lang) if asr else None, vad)
        res.setdefault("file", path.name)
        if keep is not None:
            item, samples, rate = keep
            add_take(into, item.id, item.text, item.language, np.asarray(samples), rate)
            kept += 1
        results.append(res)
        if not as_json:
            if res["ok"]:
                out(f"✓ {path.name}: giữ ({res['duration_s']:.1f} s; máy nghe: {res.get('heard') or '—'})")
            else:
                out(f"✗ {path.name}: [{', '.join(res.get('codes') or [res['code']])}] {res['message_vi']}")
                out(f"    {res['detail']}")
    if as_json:
        out_json({"kept": kept, "refused": len(results) - kept, "takes": results})
    else:
        out(f"Giữ {kept}/{len(results)} bản ghi vào {into}/recordings; "
            f"{len(results) - kept} bị từ chối. Tạo gói: kiosk bundle build {into} --out GÓI.wkb")
    return 0 if kept == len(results) else 1
