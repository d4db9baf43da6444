"""Speaking an answer: synthesise and play its sentences, or stream a live (LLM) answer as it is written.

``Speaker`` holds the pipeline's voice: the synthesiser (one, or ``PerLanguage``), the player and
the normaliser that turns a written sentence into what the voice should say. ``speak`` plays a
finished answer (or a replay), ``speak_live`` plays an answer while the local LLM writes it (the
model runs in its own thread and hands each guard-passed sentence through a queue; "Dừng" stops
both). Each emits ``Speaking`` per sentence and ends with ``SpeakingFinished``. No Kivy.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading
import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from kiosk_app.core.errors import CancelledError
from kiosk_app.core.events import AnswerFinal, SpeakingFinished
from kiosk_app.core.events import Speaking as SpeakingEvent
from kiosk_app.pipeline.ports import EventSink, Normalizer, PerLanguage, PlayerLike, pick_engine
from knowledge.types import Answer, AnswerStream
from speech.tts.base import AudioChunk, Synthesizer

if TYPE_CHECKING:
    from kiosk_app.pipeline.speculation import Prepared

log = logging.getLogger(__name__)

LIVE_POLL_S = 0.05  # the player side of a live answer checks "Dừng" this often while it waits
LIVE_JOIN_S = 2.0  # wait for the LLM thread to end after speaking (it stops within ~0.1 s)


class Speaker:
    """The pipeline's voice. ``emit`` reports its events; each call gets the run's cancel event and
    the timings dict it stamps ``first_audio`` into."""

    def __init__(self, synthesizer: Synthesizer | PerLanguage[Synthesizer], player: PlayerLike,
                 normalizer: Normalizer, emit: EventSink) -> None:
        self.synthesizer = synthesizer
        self.player = player
        self.normalizer = normalizer
        self._emit = emit

    def speak(self, answer: Answer, rate: float, cancel: threading.Event, timings: dict[str, float],
              prepared: Prepared | None = None) -> None:
        """``prepared``: a speculative answer whose first sentence's audio has begun (issue 19)."""
        sentences = [s for s in (answer.sentences or (answer.spoken,)) if s and s.strip()]
        if not sentences:
            if prepared is not None:
                prepared.close()
            self._emit(SpeakingFinished(interrupted=False))
            return
        try:
            interrupted = self._play(sentences, answer.language or "vi", rate, cancel, timings, prepared)
        finally:
            if prepared is not None:
                prepared.close()
        self._emit(SpeakingFinished(interrupted=interrupted))

    def speak_live(self, stream: AnswerStream, rate: float, cancel: threading.Event,
                   timings: dict[str, float]) -> Answer:
        """Speak an answer while the local LLM writes it: the model runs in its own thread and hands
        each guard-passed sentence through a queue to the player, which synthesises and plays it at
        once (the template answer, when the model is too slow or rejected, arrives the same way).
        "Dừng" stops the playback and the model's request. Returns the final answer (the card if it
        was cancelled before the model finished)."""
        said: queue.Queue[str | None] = queue.Queue()
        stop = threading.Event()  # ends the LLM request (cancel, or speaking ended early)
        outcome: list[Answer | BaseException] = []

        def generate() -> None:
            try:
                outcome.append(stream.run(said.put, stop))
            except BaseException as exc:  # handed over to the pipeline thread below
                outcome.append(exc)
            finally:
                said.put(None)

        def sentences() -> Iterator[str]:
            while not cancel.is_set():
                try:
                    sentence = said.get(timeout=LIVE_POLL_S)
                except queue.Empty:
                    continue
                if sentence is None:
                    return
                yield sentence

        llm = threading.Thread(target=generate, name="kiosk-llm-answer", daemon=True)
        llm.start()
        try:
            interrupted = self._play(sentences(), stream.card.language or "vi", rate, cancel, timings)
        finally:
            if llm.is_alive():
                stop.set()
            llm.join(LIVE_JOIN_S)
        result = outcome[0] if outcome else None
        if isinstance(result, BaseException) and not isinstance(result, CancelledError):
            raise result
        if isinstance(result, Answer):
            self._emit(AnswerFinal(result))
        elif not interrupted:
            log.warning("the LLM answer did not finish within %.0f s after speaking", LIVE_JOIN_S)
        self._emit(SpeakingFinished(interrupted=interrupted))
        return result if isinstance(result, Answer) else stream.card

    def _play(self, sentences: Iterable[str], language: str, rate: float, cancel: threading.Event,
              timings: dict[str, float], prepared: Prepared | None = None) -> bool:
        """Synthesise and play ``sentences`` (consumed as the player needs them); True if interrupted.
        ``prepared``: the first sentence's audio was made ahead (its first chunk, then the rest)."""
        synth = pick_engine(self.synthesizer, language)

        def audio(index: int, spoken: str) -> Iterable[AudioChunk]:
            if index == 0 and prepared is not None and prepared.first is not None:
                yield prepared.first
                if prepared.rest is not None:
                    yield from prepared.rest
                return
            yield from synth.synthesize(spoken, rate=rate)

        def chunks() -> Iterator[AudioChunk]:
            for index, sentence in enumerate(sentences):
                if cancel.is_set():
                    return
                spoken = self.normalizer(sentence, language)
                for chunk in audio(index, spoken):
                    timings.setdefault("first_audio", time.monotonic())
                    # the screen shows the written sentence, not its spoken-form spelling
                    yield dataclasses.replace(chunk, text=sentence)

        def on_sentence(sentence: str) -> None:
            self._emit(SpeakingEvent(sentence))

        interrupted = self.player.play(chunks(), cancel=cancel, on_sentence=on_sentence)
        return bool(interrupted) or cancel.is_set()
