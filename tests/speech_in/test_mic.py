"""The microphone path for real through PortAudio/ALSA, with an ALSA file device standing in for the
sound card (STACK.md §4): plugging in, unplugging, missing devices, resampling, capture."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from kiosk_app.core.errors import MicError, MicMissingError
from kiosk_app.core.settings import AudioSettings, EndpointSettings
from speech.asr.wer import wer
from speech.audio import MicStream, mic_available, open_mic, read_wav, reinit_portaudio
from speech.capture import capture_utterance
from speech.vad.energy import EnergyVad
from tests.speech_in.voice_in_signals import VIENEU, noise, reference, silence, tone

LY = VIENEU / "Ly (nữ miền Bắc).wav"
PAD_S = 25.0  # the file device has no clock and repeats stale data after EOF: pad past the mic queue


class FileMic:
    """An ALSA config whose default capture device reads ``mic.raw`` (raw s16le mono)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.conf = root / "asound.conf"
        self.raw = root / "mic.raw"
        self.conf.write_text(
            'pcm.!default { type plug slave.pcm "kiosk_file" }\n'
            f'pcm.kiosk_file {{ type file slave.pcm "null" file "{root}/played.raw" '
            f'infile "{self.raw}" format "raw" }}\n')
        self.set_audio(silence(1.0))

    def set_audio(self, pcm16: bytes, pad: bytes | None = None) -> None:
        self.raw.write_bytes(pcm16 + (pad if pad is not None else silence(PAD_S)))

    @property
    def env(self) -> dict[str, str]:
        return {"ALSA_CONFIG_PATH": f"/usr/share/alsa/alsa.conf:{self.conf}"}

    def plug(self) -> None:
        os.environ.update(self.env)
        reinit_portaudio()

    def unplug(self) -> None:
        os.environ.pop("ALSA_CONFIG_PATH", None)
        reinit_portaudio()


@pytest.fixture
def file_mic(tmp_path: Path) -> Iterator[FileMic]:
    saved = os.environ.get("ALSA_CONFIG_PATH")
    fm = FileMic(tmp_path)
    fm.plug()
    yield fm
    if saved is None:
        os.environ.pop("ALSA_CONFIG_PATH", None)
    else:
        os.environ["ALSA_CONFIG_PATH"] = saved
    reinit_portaudio()


@pytest.fixture
def no_sound_card() -> Iterator[None]:
    saved = os.environ.pop("ALSA_CONFIG_PATH", None)
    reinit_portaudio()
    yield
    if saved is not None:
        os.environ["ALSA_CONFIG_PATH"] = saved
        reinit_portaudio()


def read_seconds(mic: MicStream, seconds: float) -> bytes:
    data = b""
    while len(data) < seconds * 32000:
        chunk = mic.read(1.0)
        assert chunk, "the microphone delivered nothing"
        data += chunk
    return data[: int(seconds * 32000)]


def test_no_microphone_is_a_precise_error(no_sound_card: None) -> None:
    with pytest.raises(MicMissingError, match="no audio input device found"):
        open_mic(AudioSettings())
    probe = mic_available(AudioSettings())
    assert not probe and "no audio input device" in probe.detail


def test_microphone_plugged_in_later_is_found_without_restart(no_sound_card: None, tmp_path: Path) -> None:
    fm = FileMic(tmp_path)
    assert not mic_available(AudioSettings())
    try:
        os.environ.update(fm.env)  # the technician plugs the microphone in
        probe = mic_available(AudioSettings())
        assert probe and probe.device == "default"
        fm.unplug()
        os.environ.update(fm.env)  # plugged in again: the next button press finds it by itself
        with open_mic(AudioSettings()) as mic:
            assert mic.read(1.0)
        os.environ.pop("ALSA_CONFIG_PATH")  # ... and pulls it out again
        assert not mic_available(AudioSettings())
    finally:
        os.environ.pop("ALSA_CONFIG_PATH", None)
        reinit_portaudio()


def test_device_by_name_and_index(file_mic: FileMic) -> None:
    file_mic.set_audio(tone(0.5, 440, -12))
    with open_mic(AudioSettings(input_device="kiosk_f")) as mic:
        assert mic.device.name == "kiosk_file" and mic.rate == 16000
        got = read_seconds(mic, 0.5)
    assert got == tone(0.5, 440, -12)  # bit-exact through PortAudio and ALSA
    with open_mic(AudioSettings(input_device=mic.device.index)) as again:
        assert again.device.name == "kiosk_file"
    with pytest.raises(MicMissingError, match=r"no audio input device matching 'Blue Yeti'.*kiosk_file"):
        open_mic(AudioSettings(input_device="Blue Yeti"))
    with pytest.raises(MicMissingError, match="#42 not found"):
        open_mic(AudioSettings(input_device=42))


def test_48k_only_microphone_is_resampled(file_mic: FileMic) -> None:
    t = np.arange(48000) / 48000
    tone48 = (8000 * np.sin(2 * np.pi * 1000 * t)).astype(np.int16).tobytes()
    file_mic.set_audio(tone48, pad=b"\x00\x00" * int(48000 * PAD_S))
    with MicStream("kiosk_file", device_rate=48000) as mic:  # as if the device offered only 48 kHz
        assert mic.rate == 48000
        got = np.frombuffer(read_seconds(mic, 0.9), dtype=np.int16).astype(float)
    spectrum = np.abs(np.fft.rfft(got[800:] * np.hanning(len(got) - 800)))
    assert np.argmax(spectrum) * 16000 / (len(got) - 800) == pytest.approx(1000, abs=5)
    assert np.sqrt(np.mean(got[800:] ** 2)) == pytest.approx(8000 / np.sqrt(2), rel=0.05)


def test_unplugged_mid_stream_is_a_mic_error(file_mic: FileMic) -> None:
    mic = open_mic(AudioSettings())
    assert read_seconds(mic, 0.1)
    mic._stream.abort()  # what PortAudio does when the USB device disappears: the stream ends
    with pytest.raises(MicError, match="stopped delivering audio"):
        for _ in range(5000):  # drain what was queued before the "unplug"
            mic.read(0.05)
    mic.close()


@pytest.mark.engine
def test_question_through_the_sound_system(file_mic: FileMic, vietasr) -> None:  # type: ignore[no-untyped-def]
    file_mic.set_audio(noise(0.8) + read_wav(LY)[0] + noise(1.5, seed=1))
    partials: list[str] = []
    with open_mic(AudioSettings()) as mic:
        utt = capture_utterance(mic, EnergyVad(), vietasr, EndpointSettings(), on_partial=partials.append)
    assert wer(reference(LY), utt.transcript.text) <= 0.1
    assert partials and utt.timings["speech_start_s"] == pytest.approx(0.8, abs=0.1)
