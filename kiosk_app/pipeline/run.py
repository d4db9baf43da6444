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

``Pipeline`` runs the stages from listening to the answer card and hands speaking to its
``Speaker``; the engines' protocols live in ``ports``. It owns the background threads it starts and
closes its engines (``close``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack

from kiosk_app.core.errors import CancelledError, ErrorCode, KioskError, NoSpeechError
from kiosk_app.core.events import (
    AnswerReady,
    AudioLevel,
    Event,
    Failed,
    Idle,
    Listening,
    PartialTranscript,
    SpeechEnded,
    Thinking,
    Transcribed,
)
from kiosk_app.core.memory import release_memory
from kiosk_app.core.settings import EndpointSettings, Settings
from kiosk_app.pipeline.conversation import ConversationMemory
from kiosk_app.pipeline.ports import (
    AudioSourceLike,
    CaptureFn,
    EventSink,
    KnowledgeLike,
    Normalizer,
    PerLanguage,
    PlayerLike,
    default_capture,
    default_normalizer,
    pick_engine,
)
from kiosk_app.pipeline.speaker import Speaker
from kiosk_app.pipeline.speculation import AnswerSpeculation, Prepared, ask
from knowledge.types import Answer, AnswerStream, Conversation
from speech.asr.base import Recognizer
from speech.tts.base import Synthesizer
from speech.vad.base import VoiceDetector
from speech.vad.turn import TurnContext

log = logging.getLogger(__name__)


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
        self.speaker = Speaker(synthesizer, player, normalizer, self._emit)
        self.on_event = on_event
        self.capture = capture
        self._cancel = threading.Event()
        self._closing = threading.Event()
        self._background: list[threading.Thread] = []
        self.last_timings: dict[str, float] = {}  # for benchmarks: monotonic stamps of the last run
        self._conversation = ConversationMemory(settings.ui.idle_reset_s)  # follow-up questions

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
        engines: list[object] = [self.speaker.player, self.knowledge]
        for family in (self.recognizer, self.speaker.synthesizer):
            engines.extend(family.built() if isinstance(family, PerLanguage) else [family])
        with ExitStack() as stack:  # every engine is closed, in this order, whatever one of them does
            for eng in reversed(engines):
                stack.callback(_close_quietly, eng)

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
        if slower:  # this resident gets the long end-of-turn wait from now on (issue 19)
            self._conversation.slow_down()
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
        release_memory()  # this question's freed engine buffers back to the system (kiosk_app.core.memory)
        return result

    def _listen_and_answer(self, language: str) -> Answer | None:
        self._emit(Listening())
        recognizer = pick_engine(self.recognizer, language)
        source = self.source_factory()
        last_partial = ""

        def on_partial(text: str) -> None:
            nonlocal last_partial
            if text != last_partial:
                last_partial = text
                self._emit(PartialTranscript(text))

        def on_level(level: float) -> None:
            self._emit(AudioLevel(max(0.0, min(1.0, float(level)))))

        # The answer is prepared during the resident's pauses (issue 19); nothing of it is shown or
        # spoken unless the turn ends on exactly that transcript.
        speculation = AnswerSpeculation(language=language, knowledge=self.knowledge,
                                        conversation=self._conversation,
                                        synthesizer=self.speaker.synthesizer,
                                        normalizer=self.speaker.normalizer, rate=self.settings.tts.rate)
        turn = TurnContext.from_settings(self._endpoint(), language=language,
                                         slow=self._conversation.slow, speculation=speculation)
        try:
            utt = self.capture(source, self.vad, recognizer, self._endpoint(),
                               on_partial=on_partial, on_level=on_level, cancel=self._cancel, turn=turn)
        except BaseException:
            speculation.drop()
            raise
        finally:
            try:
                source.close()
            except Exception:
                log.warning("closing the audio source failed", exc_info=True)
        self.last_timings["speech_ended"] = time.monotonic()
        self.last_timings.update({f"capture_{k}": float(v) for k, v in utt.timings.items()})
        self._emit(SpeechEnded(float(utt.speech_s)))
        text = (utt.transcript.text or "").strip()
        if not text:
            raise NoSpeechError("the recognizer returned no words")
        log.debug("heard: %s", text)
        # issue 10: a Vietnamese session that heard English answers in English; the screen switches
        # on Transcribed.language and stays English until the idle reset (never back on its own).
        if language == "vi" and utt.transcript.language == "en":
            language = "en"
        prepared = speculation.take(text, language)
        self.last_timings.update(speculated=float(prepared is not None), speculations=float(speculation.made),
                                 speculations_dropped=float(speculation.dropped))
        self._emit(Transcribed(text, utt.transcript.confidence, language))
        return self._think_and_speak(text, language, prepared)

    def _answer_text(self, text: str, language: str) -> Answer | None:
        self._emit(Transcribed(text, None, language))
        return self._think_and_speak(text, language)

    def _think_and_speak(self, text: str, language: str, prepared: Prepared | None = None) -> Answer | None:
        try:
            self._check_cancel()
        except CancelledError:
            if prepared is not None:
                prepared.close()
            raise
        self._emit(Thinking())
        stream: AnswerStream
        if prepared is not None:  # made during the pause for exactly this transcript
            epoch, stream = prepared.epoch, prepared.stream
        else:
            epoch, stream = ask(self.knowledge, text, language, self._conversation)
        self.last_timings["answer_ready"] = time.monotonic()
        self._check_cancel()
        self._emit(AnswerReady(stream.card, live=stream.live))
        if stream.live:
            answer = self.speaker.speak_live(stream, self.settings.tts.rate, self._cancel, self.last_timings)
        else:
            answer = stream.card
            self._speak(answer, self.settings.tts.rate, prepared)
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

    # ---- helpers --------------------------------------------------------------------------------
    def _speak(self, answer: Answer, rate: float, prepared: Prepared | None = None) -> None:
        self.speaker.speak(answer, rate, self._cancel, self.last_timings, prepared)

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


def _close_quietly(engine: object) -> None:
    close = getattr(engine, "close", None)  # engines without native resources have no close()
    if close is None:
        return
    try:
        close()
    except Exception:
        log.warning("closing %s failed", type(engine).__name__, exc_info=True)
