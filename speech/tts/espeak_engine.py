"""espeak-ng synthesis through its command-line program (Debian package ``espeak-ng``).

Always available on a provisioned kiosk, fast but robotic: the fallback
when no neural voice is provisioned. One subprocess per sentence, so the first sentence can play
while the next is synthesised.

Speaking rate: espeak's own default is 175 words per minute. Vietnamese is monosyllabic, so an
espeak "word" is a syllable; 175 gives about 4 syllables per second including pauses, the pace of a
news reader. Elderly listeners (and hearing aids) follow slower speech better, so rate 1.0 here is
``BASE_WPM`` = 140, 20 % slower than espeak's default. "Nói chậm hơn" (rate x 0.8) gives 112 wpm.
"""

from __future__ import annotations

import logging
import shutil
import struct
import subprocess
from collections.abc import Callable, Iterator

from kiosk_app.core.errors import TtsError
from speech.tts.base import AudioChunk
from speech.tts.sentences import split_sentences

log = logging.getLogger(__name__)

BASE_WPM = 140  # rate 1.0; see module docstring
MIN_WPM, MAX_WPM = 80, 450  # espeak-ng's accepted range
TIMEOUT_S = 30.0
APT_HINT = "install it with: sudo apt-get install espeak-ng"

# kiosk language -> espeak-ng voice
VOICES: dict[str, str] = {"vi": "vi", "en": "en-us"}


def wpm_for(rate: float, base_wpm: int = BASE_WPM) -> int:
    """espeak ``-s`` for a kiosk rate (1.0 normal, below 1 slower), clamped to espeak's range."""
    return max(MIN_WPM, min(MAX_WPM, round(base_wpm * rate)))


def parse_wav(data: bytes) -> tuple[bytes, int]:
    """PCM bytes and sample rate of a 16-bit mono RIFF WAV as espeak-ng writes it to stdout.

    espeak-ng streams: the RIFF and data sizes in the header are placeholders (0x7fffffff), so the
    data chunk runs to the end of the bytes.
    """
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise TtsError(f"espeak-ng returned no WAV audio ({len(data)} bytes)")
    pos, rate, bits, channels = 12, 0, 0, 0
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        body = pos + 8
        if cid == b"fmt ":
            channels, rate = struct.unpack_from("<HI", data, body + 2)
            bits = struct.unpack_from("<H", data, body + 14)[0]
        elif cid == b"data":
            if bits != 16 or channels != 1:
                raise TtsError(f"espeak-ng WAV is {bits}-bit, {channels} channels; expected 16-bit mono")
            pcm = data[body:min(len(data), body + size)]
            return pcm[: len(pcm) // 2 * 2], rate
        pos = body + size + (size & 1)
    raise TtsError("espeak-ng WAV has no data chunk")


class EspeakSynthesizer:
    """``Synthesizer`` backed by the espeak-ng program. ``voice``: "vi", "en" or any espeak voice name."""

    name = "espeak-ng"

    def __init__(self, voice: str = "vi", *, base_wpm: int = BASE_WPM, volume: float = 1.0,
                 normalizer: Callable[[str], str] | None = None, binary: str = "espeak-ng") -> None:
        path = shutil.which(binary)
        if path is None:
            raise TtsError(f"espeak-ng program '{binary}' not found on PATH; {APT_HINT}")
        self._binary = path
        self.language = voice.split("-")[0].lower()
        self.voice = VOICES.get(voice, voice)
        self.base_wpm = base_wpm
        self.amplitude = max(0, min(200, round(100 * volume)))
        self._normalizer = normalizer

    def synthesize(self, text: str, *, rate: float = 1.0) -> Iterator[AudioChunk]:
        wpm = wpm_for(rate, self.base_wpm)
        for sentence in split_sentences(text):
            spoken = self._normalizer(sentence) if self._normalizer else sentence
            if not spoken.strip():
                continue
            pcm, sample_rate = self._run(spoken, wpm)
            if pcm:
                yield AudioChunk(pcm, sample_rate, text=sentence)

    def _run(self, text: str, wpm: int) -> tuple[bytes, int]:
        # text goes through stdin (UTF-8, -b 1): a sentence starting with "-" is never an option
        cmd = [self._binary, "-v", self.voice, "-s", str(wpm), "-a", str(self.amplitude), "-b", "1",
               "--stdout"]
        try:
            proc = subprocess.run(cmd, input=text.encode("utf-8"), capture_output=True, timeout=TIMEOUT_S,
                                  check=False)
        except FileNotFoundError as err:
            raise TtsError(f"espeak-ng program {self._binary} disappeared; {APT_HINT}") from err
        except subprocess.TimeoutExpired as err:
            raise TtsError(f"espeak-ng took longer than {TIMEOUT_S:.0f} s for {len(text)} characters"
                           ) from err
        if proc.returncode != 0:
            detail = proc.stderr.decode("utf-8", "replace").strip()[:200]
            raise TtsError(f"espeak-ng failed (exit {proc.returncode}, voice '{self.voice}'): {detail}")
        return parse_wav(proc.stdout)

    def close(self) -> None:
        """Nothing to release: one short-lived process per sentence."""
