"""Microphone discovery through PortAudio: listing, choosing and probing input devices.

The questions asked before a microphone is opened: which capture devices exist
(``input_devices``), which one ``settings.audio.input_device`` means (``find_input_device``, with a
``MicMissingError`` that lists what exists), whether one is there at all (``mic_available`` ->
``MicProbe``), and re-scanning devices plugged in since start-up (``reinit_portaudio``).
sounddevice is imported only when one of these runs (``load_sounddevice``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kiosk_app.core.errors import MicMissingError

if TYPE_CHECKING:
    from kiosk_app.core.settings import AudioSettings, Settings

_pa_lock = threading.Lock()  # PortAudio (re)initialisation is not thread-safe


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


def load_sounddevice() -> Any:
    import sounddevice as sd  # deferred: importing it scans the audio devices

    return sd


def reinit_portaudio() -> None:
    """Re-scan audio devices (PortAudio only scans at start-up). Never call it while a stream is open."""
    sd = load_sounddevice()
    with _pa_lock:
        sd._terminate()
        sd._initialize()


def input_devices() -> list[InputDevice]:
    sd = load_sounddevice()
    try:
        devices = sd.query_devices()
    except sd.PortAudioError:
        return []
    return [InputDevice(i, str(d["name"]), int(d["max_input_channels"]), float(d["default_samplerate"]))
            for i, d in enumerate(devices) if int(d["max_input_channels"]) > 0]


def find_input_device(wanted: str | int | None) -> InputDevice:
    """Resolve settings.audio.input_device (index, name substring, or None = system default)."""
    sd = load_sounddevice()
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
