"""English (issue 10) fixtures: one Whisper model, one Piper English voice, one indexed sample bundle
per test session. English speech is made with the Piper joe voice (a real voice, not a recording)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kiosk_app.core.settings import Settings
from knowledge.bundle.sample import sample_vectors
from knowledge.bundle.schema import Record, load_out_of_scope_dir, load_records_dir

REPO = Path(__file__).resolve().parents[2]
SAMPLE_RECORDS = REPO / "knowledge" / "sample" / "records"
EVAL_DIR = REPO / "bench" / "eval"
VIENEU = REPO / "tests" / "fixtures" / "vieneu"
RATE = 16000


def vietnamese_recordings() -> list[Path]:
    wavs = sorted(VIENEU.glob("*.wav"))
    assert len(wavs) >= 6, f"recordings missing in {VIENEU}: run .venv/bin/python scripts/fetch_fixtures.py"
    return wavs


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def whisper_dir(models_dir: Path) -> Path:
    """Whisper base rebuilt from the two registry packages (~1 s, 145 MB in a temp dir)."""
    from speech.asr.whisper_model import assemble

    return assemble(models_dir)


@pytest.fixture(scope="session")
def whisper(whisper_dir: Path) -> Iterator[Any]:
    from speech.asr.whisper_engine import WhisperRecognizer

    rec = WhisperRecognizer(whisper_dir, language="en")
    yield rec
    rec.close()


@pytest.fixture(scope="session")
def whisper_guarded(whisper_dir: Path) -> Iterator[Callable[[str], Any]]:
    """Whisper under another guard, by name: "legacy" (the rule before issue 17), "no-gate" (decoder
    rules + phantom table without the VAD gate). One recognizer per name per session."""
    from speech.asr.whisper_engine import WhisperRecognizer
    from speech.asr.whisper_guard import LEGACY, GuardConfig

    guards = {"legacy": LEGACY, "no-gate": GuardConfig(vad_gate=False)}
    made: dict[str, Any] = {}

    def get(name: str) -> Any:
        if name not in made:
            made[name] = WhisperRecognizer(whisper_dir, language="en", guard=guards[name])
        return made[name]

    yield get
    for rec in made.values():
        rec.close()


@pytest.fixture(scope="session")
def say_en() -> Callable[[str], bytes]:
    """English text -> 16 kHz int16 PCM spoken by Piper's en_US joe voice (cached per text)."""
    from piper import PiperVoice

    from kiosk_app.core.models import require
    from speech.audio.resample import resample
    from speech.tts.piper_engine import find_voice

    model, config = find_voice(require(Settings(data_dir=REPO / ".no-such-dir"), "piper-en"))
    voice = PiperVoice.load(str(model), config_path=str(config))
    cache: dict[str, bytes] = {}

    def say(text: str) -> bytes:
        if text not in cache:
            chunks = list(voice.synthesize(text))
            pcm = np.concatenate([c.audio_int16_array for c in chunks])
            cache[text] = resample(pcm, chunks[0].sample_rate, RATE).astype(np.int16).tobytes()
        return cache[text]

    return say


@pytest.fixture(scope="session")
def sample_records() -> list[Record]:
    return load_records_dir(SAMPLE_RECORDS)


@pytest.fixture(scope="session")
def en_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="session")
def knowledge(tmp_path_factory: pytest.TempPathFactory, sample_records: list[Record],
              en_settings: Settings) -> Iterator[Any]:
    """The sample bundle with its Chroma/E5 index (English titles and aliases are indexed too)."""
    from knowledge.service import Knowledge, prepare_bundle_dir

    bundle_dir = prepare_bundle_dir(sample_records, tmp_path_factory.mktemp("bundle") / "sample-en",
                                    bundle_id="sample", version="1",
                                    out_of_scope=load_out_of_scope_dir(SAMPLE_RECORDS),
                                    vectors=sample_vectors())
    kn = Knowledge.open(bundle_dir, en_settings)
    yield kn
    kn.close()
