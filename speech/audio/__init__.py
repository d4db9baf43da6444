"""Audio in the pipeline format: 16 kHz mono signed 16-bit little-endian PCM (``bytes``).

The facade of the input side: format constants and ``AudioSource`` (``format``), WAV files and
``WavSource`` (``wav``), device discovery (``input_device``) and the live microphone (``mic``).
Output lives in ``output_device``, ``dsp`` and ``playback``. ``sounddevice`` is imported only inside
the functions that open or probe a device, so importing this package never starts PortAudio.
"""

from __future__ import annotations

from speech.audio.format import (
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
from speech.audio.input_device import (
    InputDevice,
    MicProbe,
    find_input_device,
    input_devices,
    mic_available,
    reinit_portaudio,
)
from speech.audio.mic import MicStream, open_mic
from speech.audio.wav import WavSource, decode_wav, read_wav, write_wav

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
