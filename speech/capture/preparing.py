"""A speculative answer prepared in a thread of its own while ``capture_utterance`` goes on listening
(see ``speech.capture``: end of turn)."""

from __future__ import annotations

import logging
import threading
import time

from speech.asr.base import Transcript
from speech.vad.turn import Speculation

log = logging.getLogger(__name__)


class Preparing:
    """``Speculation.prepare`` running in its own thread, so listening goes on meanwhile (the
    recogniser keeps up with the audio and English detection starts on time; issue 19)."""

    def __init__(self, speculation: Speculation, transcript: Transcript) -> None:
        self.matched = False
        self.spent_s = 0.0
        self.ended_at = 0.0  # perf_counter when prepare returned
        self._thread = threading.Thread(target=self._run, args=(speculation, transcript),
                                        name="turn-speculation", daemon=True)
        self._thread.start()

    def _run(self, speculation: Speculation, transcript: Transcript) -> None:
        t0 = time.perf_counter()
        try:
            self.matched = bool(speculation.prepare(transcript))
        except Exception:  # the normal path after the turn meets it again and reports it
            log.warning("speculative answer failed", exc_info=True)
        self.ended_at = time.perf_counter()
        self.spent_s = self.ended_at - t0

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()

    def wait(self) -> None:
        self._thread.join()
