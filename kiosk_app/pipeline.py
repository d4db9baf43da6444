"""One question through the kiosk: listen → transcribe → answer → speak, as typed events. No Kivy.

The pipeline runs synchronously in the caller's thread (the worker thread in the app, the test thread
in tests) and reports everything through ``on_event``. ``cancel()`` may be called from any thread;
the current run then stops at the next check (capture, between stages, between played chunks).

Event sequences (see tests/pipeline/):

* voice:  Listening → AudioLevel*/PartialTranscript* → SpeechEnded → Transcribed → Thinking →
  AnswerReady → Speaking* → SpeakingFinished → Idle
* typed:  Transcribed → Thinking → AnswerReady → Speaking* → SpeakingFinished → Idle
* LLM answer (``AnswerReady.live``): … → AnswerReady(card) → Speaking* (each sentence as soon as
  the model has written it and the guard passed it) → AnswerFinal → SpeakingFinished → Idle
* replay: Speaking* → SpeakingFinished → Idle
* any KioskError: … → Failed(code) → Idle (the answer stays on screen when only speaking failed)
* cancel: … → SpeakingFinished(interrupted=True) → Idle while speaking, else … → Idle
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, Protocol, TypeVar

from kiosk_app.conversation import ConversationMemory
from kiosk_app.errors import CancelledError, ErrorCode, KioskError, NoSpeechError
from kiosk_app.events import (
    AnswerFinal,
    AnswerReady,
    AudioLevel,
    Event,
    Failed,
    Idle,
    Listening,
    PartialTranscript,
    SpeakingFinished,
    SpeechEnded,
    Thinking,
    Transcribed,
)
from kiosk_app.events import Speaking as SpeakingEvent
from kiosk_app.settings import EndpointSettings, Settings
from knowledge.types import Answer, AnswerStream, Conversation
from speech.asr.base import Recognizer
from speech.tts.base import AudioChunk, Synthesizer
from speech.vad.base import VoiceDetector

log = logging.getLogger(__name__)

EventSink = Callable[[Event], None]
T = TypeVar("T")
LIVE_POLL_S = 0.05  # the player side of a live answer checks "Dừng" this often while it waits
LIVE_JOIN_S = 2.0  # wait for the LLM thread to end after speaking (it stops within ~0.1 s)


class AudioSourceLike(Protocol):
    def read(self, timeout: float) -> bytes | None: ...

    def close(self) -> None: ...


class KnowledgeLike(Protocol):
    """``knowledge.service.Knowledge``. Optional: ``ask_stream(question, language, context)`` →
    ``AnswerStream`` (LLM sentences spoken as they come, follow-up context); without it the pipeline
    uses ``ask`` and speaks the whole answer."""

    def ask(self, question: str, language: str = "vi") -> Answer: ...

    def record(self, procedure_id: str) -> Any: ...


class PlayerLike(Protocol):
    def play(self, chunks: Any, *, cancel: threading.Event | None = None,
             on_sentence: Callable[[str], None] | None = None) -> bool: ...

    def stop(self) -> None: ...


class UtteranceLike(Protocol):
    @property
    def transcript(self) -> Any: ...

    @property
    def speech_s(self) -> float: ...


CaptureFn = Callable[..., UtteranceLike]
Normalizer = Callable[[str, str], str]  # (text, language) -> text for the synthesizer


class PerLanguage(Generic[T]):
    """Engines built on first use per language ("vi", "en"); wiring passes one of these so the
    English engines are only loaded when someone switches to English."""

    def __init__(self, build: Callable[[str], T]) -> None:
        self._build = build
        self._built: dict[str, T] = {}
        self._lock = threading.Lock()

    def get(self, language: str) -> T:
        with self._lock:
            if language not in self._built:
                self._built[language] = self._build(language)
            return self._built[language]

    def built(self) -> list[T]:
        with self._lock:
            return list(self._built.values())


def _pick(engine: T | PerLanguage[T], language: str) -> T:
    return engine.get(language) if isinstance(engine, PerLanguage) else engine


def default_capture(*args: Any, **kwargs: Any) -> UtteranceLike:
    from speech.capture import capture_utterance

    return capture_utterance(*args, **kwargs)


def default_normalizer(text: str, language: str) -> str:
    if language != "vi":
        return text
    from speech.normalize_vi import normalize_for_speech

    return normalize_for_speech(text)


class Pipeline:
    """Runs one question at a time. Thread-safe only for ``cancel()``."""

    def __init__(self, settings: Settings, *,
                 source_factory: Callable[[], AudioSourceLike],
                 vad: VoiceDetector,
                 recognizer: Recognizer | PerLanguage[Recognizer],
                 knowledge: KnowledgeLike,
                 synthesizer: Synthesizer | PerLanguage[Synthesizer],
                 player: PlayerLike,
                 on_event: EventSink,
                 capture: CaptureFn = default_capture,
                 normalizer: Normalizer = default_normalizer) -> None:
        self.settings = settings
        self.source_factory = source_factory
        self.vad = vad
        self.recognizer = recognizer
        self.knowledge = knowledge
        self.synthesizer = synthesizer
        self.player = player
        self.on_event = on_event
        self.capture = capture
        self.normalizer = normalizer
        self._cancel = threading.Event()
        self._closing = threading.Event()
        self._background: list[threading.Thread] = []
        self.last_timings: dict[str, float] = {}  # for benchmarks: monotonic stamps of the last run
        self._conversation = ConversationMemory(settings.ui.idle_reset_s)  # follow-up questions

    # ---- lifetime -------------------------------------------------------------------------------
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

    # ---- control (any thread) -------------------------------------------------------------------
    def cancel(self) -> None:
        """Stop the current run: listening, thinking or speaking ("Dừng", barge-in, idle reset).

        Only sets the run's event, so it never blocks the caller (the UI thread): capture checks it
        every chunk and the player between 30 ms blocks, then aborts its stream."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def new_conversation(self) -> None:
        """Forget the last procedure ("Hỏi câu khác", idle reset, language button): the next question
        is not taken as a follow-up. Never blocks."""
        self._conversation.new()

    @property
    def conversation(self) -> Conversation | None:
        return self._conversation.last

    # ---- runs (the worker thread) ---------------------------------------------------------------
    def run_once(self, language: str = "vi", cancel: threading.Event | None = None) -> Answer | None:
        """Listen for one spoken question and answer it. Returns the answer shown, if any."""
        return self._run(lambda: self._listen_and_answer(language), cancel)

    def ask_text(self, text: str, language: str = "vi",
                 cancel: threading.Event | None = None) -> Answer | None:
        """A typed (or example-button) question: no listening."""
        return self._run(lambda: self._answer_text(text, language), cancel)

    def replay(self, answer: Answer, slower: bool = False, cancel: threading.Event | None = None) -> None:
        """"Nghe lại" / "Nói chậm hơn": speak the answer again, slower by ``tts.slower_factor``."""
        rate = self.settings.tts.rate * (self.settings.tts.slower_factor if slower else 1.0)
        self._run(lambda: self._speak(answer, rate), cancel)

    def explain(self, procedure_id: str, language: str = "vi",
                cancel: threading.Event | None = None) -> Answer | None:
        """Show and speak one procedure chosen on screen (browse list, "Chưa đúng ý tôi")."""
        return self._run(lambda: self._answer_procedure(procedure_id, language), cancel)

    # ---- stages ---------------------------------------------------------------------------------
    def _run(self, body: Callable[[], Answer | None], cancel: threading.Event | None) -> Answer | None:
        # A caller (the worker) may pass the run's cancel event, created before the run starts,
        # so a "Dừng" pressed in between is never lost.
        self._cancel = cancel if cancel is not None else threading.Event()
        self.last_timings = {"start": time.monotonic()}
        result: Answer | None = None
        try:
            result = body()
        except CancelledError:
            log.info("run cancelled")
        except KioskError as exc:
            log.warning("pipeline failed: [%s] %s", exc.code, exc)
            self._emit(Failed(exc.code, str(exc)))
        except Exception as exc:  # never crash the kiosk: report, log with traceback, go idle
            log.exception("unexpected pipeline error")
            self._emit(Failed(ErrorCode.INTERNAL, f"{type(exc).__name__}: {exc}"))
        self._emit(Idle())
        return result

    def _listen_and_answer(self, language: str) -> Answer | None:
        self._emit(Listening())
        recognizer = _pick(self.recognizer, language)
        source = self.source_factory()
        last_partial = ""

        def on_partial(text: str) -> None:
            nonlocal last_partial
            if text != last_partial:
                last_partial = text
                self._emit(PartialTranscript(text))

        def on_level(level: float) -> None:
            self._emit(AudioLevel(max(0.0, min(1.0, float(level)))))

        try:
            utt = self.capture(source, self.vad, recognizer, self._endpoint(),
                               on_partial=on_partial, on_level=on_level, cancel=self._cancel)
        finally:
            try:
                source.close()
            except Exception:
                log.warning("closing the audio source failed", exc_info=True)
        self.last_timings["speech_ended"] = time.monotonic()
        self.last_timings.update({f"capture_{k}": float(v) for k, v in getattr(utt, "timings", {}).items()})
        self._emit(SpeechEnded(float(utt.speech_s)))
        text = (utt.transcript.text or "").strip()
        if not text:
            raise NoSpeechError("the recognizer returned no words")
        log.debug("heard: %s", text)
        # issue 10: a Vietnamese session that heard English answers in English; the screen switches
        # on Transcribed.language and stays English until the idle reset (never back on its own).
        if language == "vi" and getattr(utt.transcript, "language", "vi") == "en":
            language = "en"
        self._emit(Transcribed(text, getattr(utt.transcript, "confidence", None), language))
        return self._think_and_speak(text, language)

    def _answer_text(self, text: str, language: str) -> Answer | None:
        self._emit(Transcribed(text, None, language))
        return self._think_and_speak(text, language)

    def _think_and_speak(self, text: str, language: str) -> Answer | None:
        self._check_cancel()
        self._emit(Thinking())
        epoch, context = self._conversation.context(language)
        ask_stream = getattr(self.knowledge, "ask_stream", None)
        stream: AnswerStream = (ask_stream(text, language, context) if ask_stream is not None
                                else AnswerStream(self.knowledge.ask(text, language)))
        self.last_timings["answer_ready"] = time.monotonic()
        self._check_cancel()
        self._emit(AnswerReady(stream.card, live=stream.live))
        if stream.live:
            answer = self._speak_live(stream, self.settings.tts.rate)
        else:
            answer = stream.card
            self._speak(answer, self.settings.tts.rate)
        self._conversation.remember(answer, epoch)
        return answer

    def _answer_procedure(self, procedure_id: str, language: str) -> Answer | None:
        from knowledge.answer import TemplateAnswerer  # pure text from the record's fields
        from knowledge.types import Aspect

        record = self.knowledge.record(procedure_id)
        self._emit(Thinking())
        title = (record.title_en if language == "en" else None) or record.title
        answer = TemplateAnswerer().answer(title, record, Aspect.GENERAL, language=language)
        epoch, _context = self._conversation.context(language)
        self._check_cancel()
        self._emit(AnswerReady(answer))
        self._speak(answer, self.settings.tts.rate)
        self._conversation.remember(answer, epoch)  # picked on screen: follow-ups are about it
        return answer

    def _speak(self, answer: Answer, rate: float) -> None:
        sentences = [s for s in (answer.sentences or (answer.spoken,)) if s and s.strip()]
        if not sentences:
            self._emit(SpeakingFinished(interrupted=False))
            return
        interrupted = self._play(sentences, answer.language or "vi", rate)
        self._emit(SpeakingFinished(interrupted=interrupted))

    def _speak_live(self, stream: AnswerStream, rate: float) -> Answer:
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
            while not self._cancel.is_set():
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
            interrupted = self._play(sentences(), stream.card.language or "vi", rate)
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

    def _play(self, sentences: Iterable[str], language: str, rate: float) -> bool:
        """Synthesise and play ``sentences`` (consumed as the player needs them); True if interrupted."""
        synth = _pick(self.synthesizer, language)

        def chunks() -> Iterator[AudioChunk]:
            for sentence in sentences:
                if self._cancel.is_set():
                    return
                spoken = self.normalizer(sentence, language)
                for chunk in synth.synthesize(spoken, rate=rate):
                    self.last_timings.setdefault("first_audio", time.monotonic())
                    # the screen shows the written sentence, not its spoken-form spelling
                    yield dataclasses.replace(chunk, text=sentence)

        def on_sentence(sentence: str) -> None:
            self._emit(SpeakingEvent(sentence))

        interrupted = self.player.play(chunks(), cancel=self._cancel, on_sentence=on_sentence)
        return bool(interrupted) or self._cancel.is_set()

    # ---- helpers --------------------------------------------------------------------------------
    def _endpoint(self) -> EndpointSettings:
        return self.settings.endpoint

    def _check_cancel(self) -> None:
        if self._cancel.is_set():
            raise CancelledError("cancelled")

    def _emit(self, event: Event) -> None:
        try:
            self.on_event(event)
        except Exception:  # a listener bug must not stop the question
            log.exception("event listener failed on %s", event.type)

