"""Audio input: the pipeline format, microphone capture (sounddevice), WAV files as a fake microphone.

Pipeline format: 16 kHz, mono, signed 16-bit little-endian PCM (``bytes``). Every ``AudioSource``
delivers chunks in this format. ``sounddevice`` is imported only inside the functions that open or
probe a device, so importing this module never starts PortAudio.

The pieces live in their own modules and are re-exported here: ``speech.audio_format`` (format
constants, ``AudioSource``), ``speech.wav_io`` (WAV files, ``WavSource``), ``speech.input_device``
(device discovery, ``mic_available``) and ``speech.mic_stream`` (``MicStream``, ``open_mic``).
"""

from __future__ import annotations

from speech.audio_format import (
    BYTES_PER_SECOND,
    CHANNELS,
    CHUNK_SAMPLES,
    DTYPE,
    SAMPLE_RATE,
    SAMPLE_WIDTH,
    AudioSource,
    Int16Array,
    seconds,
)
from speech.input_device import (
    InputDevice,
    MicProbe,
    find_input_device,
    input_devices,
    mic_available,
    reinit_portaudio,
)
from speech.mic_stream import MicStream, open_mic
from speech.wav_io import WavSource, decode_wav, read_wav, write_wav

__all__ = [
    "BYTES_PER_SECOND",
    "CHANNELS",
    "CHUNK_SAMPLES",
    "DTYPE",
    "SAMPLE_RATE",
    "SAMPLE_WIDTH",
    "AudioSource",
    "InputDevice",
    "Int16Array",
    "MicProbe",
    "MicStream",
    "WavSource",
    "decode_wav",
    "find_input_device",
    "input_devices",
    "mic_available",
    "open_mic",
    "read_wav",
    "reinit_portaudio",
    "seconds",
    "write_wav",
]
