"""Audio input: the pipeline format, microphone capture (sounddevice), WAV files as a fake microphone.

Pipeline format: 16 kHz, mono, signed 16-bit little-endian PCM (``bytes``). Every ``AudioSource``
delivers chunks in this format. ``sounddevice`` is imported only inside the functions that open or
probe a device, so importing this module never starts PortAudio.
"""

from __future__ import annotations

import logging
import queue
import struct
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt

from kiosk_app.errors import AudioInvalidError, MicError, MicMissingError
from speech.resample import Resampler, resample

if TYPE_CHECKING:
    from kiosk_app.settings import AudioSettings, Settings

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
CHANNELS = 1
SAMPLE_WIDTH = 2  # bytes (int16)
DTYPE = "int16"
CHUNK_SAMPLES = 512  # 32 ms: the Silero VAD frame; sources may deliver other sizes
BYTES_PER_SECOND = SAMPLE_RATE * SAMPLE_WIDTH

Int16Array = npt.NDArray[np.int16]
_pa_lock = threading.Lock()  # PortAudio (re)initialisation is not thread-safe


class AudioSource(Protocol):
    """A stream of pipeline-format chunks.

    ``read(timeout)`` returns the next chunk (any length, whole samples), ``None`` when nothing
    arrived within ``timeout`` seconds, or ``b""`` once the source has ended (a file ran out).
    Raises ``MicError`` if a live device fails (unplugged).
    """

    def read(self, timeout: float) -> bytes | None: ...

    def close(self) -> None: ...


def seconds(pcm16: bytes) -> float:
    return len(pcm16) / BYTES_PER_SECOND


# ---- WAV files ----------------------------------------------------------------------------------

_WAVE_PCM, _WAVE_FLOAT, _WAVE_EXTENSIBLE = 0x0001, 0x0003, 0xFFFE


def read_wav(path: Path | str) -> tuple[bytes, int]:
    """Read a WAV file of any rate, channel count and sample width; return (pcm16 bytes, 16000).

    Accepts integer PCM (8/16/24/32-bit) and IEEE float (32/64-bit), plain or WAVE_FORMAT_EXTENSIBLE;
    channels are averaged. Anything else raises ``AudioInvalidError`` naming the file and the problem.
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError as err:
        raise AudioInvalidError(f"{p}: file not found") from err
    except (IsADirectoryError, PermissionError) as err:
        raise AudioInvalidError(f"{p}: cannot read: {err.strerror}") from err
    samples, rate = decode_wav(data, str(p))
    return resample(samples, rate, SAMPLE_RATE).tobytes(), SAMPLE_RATE


def decode_wav(data: bytes, name: str = "audio") -> tuple[Int16Array, int]:
    """Parse RIFF/WAVE bytes into mono int16 samples at the file's own rate."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise AudioInvalidError(f"{name}: not a WAV file (no RIFF/WAVE header); "
                                "give a .wav recording (PCM or float, any rate and channel count)")
    fmt: tuple[int, int, int, int] | None = None
    payload: bytes | None = None
    pos = 12
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        body = data[pos + 8:pos + 8 + size]
        if cid == b"fmt ":
            if len(body) < 16:
                raise AudioInvalidError(f"{name}: WAV 'fmt ' chunk is truncated")
            tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", body)
            if tag == _WAVE_EXTENSIBLE and len(body) >= 26:
                tag = struct.unpack_from("<H", body, 24)[0]  # first 2 bytes of the subformat GUID
            fmt = (tag, channels, rate, bits)
        elif cid == b"data":
            payload = body  # a truncated last chunk is read as far as it goes
            break
        pos += 8 + size + (size & 1)
    if fmt is None or payload is None:
        raise AudioInvalidError(f"{name}: WAV file has no {'fmt' if fmt is None else 'data'} chunk")
    tag, channels, rate, bits = fmt
    if channels < 1 or not 1000 <= rate <= 384000:
        raise AudioInvalidError(f"{name}: implausible WAV format ({channels} channels, {rate} Hz)")
    x = _samples(payload, tag, bits, name)
    frames = len(x) // channels
    if frames == 0:
        raise AudioInvalidError(f"{name}: WAV file holds no audio samples")
    x = x[:frames * channels].reshape(frames, channels).mean(axis=1)
    return np.clip(np.rint(x), -32768, 32767).astype(np.int16), rate


def _samples(payload: bytes, tag: int, bits: int, name: str) -> npt.NDArray[np.float64]:
    """Decode interleaved samples to float64 scaled to the int16 range."""
    if tag == _WAVE_PCM and bits == 16:
        return np.frombuffer(payload[:len(payload) // 2 * 2], dtype="<i2").astype(np.float64)
    if tag == _WAVE_PCM and bits == 8:
        return (np.frombuffer(payload, dtype=np.uint8).astype(np.float64) - 128.0) * 256.0
    if tag == _WAVE_PCM and bits == 24:
        b = np.frombuffer(payload[:len(payload) // 3 * 3], dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        v = np.where(v >= 1 << 23, v - (1 << 24), v)
        return v.astype(np.float64) / 256.0
    if tag == _WAVE_PCM and bits == 32:
        return np.frombuffer(payload[:len(payload) // 4 * 4], dtype="<i4").astype(np.float64) / 65536.0
    if tag == _WAVE_FLOAT and bits in (32, 64):
        dt = "<f4" if bits == 32 else "<f8"
        w = bits // 8
        f = np.frombuffer(payload[:len(payload) // w * w], dtype=dt).astype(np.float64)
        return np.nan_to_num(f) * 32767.0
    raise AudioInvalidError(f"{name}: unsupported WAV encoding (format tag {tag:#06x}, {bits}-bit); "
                            "use PCM 8/16/24/32-bit or float 32/64-bit")


def write_wav(path: Path, pcm16: bytes, rate: int = SAMPLE_RATE) -> None:
    """Write mono int16 PCM as a WAV file (tests, benchmarks, opt-in recording)."""
    import wave

    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(SAMPLE_WIDTH)
        w.setframerate(rate)
        w.writeframes(pcm16)


class WavSource:
    """A fake microphone reading a WAV file (any format), with the same ``read()`` shape as ``MicStream``.

    ``realtime=True`` paces chunks at the speed of the audio (for timing behaviour); otherwise chunks
    come as fast as they are read. ``tail_silence_s`` appends digital silence, like a quiet room after
    the last word. At the end ``read`` returns ``b""``.
    """

    def __init__(self, path: Path | str | None = None, realtime: bool = False, *,
                 pcm16: bytes | None = None, chunk_samples: int = CHUNK_SAMPLES,
                 tail_silence_s: float = 0.0) -> None:
        if pcm16 is None:
            if path is None:
                raise ValueError("WavSource needs a path or pcm16")
            pcm16, _ = read_wav(path)
        pad = round(tail_silence_s * SAMPLE_RATE) * SAMPLE_WIDTH
        self._pcm = pcm16 + b"\x00" * pad
        self._step = chunk_samples * SAMPLE_WIDTH
        self._pos = 0
        self.realtime = realtime
        self._t0: float | None = None
        self.closed = False

    @property
    def duration_s(self) -> float:
        return seconds(self._pcm)

    def read(self, timeout: float) -> bytes | None:
        if self.closed or self._pos >= len(self._pcm):
            return b""
        if self.realtime:
            now = time.monotonic()
            if self._t0 is None:
                self._t0 = now
            due = self._t0 + seconds(self._pcm[:self._pos + self._step])
            if due - now > timeout:
                time.sleep(max(0.0, timeout))
                return None
            if due > now:
                time.sleep(due - now)
        chunk = self._pcm[self._pos:self._pos + self._step]
        self._pos += len(chunk)
        return chunk

    def close(self) -> None:
        self.closed = True


# ---- microphone (sounddevice / PortAudio) ------------------------------------------------------

@dataclass(frozen=True, slots=True)
class InputDevice:
    index: int
    name: str
    channels: int
    default_rate: float


@dataclass(frozen=True, slots=True)
class MicProbe:
    """Result of ``mic_available``: truthy when a usable input device exists."""

    available: bool
    device: str = ""
    detail: str = ""

    def __bool__(self) -> bool:
        return self.available


def _sd() -> Any:
    import sounddevice as sd  # deferred: importing it scans the audio devices

    return sd


def reinit_portaudio() -> None:
    """Re-scan audio devices (PortAudio only scans at start-up). Never call it while a stream is open."""
    sd = _sd()
    with _pa_lock:
        sd._terminate()
        sd._initialize()


def input_devices() -> list[InputDevice]:
    sd = _sd()
    try:
        devices = sd.query_devices()
    except sd.PortAudioError:
        return []
    return [InputDevice(i, str(d["name"]), int(d["max_input_channels"]), float(d["default_samplerate"]))
            for i, d in enumerate(devices) if int(d["max_input_channels"]) > 0]


def find_input_device(wanted: str | int | None) -> InputDevice:
    """Resolve settings.audio.input_device (index, name substring, or None = system default)."""
    sd = _sd()
    devices = input_devices()
    if not devices:
        raise MicMissingError("no audio input device found (PortAudio lists no capture device); "
                              "plug in a USB microphone and check `arecord -l`")
    names = ", ".join(f"{d.index}: {d.name}" for d in devices)
    if wanted is None or (isinstance(wanted, str) and not wanted.strip()):
        try:
            idx = int(sd.default.device[0])
        except (TypeError, ValueError, IndexError):
            idx = -1
        for d in devices:
            if d.index == idx:
                return d
        return devices[0]
    if isinstance(wanted, int) or wanted.strip().isdigit():
        idx = int(wanted)
        for d in devices:
            if d.index == idx:
                return d
        raise MicMissingError(f"audio input device #{idx} not found (input devices: {names}); "
                              "fix [audio] input_device in the settings")
    for d in devices:
        if wanted.lower() in d.name.lower():
            return d
    raise MicMissingError(f"no audio input device matching '{wanted}' (input devices: {names}); "
                          "fix [audio] input_device in the settings")


class MicStream:
    """Microphone capture at 16 kHz mono int16, resampled if the device only offers other rates.

    The PortAudio callback only copies the block and ``put_nowait``s it (overruns are counted);
    conversion happens in ``read()`` on the consumer's thread.
    """

    def __init__(self, device: str | int | None = None, *, block_s: float = 0.032,
                 queue_s: float = 20.0, stall_s: float = 2.0, device_rate: int | None = None) -> None:
        sd = _sd()
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
    sd = _sd()
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


def mic_available(settings: Settings | AudioSettings, *, rescan: bool = True) -> MicProbe:
    """Probe for the configured microphone without opening it (the UI's 'no microphone' state).

    ``rescan`` re-initialises PortAudio so a microphone plugged in after start-up is found; call it
    only while no stream is open (between questions).
    """
    audio: AudioSettings = settings.audio if hasattr(settings, "audio") else settings
    if rescan:
        reinit_portaudio()
    try:
        dev = find_input_device(audio.input_device)
    except MicMissingError as err:
        return MicProbe(False, "", str(err))
    return MicProbe(True, dev.name, f"{dev.index}: {dev.name} ({dev.default_rate:.0f} Hz default)")
