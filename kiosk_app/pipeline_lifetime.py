"""The pipeline's lifetime: the background threads it owns and the orderly close of its engines.

``PipelineLifetime`` is mixed into ``kiosk_app.pipeline.Pipeline``, which sets the attributes
declared below in its ``__init__``. It owns ``start_background`` (threads that receive the
pipeline's closing event, e.g. warming up the English voice) and ``close`` (stop those threads and
the current run, join them, then close every engine the pipeline holds, built ``PerLanguage``
engines included). No Kivy.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from kiosk_app.pipeline_ports import KnowledgeLike, PerLanguage, PlayerLike
from speech.asr.base import Recognizer
from speech.tts.base import Synthesizer

log = logging.getLogger(__name__)


class PipelineLifetime:
    player: PlayerLike
    knowledge: KnowledgeLike
    recognizer: Recognizer | PerLanguage[Recognizer]
    synthesizer: Synthesizer | PerLanguage[Synthesizer]
    _cancel: threading.Event  # the current run's cancel event
    _closing: threading.Event  # set once by close(); background threads receive it
    _background: list[threading.Thread]

    def start_background(self, name: str, target: Callable[[threading.Event], None]) -> None:
        """Run ``target(stop)`` in a thread the pipeline owns (e.g. warming up the English voice).

        ``close()`` sets ``stop`` and joins the thread before it closes the engines: a thread still
        inside ONNX Runtime at interpreter exit aborts the process ("terminate called without an
        active exception", exit 134), and an engine must not be closed under a running synthesis."""
        thread = threading.Thread(target=target, args=(self._closing,), name=name, daemon=True)
        self._background.append(thread)
        thread.start()

    def close(self, join_timeout: float = 30.0) -> None:
        """Stop background work, then close every engine the pipeline holds. Idempotent."""
        self._closing.set()
        self._cancel.set()
        for thread in self._background:
            thread.join(join_timeout)
            if thread.is_alive():
                log.warning("background thread %s did not stop within %.0f s", thread.name, join_timeout)
        engines: list[object] = [self.player, self.knowledge]
        for family in (self.recognizer, self.synthesizer):
            engines.extend(family.built() if isinstance(family, PerLanguage) else [family])
        for eng in engines:
            close = getattr(eng, "close", None)
            if close is None:
                continue
            try:
                close()
            except Exception:
                log.warning("closing %s failed", type(eng).__name__, exc_info=True)
