"""WAV input: any rate / channel count / sample width is accepted and resampled; non-audio is refused."""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

import numpy as np
import pytest

from kiosk_app.core.errors import AudioInvalidError
from speech.audio import SAMPLE_RATE, WavSource, read_wav, write_wav
from speech.audio.resample import Resampler, resample


def _wav_bytes(samples: np.ndarray, rate: int, *, tag: int = 1, bits: int = 16, channels: int = 1,
               extensible: bool = False) -> bytes:
    """A WAV file built by hand, so float and 24-bit variants can be made too."""
    if tag == 3:
        payload = samples.astype("<f4" if bits == 32 else "<f8").tobytes()
    elif bits == 8:
        payload = (samples.astype(np.int32) // 256 + 128).astype(np.uint8).tobytes()
    elif bits == 24:
        v = samples.astype(np.int32) * 256
        b = np.stack([(v >> s) & 0xFF for s in (0, 8, 16)], axis=1).astype(np.uint8)
        payload = b.tobytes()
    elif bits == 32:
        payload = (samples.astype(np.int64) * 65536).astype("<i4").tobytes()
    else:
        payload = samples.astype("<i2").tobytes()
    block = channels * bits // 8
    if extensible:
        guid = struct.pack("<H", tag) + bytes.fromhex("000000001000800000aa00389b71")
        fmt = struct.pack("<HHIIHHHHI16s", 0xFFFE, channels, rate, rate * block, block, bits,
                          22, bits, 0, guid)
    else:
        fmt = struct.pack("<HHIIHH", tag, channels, rate, rate * block, block, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"LIST" + struct.pack("<I", 4) + b"INFO"  # an unrelated chunk before the data
    body += b"data" + struct.pack("<I", len(payload)) + payload
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _sine(rate: int, seconds: float = 1.0, freq: float = 440.0, amp: float = 10000.0) -> np.ndarray:
    t = np.arange(round(rate * seconds)) / rate
    return amp * np.sin(2 * math.pi * freq * t)


def _dominant_hz(pcm16: bytes) -> float:
    x = np.frombuffer(pcm16, dtype=np.int16).astype(np.float64)
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.argmax(spectrum) * SAMPLE_RATE / len(x))


@pytest.mark.parametrize(("rate", "channels", "tag", "bits", "ext"), [
    (16000, 1, 1, 16, False), (24000, 1, 1, 16, False), (44100, 2, 1, 16, False), (48000, 2, 1, 24, False),
    (8000, 1, 1, 8, False), (22050, 1, 1, 32, False), (48000, 1, 3, 32, False), (32000, 2, 3, 64, False),
    (44100, 2, 1, 16, True), (11025, 6, 1, 16, False),
])
def test_any_wav_becomes_16k_mono(tmp_path: Path, rate: int, channels: int, tag: int, bits: int,
                                  ext: bool) -> None:
    mono = _sine(rate)
    frames = np.repeat(mono[:, None], channels, axis=1).reshape(-1)
    if tag == 3:
        frames = frames / 32768.0
    path = tmp_path / "q.wav"
    path.write_bytes(_wav_bytes(frames, rate, tag=tag, bits=bits, channels=channels, extensible=ext))
    pcm, out_rate = read_wav(path)
    assert out_rate == SAMPLE_RATE
    assert len(pcm) // 2 == pytest.approx(SAMPLE_RATE, abs=2)  # still one second
    assert _dominant_hz(pcm) == pytest.approx(440, abs=3)  # same pitch
    level = np.sqrt(np.mean(np.frombuffer(pcm, dtype=np.int16)[800:-800].astype(float) ** 2))
    assert level == pytest.approx(10000 / math.sqrt(2), rel=0.05)  # same loudness


def test_the_real_recordings_read(speech_pcm: bytes) -> None:
    assert 2.9 < len(speech_pcm) / 2 / SAMPLE_RATE < 3.2  # 3.07 s at 24 kHz in the file


def test_resampler_removes_what_16k_cannot_carry() -> None:
    hiss = _sine(48000, freq=11000).astype(np.int16)  # above the 8 kHz Nyquist of 16 kHz audio
    out = resample(hiss, 48000, 16000)
    assert np.abs(out[100:-100]).max() < 50  # would alias to 5 kHz at full level without the filter


def test_streaming_resampler_equals_one_shot() -> None:
    x = _sine(44100, 0.5).astype(np.int16)
    r = Resampler(44100, 16000)
    pieces = [r.process(x[i:i + 441]) for i in range(0, len(x), 441)] + [r.flush()]
    assert np.array_equal(np.concatenate(pieces), resample(x, 44100, 16000))


@pytest.mark.parametrize("content", [
    pytest.param(b"", id="empty"),
    pytest.param(bytes(np.random.default_rng(1).integers(0, 256, 5000, dtype=np.uint8)), id="random-bytes"),
    pytest.param("cho tôi hỏi làm giấy khai sinh\n".encode(), id="text-file"),
    pytest.param(b"RIFF\x10\x00\x00\x00WAVEfmt \x02\x00\x00\x00", id="truncated-header"),
    pytest.param(b"ID3\x03\x00\x00\x00" + b"\xff\xfb" * 500, id="mp3"),
])
def test_non_audio_is_refused_with_a_clear_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "question.wav"
    path.write_bytes(content)
    with pytest.raises(AudioInvalidError, match=r"question\.wav"):
        read_wav(path)


def test_unsupported_encoding_is_named(tmp_path: Path) -> None:
    path = tmp_path / "alaw.wav"
    path.write_bytes(_wav_bytes(_sine(8000), 8000, tag=6, bits=8))
    with pytest.raises(AudioInvalidError, match="format tag 0x0006"):
        read_wav(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(AudioInvalidError, match="not found"):
        read_wav(tmp_path / "nope.wav")


def test_wav_source_is_a_fake_mic(tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    pcm = np.arange(2000, dtype=np.int16).tobytes()
    write_wav(path, pcm)
    src = WavSource(path, tail_silence_s=0.05)
    chunks = []
    while (c := src.read(0.1)) != b"":
        assert c is not None
        chunks.append(c)
    assert [len(c) for c in chunks[:-1]] == [1024] * (len(chunks) - 1)  # 512-sample chunks
    assert b"".join(chunks) == pcm + b"\x00\x00" * 800
    assert src.read(0.1) == b""  # stays ended


def test_wav_source_realtime_delivers_the_same_audio(tmp_path: Path) -> None:
    pcm = np.arange(1600, dtype=np.int16).tobytes()  # 0.1 s
    src = WavSource(pcm16=pcm, realtime=True)
    got = b""
    while (c := src.read(0.5)) != b"":
        got += c or b""
    assert got == pcm


def test_write_then_read_roundtrip(tmp_path: Path) -> None:
    pcm = (_sine(16000, 0.2)).astype(np.int16).tobytes()
    write_wav(tmp_path / "r.wav", pcm)
    with wave.open(str(tmp_path / "r.wav")) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16000, 1, 2)
    assert read_wav(tmp_path / "r.wav")[0] == pcm
