"""Recording the kiosk's sentences on the kiosk itself (issue 20): the staff recording page's logic.

No Kivy. ``RecordingSession`` walks the sentences of the active bundle that have no fresh recording
(facts first, then titles, fixed sentences, connectives, …: the order of ``kiosk bundle recordings
--kind``), records a take from the microphone (a level value per block for the meter), stops on
silence after speech or on a stop press, trims the silence with the VAD, checks the take with
``speech.tts.take_check`` (the kiosk's own recogniser compares it with the sentence) and on "keep" stores
it with ``add_take`` in ``data_dir/recordings-takes`` (the layout of a source folder:
``recordings/<id>.ogg`` + index) and as ``wav/<id>.wav``, which staff export to a USB stick; signed
bundles are built on the office PC (``kiosk bundle recordings import``).

Slow work (recording, checking, playing) runs on a worker thread; results reach the caller through
``on_change`` (the screen posts it to the UI thread). Engines come in through factories: the tests
pass fakes at that boundary only.
"""

from __future__ import annotations

import logging
import shutil
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from knowledge.recordings.inventory import Item, Kind

if TYPE_CHECKING:
    from speech.tts.take_check import Finding

log = logging.getLogger(__name__)

TAKES_DIR = "recordings-takes"
WAV_DIR = "wav"
RATE = 16000
KIND_ORDER = (Kind.FACT, Kind.TITLE, Kind.FIXED, Kind.CONNECTIVE, Kind.NO_INFO, Kind.EXTRA)
PENDING_STATUSES = ("missing", "stale", "broken")
STOP_SILENCE_S = 1.2  # silence after speech that ends a take
MAX_TAKE_S = 30.0
MARGIN_S = 0.25  # kept around the speech when trimming
VAD_CHUNK = 512


class Source(Protocol):
    def read(self, timeout: float) -> bytes | None: ...

    def close(self) -> None: ...


class Phase(StrEnum):
    READY = "ready"  # a sentence is shown, nothing recorded yet
    RECORDING = "recording"
    CHECKING = "checking"
    CHECKED = "checked"  # a take with its check result: keep / record again / skip
    DONE = "done"  # no sentence left


# ---- pure decisions (table-tested) -------------------------------------------------------------
def queue(rows: Iterable[tuple[Item, str]]) -> list[Item]:
    """The items still to record (missing, stale or broken), in ``KIND_ORDER``, stable within a kind."""
    pending = [i for i, status in rows if status in PENDING_STATUSES]
    rank = {k: n for n, k in enumerate(KIND_ORDER)}
    return sorted(pending, key=lambda i: rank.get(i.kind, len(rank)))


def level(chunk: bytes) -> float:
    """Meter value 0..1 of one block: its RMS from −60 dBFS (0) to 0 dBFS (1)."""
    x = np.frombuffer(chunk, dtype=np.int16).astype(np.float64) / 32768.0
    if not len(x):
        return 0.0
    db = 10 * np.log10(float(np.mean(x * x)) + 1e-12)
    return float(min(1.0, max(0.0, (db + 60.0) / 60.0)))


def should_stop(speech_s: float, silence_s: float, total_s: float) -> bool:
    """A take ends after ``STOP_SILENCE_S`` of silence following speech, or at ``MAX_TAKE_S``."""
    return total_s >= MAX_TAKE_S or (speech_s > 0.0 and silence_s >= STOP_SILENCE_S)


def trim(samples: np.ndarray, speech: Sequence[bool], chunk: int = VAD_CHUNK,
         margin_s: float = MARGIN_S, rate: int = RATE) -> np.ndarray:
    """The take from just before its first speech chunk to just after its last (``speech``: the VAD's
    verdict per ``chunk`` samples); unchanged when no chunk is speech (the check then says so)."""
    hits = [n for n, s in enumerate(speech) if s]
    if not hits:
        return samples
    margin = int(margin_s * rate)
    start = max(0, hits[0] * chunk - margin)
    end = min(len(samples), (hits[-1] + 1) * chunk + margin)
    return samples[start:end]


@dataclass(frozen=True, slots=True)
class TakeResult:
    ok: bool
    findings: tuple[Finding, ...]  # () when the take is good; the screen says them in Vietnamese
    detail: str  # English figures, for the log
    heard: str | None
    differing: tuple[tuple[str, str], ...] = ()
    duration_s: float = 0.0


@dataclass(slots=True)
class State:
    phase: Phase = Phase.READY
    index: int = 0
    level: float = 0.0
    result: TakeResult | None = None
    kept: set[str] = field(default_factory=set)
    error: str = ""  # what went wrong, a reason key (ERRORS); the screen says it in Vietnamese


ERROR_MIC, ERROR_FAILED, ERROR_SAVE = "take-mic-failed", "take-failed", "take-save-failed"
ERRORS = (ERROR_MIC, ERROR_FAILED, ERROR_SAVE)


class RecordingSession:
    """One staff session of recording. Methods are called on the UI thread and return at once."""

    def __init__(self, items: Sequence[Item], recorded: int, total: int, takes_dir: Path, *,
                 open_source: Callable[[], Source], recognizer: Callable[[], Any],
                 vad: Callable[[], Any], player: Callable[[], Any],
                 on_change: Callable[[], None] = lambda: None) -> None:
        self.items = list(items)
        self.recorded, self.total = recorded, total
        self.takes_dir = Path(takes_dir)
        self._open_source, self._recognizer, self._vad, self._player = open_source, recognizer, vad, player
        self._engines: dict[str, Any] = {}
        self.on_change = on_change
        self.state = State(phase=Phase.READY if self.items else Phase.DONE)
        self.state.kept = set(kept_ids(self.takes_dir))
        self._stop = threading.Event()
        self._take: np.ndarray | None = None
        self._lock = threading.Lock()
        self.threads: list[threading.Thread] = []

    # ---- what the page shows ---------------------------------------------------------------------
    @property
    def item(self) -> Item | None:
        return self.items[self.state.index] if self.state.index < len(self.items) else None

    @property
    def done_count(self) -> int:
        """Recorded in the bundle plus kept here (not yet in a bundle)."""
        return self.recorded + sum(i.id in self.state.kept for i in self.items)

    # ---- actions ---------------------------------------------------------------------------------
    def record(self) -> None:
        if self.item is None or self.state.phase in (Phase.RECORDING, Phase.CHECKING):
            return
        self._stop.clear()
        self.state.phase, self.state.result, self.state.error = Phase.RECORDING, None, ""
        self._spawn(self._record_and_check, self.item)

    def stop(self) -> None:
        self._stop.set()

    def play(self) -> None:
        take = self._take
        if take is None or self.state.phase is not Phase.CHECKED:
            return
        self._spawn(self._play, take)

    def keep(self) -> bool:
        """Store the checked take (only a good one); move to the next sentence."""
        item, take, res = self.item, self._take, self.state.result
        if item is None or take is None or res is None or not res.ok:
            return False
        from knowledge.recordings.bundle import add_take
        from speech.audio.wav import write_wav

        try:
            add_take(self.takes_dir, item.id, item.text, item.language, take, RATE)
            (self.takes_dir / WAV_DIR).mkdir(parents=True, exist_ok=True)
            write_wav(self.takes_dir / WAV_DIR / f"{item.id}.wav", take.tobytes(), RATE)
        except OSError as exc:
            log.warning("cannot store the take of %s: %s", item.id, exc)
            self.state.error = ERROR_SAVE
            self._changed()
            return False
        self.state.kept.add(item.id)
        self._next()
        return True

    def again(self) -> None:
        if self.state.phase is Phase.CHECKED:
            self._take, self.state.result, self.state.phase = None, None, Phase.READY
            self._changed()

    def skip(self) -> None:
        if self.state.phase in (Phase.RECORDING, Phase.CHECKING):
            return
        self._next()

    def export(self, dest: Path) -> int:
        """Copy the kept takes (``<id>.wav``) into ``dest/recordings-takes``; how many."""
        src = self.takes_dir / WAV_DIR
        out = Path(dest) / TAKES_DIR
        out.mkdir(parents=True, exist_ok=True)
        n = 0
        for wav in sorted(src.glob("*.wav")) if src.is_dir() else []:
            shutil.copyfile(wav, out / wav.name)
            n += 1
        return n

    def close(self) -> None:
        self._stop.set()

    # ---- worker ----------------------------------------------------------------------------------
    def _spawn(self, fn: Callable[..., None], *args: Any) -> None:
        t = threading.Thread(target=self._guard, args=(fn, *args), name="staff-recording", daemon=True)
        self.threads.append(t)
        t.start()

    def _guard(self, fn: Callable[..., None], *args: Any) -> None:
        try:
            fn(*args)
        except Exception as exc:  # thread boundary: say it on the page, never die silently
            log.exception("staff recording failed")
            self.state.phase = Phase.READY
            self.state.error = _error(exc)
            self._changed()

    def _engine(self, name: str, factory: Callable[[], Any]) -> Any:
        with self._lock:
            if name not in self._engines:
                self._engines[name] = factory()
            return self._engines[name]

    def _record_and_check(self, item: Item) -> None:
        from speech.tts.take_check import check_take

        vad = self._engine("vad", self._vad)
        if hasattr(vad, "reset"):
            vad.reset()
        source = self._open_source()
        pcm = bytearray()
        verdicts: list[bool] = []
        speech_s = silence_s = 0.0
        try:
            while not self._stop.is_set():
                chunk = source.read(0.2)
                if chunk is None:
                    continue
                if chunk == b"":
                    break
                pcm += chunk
                self.state.level = level(chunk)
                self._changed()
                while (len(verdicts) + 1) * VAD_CHUNK * 2 <= len(pcm):
                    n = len(verdicts)
                    is_speech = vad(bytes(pcm[n * VAD_CHUNK * 2:(n + 1) * VAD_CHUNK * 2])) >= 0.5
                    verdicts.append(is_speech)
                    if is_speech:
                        speech_s, silence_s = speech_s + VAD_CHUNK / RATE, 0.0
                    else:
                        silence_s += VAD_CHUNK / RATE
                if should_stop(speech_s, silence_s, len(pcm) / 2 / RATE):
                    break
        finally:
            source.close()
        self.state.level = 0.0
        samples = trim(np.frombuffer(bytes(pcm), dtype=np.int16), verdicts)
        self.state.phase = Phase.CHECKING
        self._changed()
        stats, heard, findings = check_take(samples, item.text, self._engine("asr", self._recognizer),
                                            vad if getattr(vad, "chunk_samples", VAD_CHUNK) == VAD_CHUNK
                                            else None)
        result = TakeResult(ok=not findings, findings=tuple(findings),
                            detail="; ".join(f.detail for f in findings), heard=heard,
                            differing=tuple(p for f in findings for p in f.differing),
                            duration_s=round(stats.duration_s, 2))
        log.info("take of %s: %s", item.id, "ok" if result.ok else result.detail)
        self._take = samples
        self.state.result, self.state.phase = result, Phase.CHECKED
        self._changed()

    def _play(self, take: np.ndarray) -> None:
        from speech.tts.base import AudioChunk

        self._engine("player", self._player).play([AudioChunk(take.tobytes(), RATE)])

    def _next(self) -> None:
        self._take, self.state.result = None, None
        self.state.index += 1
        self.state.phase = Phase.READY if self.item is not None else Phase.DONE
        self._changed()

    def _changed(self) -> None:
        self.on_change()


def _error(exc: BaseException) -> str:
    from kiosk_app.core.errors import MicError, MicMissingError

    return ERROR_MIC if isinstance(exc, (MicError, MicMissingError)) else ERROR_FAILED


def kept_ids(takes_dir: Path) -> list[str]:
    wav = Path(takes_dir) / WAV_DIR
    return sorted(p.stem for p in wav.glob("*.wav")) if wav.is_dir() else []


def open_for_kiosk(settings: Any, on_change: Callable[[], None]) -> RecordingSession:
    """The session for the active bundle with the kiosk's own engines (mic, viet-asr, VAD, speaker).
    Reads the bundle: call it off the UI thread."""
    from knowledge.recordings.lookup import RecordingSet
    from knowledge.service import current_bundle_dir

    current = current_bundle_dir(settings)
    rs = RecordingSet.open(current.resolve(), languages=("vi",)) if current.exists() else RecordingSet.empty()
    rs.probe()
    rows = [(i, rs.status(i)) for i in rs.items]
    cov = rs.coverage("vi")

    def recognizer() -> Any:
        from kiosk_app.wiring import build_recognizer

        plain = settings.model_copy(update={"asr": settings.asr.model_copy(update={"detect_english": False})})
        return build_recognizer(plain, "vi")

    def vad() -> Any:
        from kiosk_app.wiring import build_vad

        return build_vad(settings)

    def player() -> Any:
        from kiosk_app.wiring import build_player

        return build_player(settings)

    def source() -> Source:
        from speech.audio import open_mic

        return open_mic(settings.audio)

    return RecordingSession(queue(rows), cov.recorded, cov.total, Path(settings.data_dir) / TAKES_DIR,
                            open_source=source, recognizer=recognizer, vad=vad, player=player,
                            on_change=on_change)
