"""Speculative answers: prepared while the resident pauses, spoken only if the turn really ended.

``AnswerSpeculation`` is the ``speech.capture.Speculation`` the pipeline hands to capture for one
voice question. When the speaker pauses (``[endpoint] short_wait_s`` of silence), capture settles
the transcript so far and calls ``prepare``: retrieval and the answer (``Knowledge.ask_stream``),
then the first audio chunk of its first sentence, at once, in a thread of its own (capture goes on
listening meanwhile, so the recogniser keeps up and English detection starts on time, and waits for
it when the turn ends). If the speaker goes on, capture waits for ``prepare`` to return and calls
``drop``: everything is forgotten. When the turn ends, the pipeline ``take``s the prepared answer if
it was made for exactly the final transcript (text and language; English detection may still
switch it) and speaks it with the chunk already made.

Nothing here emits an event: what the resident sees and hears starts only after ``take`` (no
speculative card, no speculative sound). A failure while preparing (knowledge, synthesiser) is
logged and forgotten: the normal path after the end of the turn meets it again and reports it.
No Kivy.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from kiosk_app.pipeline.conversation import ConversationMemory
from kiosk_app.pipeline.ports import KnowledgeLike, Normalizer, PerLanguage, pick_engine
from knowledge.types import AnswerStream, Aspect, Verdict
from speech.asr.base import Transcript
from speech.tts.base import AudioChunk, Synthesizer

log = logging.getLogger(__name__)


@dataclass
class Prepared:
    """An answer made ahead for ``text``; ``first`` + ``rest``: its first sentence's audio."""

    text: str
    language: str
    epoch: int
    stream: AnswerStream
    first: AudioChunk | None = None
    rest: Iterator[AudioChunk] | None = None
    made_s: float = 0.0  # time it took to prepare
    closed: bool = field(default=False, repr=False)

    def close(self) -> None:
        if self.rest is not None and not self.closed:
            close: Callable[[], None] | None = getattr(self.rest, "close", None)
            if close is not None:
                close()
        self.closed = True


def ask(knowledge: KnowledgeLike, text: str, language: str, conversation: ConversationMemory
        ) -> tuple[int, AnswerStream]:
    """(epoch, answer stream) for a question, with the follow-up context (as the pipeline asks)."""
    epoch, context = conversation.context(language)
    return epoch, knowledge.ask_stream(text, language, context)


def complete(stream: AnswerStream) -> bool:
    """The question names a procedure and an aspect: it sounds finished (``speech.vad.turn``)."""
    card = stream.card
    return card.verdict is Verdict.ANSWER and bool(card.procedure_id) and card.aspect is not Aspect.GENERAL


class AnswerSpeculation:
    """One voice question's speculation; holds at most one prepared answer."""

    def __init__(self, *, language: str, knowledge: KnowledgeLike, conversation: ConversationMemory,
                 synthesizer: Synthesizer | PerLanguage[Synthesizer], normalizer: Normalizer,
                 rate: float) -> None:
        self.language = language
        self.knowledge = knowledge
        self.conversation = conversation
        self.synthesizer = synthesizer
        self.normalizer = normalizer
        self.rate = rate
        self.prepared: Prepared | None = None
        self.made = 0  # answers prepared
        self.dropped = 0  # ... of which the speaker talked over

    def prepare(self, transcript: Transcript) -> bool:
        self._forget()
        text = transcript.text.strip()
        language = "en" if transcript.language == "en" else self.language
        t0 = time.perf_counter()
        try:
            epoch, stream = ask(self.knowledge, text, language, self.conversation)
            prepared = Prepared(text, language, epoch, stream)
            sentences = [s for s in (stream.card.sentences or (stream.card.spoken,)) if s and s.strip()]
            if not stream.live and sentences:
                synth = pick_engine(self.synthesizer, stream.card.language or language)
                rest = iter(synth.synthesize(self.normalizer(sentences[0], stream.card.language or language),
                                             rate=self.rate))
                prepared.rest = rest
                prepared.first = next(rest, None)
        except Exception as exc:  # the normal path meets it again after the turn and reports it
            log.info("speculative answer failed (%s: %s); answering after the turn", type(exc).__name__, exc)
            return False
        prepared.made_s = time.perf_counter() - t0
        self.prepared = prepared
        self.made += 1
        return complete(stream)

    def prepare_now(self, text: str, language: str) -> Prepared | None:
        """The same work after the turn ended (``kiosk ask --audio`` when no pause prepared it)."""
        self.prepare(Transcript(text, None, language))
        p, self.prepared = self.prepared, None
        return p

    def drop(self) -> None:
        if self.prepared is not None:
            self.dropped += 1
        self._forget()

    def take(self, text: str, language: str) -> Prepared | None:
        """The prepared answer if it was made for this final transcript; forgotten otherwise."""
        p, self.prepared = self.prepared, None
        if p is not None and (p.text, p.language) == (text.strip(), language):
            return p
        if p is not None:
            p.close()
        return None

    def _forget(self) -> None:
        if self.prepared is not None:
            self.prepared.close()
        self.prepared = None
