"""Live microphone capture: ``MicStream`` (PortAudio callback -> queue -> pipeline format), ``open_mic``.

An open microphone: picking a format the device accepts (16 kHz mono first, else
its own rate, resampled), the real-time callback that only copies and enqueues (overruns counted),
conversion to 16 kHz mono int16 on the reader's thread, stall/unplug detection (``MicError``), and
``open_mic``, which opens the configured device and re-scans once if it is missing.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import TYPE_CHECKING, Any

import numpy as np

from kiosk_app.core.errors import MicError, MicMissingError
from speech.audio.format import DTYPE, SAMPLE_RATE
from speech.audio.input_device import find_input_device, load_sounddevice, reinit_portaudio
from speech.audio.resample import Resampler

if TYPE_CHECKING:
    from kiosk_app.core.settings import AudioSettings

log = logging.getLogger(__name__)


class MicStream:
    """Microphone capture at 16 kHz mono int16, resampled if the device only offers other rates.

    The PortAudio callback only copies the block and ``put_nowait``s it (overruns are counted);
    conversion happens in ``read()`` on the consumer's thread.
    """

    def __init__(self, device: str | int | None = None, *, block_s: float = 0.032,
                 queue_s: float = 20.0, stall_s: float = 2.0, device_rate: int | None = None) -> None:
        sd = load_sounddevice()
        self.device = find_input_device(device)
        self.rate, self.channels = self._pick_format(sd, device_rate)
        self._resampler = Resampler(self.rate, SAMPLE_RATE) if self.rate != SAMPLE_RATE else None
        block = max(64, round(block_s * self.rate))
        self._q: queue.Queue[bytes] = queue.Queue(maxsize=max(4, int(queue_s / block_s)))
        self.overruns = 0  # blocks dropped because the consumer fell behind
        self.status_flags = 0  # PortAudio reported input overflow/underflow
        self.stall_s = stall_s
        self._waited = 0.0
        self._closing = False
        self._finished = threading.Event()
        try:
            self._stream = sd.RawInputStream(
                device=self.device.index, samplerate=self.rate, channels=self.channels, dtype=DTYPE,
                blocksize=block, callback=self._callback, finished_callback=self._finished.set)
            self._stream.start()
        except sd.PortAudioError as err:
            raise MicMissingError(f"cannot open microphone '{self.device.name}' at {self.rate} Hz: {err}") \
                from err
        log.info("microphone '%s' open at %d Hz, %d ch%s", self.device.name, self.rate, self.channels,
                 " (resampled to 16 kHz)" if self._resampler else "")

    def _pick_format(self, sd: Any, forced_rate: int | None) -> tuple[int, int]:
        rates = [forced_rate] if forced_rate else [SAMPLE_RATE, int(self.device.default_rate), 48000, 44100]
        tried = []
        for rate in dict.fromkeys(rates):
            for ch in dict.fromkeys([1, min(2, self.device.channels)]):
                try:
                    sd.check_input_settings(device=self.device.index, samplerate=rate, channels=ch,
                                            dtype=DTYPE)
                    return rate, ch
                except sd.PortAudioError as err:
                    tried.append(f"{rate} Hz/{ch} ch: {err}")
        raise MicMissingError(f"microphone '{self.device.name}' accepts none of the formats tried "
                              f"({'; '.join(tried)})")

    def _callback(self, indata: Any, frames: int, time_info: Any, status: Any) -> None:
        if status:
            self.status_flags += 1
        if self._q.full():  # cheaper than raising queue.Full on every dropped block
            self.overruns += 1
            return
        try:
            self._q.put_nowait(bytes(indata))
        except queue.Full:
            self.overruns += 1

    def read(self, timeout: float) -> bytes | None:
        try:
            raw = self._q.get(timeout=timeout)
        except queue.Empty:
            if self._closing:
                return b""
            if self._finished.is_set():
                raise MicError(f"microphone '{self.device.name}' stopped delivering audio "
                               "(unplugged?)") from None
            self._waited += timeout
            if self._waited >= self.stall_s:
                raise MicError(f"no audio from microphone '{self.device.name}' for "
                               f"{self._waited:.1f} s (unplugged?)") from None
            return None
        self._waited = 0.0
        x = np.frombuffer(raw, dtype=np.int16)
        if self.channels > 1:
            x = x.reshape(-1, self.channels).mean(axis=1).astype(np.int16)
        if self._resampler is not None:
            x = self._resampler.process(x)
        return x.tobytes() if len(x) else None  # b"" would mean "ended"

    def close(self) -> None:
        self._closing = True
        try:
            self._stream.stop()
            self._stream.close()
        except Exception:  # an unplugged device may fail to stop; it is gone anyway
            log.debug("closing microphone stream failed", exc_info=True)

    def __enter__(self) -> MicStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_mic(audio: AudioSettings, *, rescan: bool = True, **kwargs: Any) -> MicStream:
    """Open the microphone named in ``settings.audio``; ``MicMissingError`` when there is none.

    PortAudio lists devices only when it starts: if the microphone is not found and ``rescan`` is
    set, the device list is refreshed once (a microphone plugged in since start-up is then used).
    The refresh must not happen while another audio stream is open; the kiosk plays nothing while
    it opens the microphone for a question.
    """
    sd = load_sounddevice()
    try:
        try:
            return MicStream(audio.input_device, **kwargs)
        except MicMissingError:
            if not rescan:
                raise
            log.info("microphone not found; re-scanning audio devices")
            reinit_portaudio()
            return MicStream(audio.input_device, **kwargs)
    except sd.PortAudioError as err:
        raise MicMissingError(f"microphone unavailable: {err}") from err
