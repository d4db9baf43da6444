"""WAV files in and out of the pipeline format, and ``WavSource``: a WAV file as a fake microphone.

Reading any WAV file (integer PCM 8/16/24/32-bit or IEEE float, plain or
WAVE_FORMAT_EXTENSIBLE, any rate and channel count) into 16 kHz mono int16 with named
``AudioInvalidError``s (``read_wav``, ``decode_wav``), writing mono int16 WAV files (``write_wav``),
and ``WavSource``, which plays a file (or PCM) through the ``AudioSource`` interface, optionally
paced in real time and followed by silence.
"""

from __future__ import annotations

import struct
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt

from kiosk_app.core.errors import AudioInvalidError
from speech.audio.format import CHUNK_SAMPLES, SAMPLE_RATE, SAMPLE_WIDTH, Int16Array, seconds
from speech.audio.resample import resample

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
