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

The samples' volume, limiter and rate conversion live in ``speech.audio.dsp``, the sound device in
``speech.audio.output_device``.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import wave
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from kiosk_app.core.errors import KioskError, PlaybackError, TtsError
from speech.audio.dsp import (
    resample,
    scale_volume,
)
from speech.audio.output_device import (
    LATENCY_S,
    OutputStream,
    StreamFactory,
    default_output_rate,
    resolve_output_device,
    sounddevice_stream_factory,
)
from speech.tts.base import AudioChunk

log = logging.getLogger(__name__)

BLOCK_MS = 30  # writer granularity: bounds the stop latency
STOP_JOIN_S = 1.0
_END = object()


def _iter_blocks(pcm16: bytes, block_bytes: int) -> Iterator[bytes]:
    for i in range(0, len(pcm16), block_bytes):
        yield pcm16[i:i + block_bytes]


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
        return default_output_rate(self.device)

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
