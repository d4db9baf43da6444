"""Playback of synthesised speech: interruptible, sentence-aware, never blocking the UI.

``Player`` plays through a sounddevice (PortAudio) output stream. ``play()`` blocks its caller (the
pipeline worker) until the audio is out or interrupted, but the work happens in two threads:

* a producer pulls ``AudioChunk``s from the synthesiser into a queue, so sentence 2 is synthesised
  while sentence 1 plays;
* a writer writes small blocks (``block_ms``, 30 ms by default) to the stream and checks the stop
  flag and the caller's ``cancel`` event between blocks. On a stop it aborts the stream, which drops
  what is buffered, so the speaker goes quiet within one block plus the stream latency.

``stop()`` may be called from any thread ("Dừng" button, barge-in). ``on_sentence(text)`` is called
from the writer thread when a sentence starts playing.

``WavFilePlayer`` has the same interface and writes what would have been played to a WAV file
(``kiosk say --out``, tests, benchmarks). sounddevice is imported only when a ``Player`` opens a stream.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import wave
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from kiosk_app.errors import KioskError, PlaybackError, TtsError
from speech.tts.base import AudioChunk

log = logging.getLogger(__name__)

BLOCK_MS = 30  # writer granularity: bounds the stop latency
LATENCY_S = 0.1  # PortAudio output latency (buffered audio that an abort drops)
STOP_JOIN_S = 1.0
_END = object()


class OutputStream(Protocol):
    """The part of ``sounddevice.RawOutputStream`` the player uses (the device boundary)."""

    def start(self) -> None: ...

    def write(self, data: bytes) -> Any: ...

    def stop(self) -> None: ...  # plays out what is buffered

    def abort(self) -> None: ...  # drops what is buffered

    def close(self) -> None: ...


StreamFactory = Callable[[int], OutputStream]  # sample rate -> an open (not started) stream


CEILING_DBFS = -1.0  # output peak limit: headroom for the DAC (inter-sample peaks) and any gain
LIMIT_FRAME_S = 0.0025  # the limiter's gain is computed per 2.5 ms frame ...
LIMIT_HOLD = 4  # ... held for ±4 frames (10 ms) around a peak ...
LIMIT_SMOOTH = LIMIT_HOLD - 1  # ... and averaged over ±3 frames: smooth, yet never above what a peak needs


def scale_volume(pcm16: bytes, volume: float, sample_rate: int = 22050) -> bytes:
    """Multiply int16 samples by ``volume``; peaks that would pass ``CEILING_DBFS`` are limited.

    espeak-ng peaks at about -0.03 dBFS, so any gain above 1.0 used to clip. Above 1.0 the gain is
    reduced only around peaks (``limit_peaks``), so speech still gets louder and is never clipped.
    At 1.0 or below nothing can clip: plain scaling (1.0: the engine's bytes, unchanged).
    """
    if not pcm16:
        return pcm16
    x = np.frombuffer(pcm16, dtype="<i2").astype(np.float32)
    ceiling = 32767 * 10 ** (CEILING_DBFS / 20)
    if volume <= 1.0:  # cannot clip: plain scaling (1.0: the engine's bytes, unchanged)
        return pcm16 if volume == 1.0 else bytes(np.rint(x * volume).astype("<i2").tobytes())
    y = limit_peaks(x * volume, ceiling, max(1, round(sample_rate * LIMIT_FRAME_S)))
    return bytes(np.clip(np.rint(y), -ceiling, ceiling).astype("<i2").tobytes())


def limit_peaks(y: np.ndarray, ceiling: float, frame: int) -> np.ndarray:
    """A look-ahead peak limiter: ``|result| <= ceiling`` with a gain that changes over milliseconds.

    Per frame, the gain its loudest sample needs; the minimum over ±``LIMIT_HOLD`` frames; a moving
    average over ±``LIMIT_SMOOTH`` frames (each averaged value still covers the frame, so it is never
    above that frame's need); linear interpolation between frame centres (both ends cover the frame).
    """
    n = len(y)
    frames = -(-n // frame)
    peaks = np.abs(np.pad(y, (0, frames * frame - n))).reshape(frames, frame).max(axis=1)
    need = np.minimum(1.0, ceiling / np.maximum(peaks, 1e-9))
    if need.min() >= 1.0:
        return y
    padded = np.pad(need, LIMIT_HOLD, constant_values=1.0)
    held = np.min([padded[i:i + frames] for i in range(2 * LIMIT_HOLD + 1)], axis=0)
    padded = np.pad(held, LIMIT_SMOOTH, mode="edge")
    smooth = np.mean([padded[i:i + frames] for i in range(2 * LIMIT_SMOOTH + 1)], axis=0)
    centres = np.arange(frames) * frame + (frame - 1) / 2
    gain = np.interp(np.arange(n), centres, smooth)
    return y * gain


def resample(pcm16: bytes, src_rate: int, dst_rate: int) -> bytes:
    """Linear-interpolation resampling of int16 mono (speech only; good enough for a kiosk speaker)."""
    if src_rate == dst_rate or not pcm16:
        return pcm16
    x = np.frombuffer(pcm16, dtype="<i2").astype(np.float32)
    n_out = max(1, round(len(x) * dst_rate / src_rate))
    t = np.linspace(0, len(x) - 1, n_out, dtype=np.float64)
    return np.interp(t, np.arange(len(x)), x).round().astype("<i2").tobytes()


def _iter_blocks(pcm16: bytes, block_bytes: int) -> Iterator[bytes]:
    for i in range(0, len(pcm16), block_bytes):
        yield pcm16[i:i + block_bytes]


# ------------------------------------------------------------------------------------------------
# device selection (sounddevice imported here only)


def _sounddevice() -> Any:
    try:
        import sounddevice as sd
    except (ImportError, OSError) as err:
        raise PlaybackError(f"sound output unavailable: {err}; install the PortAudio library "
                            "(sudo apt-get install libportaudio2)") from err
    return sd


def output_devices() -> list[tuple[int, str]]:
    """(index, name) of every PortAudio device with output channels."""
    sd = _sounddevice()
    return [(i, str(d["name"])) for i, d in enumerate(sd.query_devices()) if d["max_output_channels"] > 0]


def resolve_output_device(spec: str | int | None) -> tuple[int, str]:
    """PortAudio index and name of the output device ``spec`` (None = system default, str = name part).

    Raises ``PlaybackError`` saying what is missing and what exists.
    """
    sd = _sounddevice()
    outputs = output_devices()
    if not outputs:
        raise PlaybackError("no audio output device: PortAudio lists no device with output channels "
                            "(is the speaker or USB sound card connected? check `aplay -l`)")
    listing = ", ".join(f"{i}: {n}" for i, n in outputs)
    if spec is None or spec == "":
        default = sd.default.device[1]
        for i, name in outputs:
            if i == default:
                return i, name
        return outputs[0]
    if isinstance(spec, int) or str(spec).isdigit():
        index = int(spec)
        for i, name in outputs:
            if i == index:
                return i, name
        raise PlaybackError(f"audio output device {index} does not exist or has no output; "
                            f"outputs: {listing}")
    for i, name in outputs:
        if str(spec).lower() in name.lower():
            return i, name
    raise PlaybackError(f"no audio output device named like '{spec}' "
                        f"(settings audio.output_device); outputs: {listing}")


def sounddevice_stream_factory(device: str | int | None, latency: float = LATENCY_S) -> StreamFactory:
    def open_stream(sample_rate: int) -> OutputStream:
        sd = _sounddevice()
        index, name = resolve_output_device(device)
        try:
            stream = sd.RawOutputStream(samplerate=sample_rate, channels=1, dtype="int16", device=index,
                                        latency=latency)
        except sd.PortAudioError as err:
            raise PlaybackError(f"cannot open audio output '{name}' at {sample_rate} Hz: {err}") from err
        log.debug("output stream open on %s at %d Hz", name, sample_rate)
        return stream  # type: ignore[no-any-return]
    return open_stream


# ------------------------------------------------------------------------------------------------
# players


class _Run:
    """State of one ``play()``: threads, queue, flags, outcome."""

    def __init__(self, cancel: threading.Event | None) -> None:
        self.stop = threading.Event()
        self.cancel = cancel
        self.queue: queue.Queue[object] = queue.Queue()
        self.done = threading.Event()
        self.interrupted = False
        self.error: BaseException | None = None
        self.writer: threading.Thread | None = None

    def stopping(self) -> bool:
        return self.stop.is_set() or (self.cancel is not None and self.cancel.is_set())


class Player:
    """Plays ``AudioChunk``s on a sound device; see the module docstring."""

    def __init__(self, device: str | int | None = None, *, volume: float = 1.0, block_ms: int = BLOCK_MS,
                 latency: float = LATENCY_S, stream_factory: StreamFactory | None = None) -> None:
        self.device = device
        self.volume = volume
        self.block_ms = block_ms
        self._factory = stream_factory or sounddevice_stream_factory(device, latency)
        self._stream: OutputStream | None = None
        self._stream_rate = 0
        self._device_rate: int | None = None  # set when the device refuses a chunk's rate
        self._started = False
        self._run: _Run | None = None
        self._lock = threading.Lock()
        self.last_timings: dict[str, float] = {}

    # -- public API --------------------------------------------------------------------------
    def play(self, chunks: Iterable[AudioChunk], *, cancel: threading.Event | None = None,
             on_sentence: Callable[[str], None] | None = None) -> bool:
        """Play until done (False) or interrupted by ``stop()`` / ``cancel`` (True).

        Raises ``PlaybackError`` (no device, device failure) or ``TtsError`` (synthesis failed)."""
        self.start(chunks, cancel=cancel, on_sentence=on_sentence)
        return self.wait()

    def start(self, chunks: Iterable[AudioChunk], *, cancel: threading.Event | None = None,
              on_sentence: Callable[[str], None] | None = None) -> None:
        """Begin playing in the background; ``wait()`` for the outcome."""
        self.stop()
        run = _Run(cancel)
        self.last_timings = {}
        t0 = time.perf_counter()
        producer = threading.Thread(target=self._produce, args=(run, chunks), name="tts-producer",
                                    daemon=True)
        run.writer = threading.Thread(target=self._write, args=(run, on_sentence, t0), name="tts-player",
                                      daemon=True)
        with self._lock:
            self._run = run
        producer.start()
        run.writer.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the current playback ends; True if it was interrupted. Re-raises its error."""
        run = self._run
        if run is None:
            return False
        if not run.done.wait(timeout):
            raise PlaybackError(f"playback still running after {timeout} s")
        if run.error is not None:
            raise run.error
        return run.interrupted

    def stop(self, timeout: float = STOP_JOIN_S) -> None:
        """Silence now. Returns when the writer thread has exited (or after ``timeout``)."""
        with self._lock:
            run = self._run
        if run is None or run.done.is_set():
            return
        t0 = time.perf_counter()
        run.stop.set()
        if run.writer is not None and run.writer is not threading.current_thread():
            run.writer.join(timeout)
        self.last_timings["stop_s"] = time.perf_counter() - t0

    @property
    def playing(self) -> bool:
        run = self._run
        return run is not None and not run.done.is_set()

    def check(self) -> str:
        """Name of the output device that would be used; ``PlaybackError`` if none (health check)."""
        return resolve_output_device(self.device)[1]

    def close(self) -> None:
        self.stop()
        if self._stream is not None:
            try:
                self._stream.close()
            except Exception:  # closing a dead device must not mask the real outcome
                log.debug("closing output stream failed", exc_info=True)
            self._stream = None

    # -- threads -----------------------------------------------------------------------------
    @staticmethod
    def _produce(run: _Run, chunks: Iterable[AudioChunk]) -> None:
        it = iter(chunks)
        try:
            for chunk in it:
                if run.stopping():
                    break
                run.queue.put(chunk)
        except BaseException as err:  # handed to the writer, re-raised by wait() in the caller
            run.queue.put(err if isinstance(err, KioskError) else TtsError(f"synthesis failed: {err}"))
        finally:
            close = getattr(it, "close", None)
            if close is not None:
                close()
            run.queue.put(_END)

    def _write(self, run: _Run, on_sentence: Callable[[str], None] | None, t0: float) -> None:
        stream: OutputStream | None = None
        try:
            while True:
                try:
                    item = run.queue.get(timeout=self.block_ms / 1000)
                except queue.Empty:
                    if run.stopping():
                        run.interrupted = True
                        break
                    continue
                if item is _END:
                    break
                if isinstance(item, BaseException):
                    raise item
                assert isinstance(item, AudioChunk)
                if run.stopping():
                    run.interrupted = True
                    break
                stream, pcm, rate = self._prepare(item)
                if on_sentence is not None and item.text:
                    self._notify(on_sentence, item.text)
                block = max(2, rate * self.block_ms // 1000 * 2)
                for data in _iter_blocks(pcm, block):
                    if run.stopping():
                        run.interrupted = True
                        break
                    if "first_audio_s" not in self.last_timings:
                        self.last_timings["first_audio_s"] = time.perf_counter() - t0
                    stream.write(data)
                if run.interrupted:
                    break
            if stream is not None:
                self._started = False
                if run.interrupted:
                    stream.abort()
                else:
                    stream.stop()
        except KioskError as err:
            run.error = err
            self._drop_stream()
        except Exception as err:  # PortAudio errors mid-stream (device unplugged)
            run.error = PlaybackError(f"audio output failed: {err}")
            self._drop_stream()
        finally:
            self.last_timings["total_s"] = time.perf_counter() - t0
            run.done.set()

    def _prepare(self, chunk: AudioChunk) -> tuple[OutputStream, bytes, int]:
        """The running stream for this chunk's rate, and the chunk's samples ready to write."""
        rate = self._device_rate or chunk.sample_rate
        if self._stream is not None and self._stream_rate != rate:
            self._drop_stream()
        if self._stream is None:
            try:
                self._stream = self._factory(rate)
            except PlaybackError:
                if self._device_rate is not None:
                    raise
                self._device_rate = rate = self._default_rate()
                if rate == chunk.sample_rate:
                    raise
                log.info("output device refused %d Hz; resampling to %d Hz", chunk.sample_rate, rate)
                self._stream = self._factory(rate)
            self._stream_rate = rate
            self._started = False
        if not self._started:
            self._stream.start()
            self._started = True
        pcm = scale_volume(resample(chunk.pcm16, chunk.sample_rate, rate), self.volume, rate)
        return self._stream, pcm, rate

    def _default_rate(self) -> int:
        sd = _sounddevice()
        index, _name = resolve_output_device(self.device)
        return int(sd.query_devices(index)["default_samplerate"])

    def _drop_stream(self) -> None:
        if self._stream is not None:
            try:
                self._stream.close()
            except Exception:
                log.debug("closing output stream failed", exc_info=True)
        self._stream = None
        self._started = False

    @staticmethod
    def _notify(on_sentence: Callable[[str], None], text: str) -> None:
        try:
            on_sentence(text)
        except Exception:  # a UI callback bug must not cut the speech off
            log.exception("on_sentence callback failed")


class WavFilePlayer:
    """Writes what would be played to a 16-bit mono WAV file (rate of the first chunk)."""

    def __init__(self, path: Path, *, volume: float = 1.0) -> None:
        self.path = Path(path)
        self.volume = volume
        self._stop = threading.Event()
        self.last_timings: dict[str, float] = {}
        self.sentences: list[str] = []

    def play(self, chunks: Iterable[AudioChunk], *, cancel: threading.Event | None = None,
             on_sentence: Callable[[str], None] | None = None) -> bool:
        self._stop.clear()
        self.sentences = []
        t0 = time.perf_counter()
        self.last_timings = {}
        rate = 0
        pcm = bytearray()
        interrupted = False
        for chunk in chunks:
            if self._stop.is_set() or (cancel is not None and cancel.is_set()):
                interrupted = True
                break
            if not rate:
                rate = chunk.sample_rate
                self.last_timings["first_audio_s"] = time.perf_counter() - t0
            if chunk.text:
                self.sentences.append(chunk.text)
                if on_sentence is not None:
                    on_sentence(chunk.text)
            pcm += scale_volume(resample(chunk.pcm16, chunk.sample_rate, rate), self.volume, rate)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with wave.open(str(self.path), "wb") as w:
                w.setnchannels(1)
                w.setsampwidth(2)
                w.setframerate(rate or 22050)
                w.writeframes(bytes(pcm))
        except OSError as err:
            raise PlaybackError(f"cannot write {self.path}: {err}") from err
        self.last_timings["total_s"] = time.perf_counter() - t0
        self.last_timings["audio_s"] = len(pcm) / 2 / (rate or 22050)
        return interrupted

    def stop(self, timeout: float = STOP_JOIN_S) -> None:
        self._stop.set()

    def close(self) -> None:
        self._stop.set()
