"""The playback device boundary: the output-stream protocol, device lookup, PortAudio streams.

Everything that talks to the sound card for playback: ``OutputStream`` (the part of
``sounddevice.RawOutputStream`` a player uses) and ``StreamFactory``; ``output_devices`` and
``resolve_output_device`` (settings ``audio.output_device`` -> PortAudio index and name, with a
``PlaybackError`` that says what exists); ``default_output_rate``; ``sounddevice_stream_factory``.
sounddevice is imported only inside these functions, never at module import.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from kiosk_app.core.errors import PlaybackError

log = logging.getLogger(__name__)

LATENCY_S = 0.1  # PortAudio output latency (buffered audio that an abort drops)


class OutputStream(Protocol):
    """The part of ``sounddevice.RawOutputStream`` the player uses (the device boundary)."""

    def start(self) -> None: ...

    def write(self, data: bytes) -> Any: ...

    def stop(self) -> None: ...  # plays out what is buffered

    def abort(self) -> None: ...  # drops what is buffered

    def close(self) -> None: ...


StreamFactory = Callable[[int], OutputStream]  # sample rate -> an open (not started) stream


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


def default_output_rate(spec: str | int | None) -> int:
    """The default sample rate of the output device ``spec`` (used when it refuses a chunk's rate)."""
    sd = _sounddevice()
    index, _name = resolve_output_device(spec)
    return int(sd.query_devices(index)["default_samplerate"])
