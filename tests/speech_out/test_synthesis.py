"""Synthesis engines for real: espeak-ng (Debian package) and Piper with the joe voice (registry package)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from kiosk_app import wiring
from kiosk_app.core.errors import ModelMissingError, TtsError
from kiosk_app.core.models import require
from kiosk_app.core.settings import Settings, TtsEngine
from speech.audio.playback import Player
from speech.text.normalize_vi import normalize_for_speech
from speech.tts.base import AudioChunk
from speech.tts.espeak_engine import EspeakSynthesizer, parse_wav, wpm_for
from speech.tts.fallback import FallbackSynthesizer
from speech.tts.sentences import split_sentences

ANSWER = "Lệ phí đăng ký khai sinh quá hạn là 5.000 đồng. Nộp tại UBND phường! Làm trong 3-5 ngày?"


def _seconds(chunks: list[AudioChunk]) -> float:
    return sum(len(c.pcm16) / 2 / c.sample_rate for c in chunks)


def _peak(chunks: list[AudioChunk]) -> int:
    return int(max(np.abs(np.frombuffer(c.pcm16, dtype="<i2").astype(np.int32)).max() for c in chunks))


def _rms(chunk: AudioChunk) -> float:
    x = np.frombuffer(chunk.pcm16, dtype="<i2").astype(np.float64)
    return float(np.sqrt(np.mean(x * x)))


# ---- sentences ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "want"), [
    ("Một. Hai! Ba?", ["Một.", "Hai!", "Ba?"]),
    ("Lệ phí là 5.000 đồng. Nộp ngày 01.7.2025 nhé.", ["Lệ phí là 5.000 đồng.", "Nộp ngày 01.7.2025 nhé."]),
    ("Ở TP. Hà Nội thì khác. Xong.", ["Ở TP. Hà Nội thì khác.", "Xong."]),
    ("Dòng một\nDòng hai", ["Dòng một", "Dòng hai"]),
    ("Giấy tờ… rồi nộp.", ["Giấy tờ…", "rồi nộp."]),
    ("  ", []),
])
def test_split_sentences(text: str, want: list[str]) -> None:
    assert split_sentences(text) == want


def test_first_sentence_can_be_cut_at_a_clause_for_fast_first_audio() -> None:
    text = ("Đăng ký khai sinh làm tại Ủy ban nhân dân phường nơi cư trú của cha hoặc mẹ, trong 60 ngày "
            "kể từ ngày sinh. Mang theo giấy chứng sinh, tờ khai.")
    assert split_sentences(text, first_max_chars=60) == [
        "Đăng ký khai sinh làm tại Ủy ban nhân dân phường nơi cư trú của cha hoặc mẹ,",
        "trong 60 ngày kể từ ngày sinh.", "Mang theo giấy chứng sinh, tờ khai."]
    assert split_sentences("Xin chào, bác. Vâng.", first_max_chars=5) == ["Xin chào, bác.", "Vâng."]


def test_long_sentence_is_cut_at_a_pause() -> None:
    text = "; ".join(["mang theo giấy chứng sinh bản chính và tờ khai"] * 10) + "."
    parts = split_sentences(text, max_chars=120)
    assert len(parts) > 1 and all(len(p) <= 120 for p in parts)
    assert " ".join(parts).replace(" ;", ";") == text


# ---- espeak-ng ---------------------------------------------------------------------------------
def test_espeak_speaks_one_chunk_per_sentence(espeak_vi: EspeakSynthesizer) -> None:
    chunks = list(espeak_vi.synthesize(ANSWER))
    assert [c.text for c in chunks] == split_sentences(ANSWER)  # the written sentence, for the screen
    assert all(c.sample_rate == 22050 for c in chunks)
    assert all(_rms(c) > 500 for c in chunks)  # audible speech, not silence
    assert 4.0 < _seconds(chunks) < 15.0


def test_espeak_speaks_the_normalised_words(espeak_vi: EspeakSynthesizer) -> None:
    plain = EspeakSynthesizer("vi")  # no normaliser: reads exactly what it is given
    said = b"".join(c.pcm16 for c in espeak_vi.synthesize("Lệ phí là 5.000 đồng."))
    spelled = b"".join(c.pcm16 for c in plain.synthesize(normalize_for_speech("Lệ phí là 5.000 đồng.")))
    assert said == spelled


def test_slower_rate_is_longer_and_default_is_slow_for_elderly(espeak_vi: EspeakSynthesizer) -> None:
    normal = _seconds(list(espeak_vi.synthesize(ANSWER)))
    slower = _seconds(list(espeak_vi.synthesize(ANSWER, rate=0.8)))
    faster = _seconds(list(espeak_vi.synthesize(ANSWER, rate=1.25)))
    assert slower > normal * 1.15 and faster < normal * 0.9
    assert wpm_for(1.0) < 175  # espeak's own default is 175 wpm
    assert wpm_for(0.1) == 80 and wpm_for(10) == 450


def test_volume_scales_espeak_output() -> None:
    loud = list(EspeakSynthesizer("vi").synthesize("Xin chào."))
    quiet = list(EspeakSynthesizer("vi", volume=0.4).synthesize("Xin chào."))
    assert _peak(quiet) < 0.6 * _peak(loud)


def test_english_voice() -> None:
    chunks = list(EspeakSynthesizer("en").synthesize("The fee is waived. Bring your ID card."))
    assert [c.text for c in chunks] == ["The fee is waived.", "Bring your ID card."]
    assert _seconds(chunks) > 1.5


def test_missing_espeak_binary_names_the_apt_command() -> None:
    with pytest.raises(TtsError, match="apt-get install espeak-ng"):
        EspeakSynthesizer("vi", binary="espeak-ng-not-installed")


def test_unknown_espeak_voice_is_a_tts_error() -> None:
    with pytest.raises(TtsError, match="voice 'xx-nope'"):
        list(EspeakSynthesizer("xx-nope").synthesize("hello"))


def test_garbage_wav_is_a_tts_error() -> None:
    with pytest.raises(TtsError):
        parse_wav(b"not a wav file at all")


# ---- Piper (joe voice, English, shipped as a registry package) -----------------------------------
@pytest.fixture(scope="module")
def joe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from speech.tts.piper_engine import PiperSynthesizer, find_voice

    settings = Settings(data_dir=tmp_path_factory.mktemp("data"))
    model, config = find_voice(require(settings, "piper-en"))
    synth = PiperSynthesizer(model, config, language="en")
    yield synth
    synth.close()


@pytest.mark.engine
def test_piper_speaks_one_chunk_per_sentence(joe: object) -> None:
    chunks = list(joe.synthesize("The fee is waived. Bring your ID card!"))  # type: ignore[attr-defined]
    assert [c.text for c in chunks] == ["The fee is waived.", "Bring your ID card!"]
    assert all(c.sample_rate == 22050 and _rms(c) > 300 for c in chunks)


@pytest.mark.engine
def test_piper_rate_and_volume(joe: object) -> None:
    text = "Registration is free within sixty days."
    normal = list(joe.synthesize(text))  # type: ignore[attr-defined]
    slower = list(joe.synthesize(text, rate=0.6))  # type: ignore[attr-defined]
    # length_scale = 1 / rate; Piper's duration noise varies a sentence by about 5 %
    assert _seconds(slower) > 1.2 * _seconds(normal)
    joe.volume = 0.5  # type: ignore[attr-defined]
    try:
        quiet = list(joe.synthesize(text))  # type: ignore[attr-defined]
    finally:
        joe.volume = 1.0  # type: ignore[attr-defined]
    assert _peak(quiet) < 0.6 * _peak(normal)


@pytest.mark.parametrize(("text", "limit", "want"), [
    ("one two, three", 20, ["one two, three"]),  # fits: one run
    ("one two, three four five six", 20, ["one two,", "three four five six"]),  # after the clause pause
    ("a, bbbbb ccccc ddddd eeeee", 15, ["a, bbbbb ccccc", "ddddd eeeee"]),  # pause too early: even halves
    ("aaa bbb ccc ddd eee fff ggg", 24, ["aaa bbb ccc ddd", "eee fff ggg"]),  # no one-word tail
    ("abcdefghij", 4, ["abcd", "efgh", "ij"]),  # one endless word: cut at the limit
])
def test_piper_runs_are_cut_at_pauses_then_words(text: str, limit: int, want: list[str]) -> None:
    from speech.tts.piper_engine import cut_phonemes

    assert ["".join(p) for p in cut_phonemes(list(text), limit)] == want


@pytest.mark.engine
def test_piper_speaks_a_long_sentence_whole_in_bounded_runs(joe: object,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """One ONNX run's memory grows ~1.7 MiB per phoneme: a 200-phoneme sentence took 350 MiB at once."""
    from speech.tts.piper_engine import MAX_PHONEMES

    voice = joe._voice  # type: ignore[attr-defined]
    runs: list[int] = []
    real = voice.phonemes_to_ids

    def counted(phonemes: list[str]) -> list[int]:
        runs.append(len(phonemes))
        return real(phonemes)  # type: ignore[no-any-return]

    monkeypatch.setattr(voice, "phonemes_to_ids", counted)
    sentence = ("Applications received after fifteen hours are returned on the next working day; if "
                "verification is needed, the answer comes in no more than five working days.")
    chunks = list(joe.synthesize("Bring your ID card. " + sentence))  # type: ignore[attr-defined]
    assert [c.text for c in chunks] == ["Bring your ID card.", sentence]  # one chunk per sentence still
    assert len(runs) >= 3 and max(runs) <= MAX_PHONEMES and sum(runs) > 1.5 * MAX_PHONEMES
    assert len(chunks[1].pcm16) / 2 / chunks[1].sample_rate > 7.0  # every word of it spoken
    assert _rms(chunks[1]) > 300


def test_missing_piper_voice_names_the_path(tmp_path: Path) -> None:
    from speech.tts.piper_engine import PiperSynthesizer, find_voice

    with pytest.raises(ModelMissingError, match=str(tmp_path / "vi.onnx")):
        PiperSynthesizer(tmp_path / "vi.onnx")
    (tmp_path / "voice").mkdir()
    with pytest.raises(ModelMissingError, match=r"\.onnx"):
        find_voice(tmp_path / "voice")


# ---- fallback + wiring -------------------------------------------------------------------------
class BrokenAfter:
    """A primary voice that speaks ``ok`` sentences, then fails (a corrupt model mid-answer)."""

    name = "broken-voice"
    language = "vi"

    def __init__(self, ok: int) -> None:
        self.ok = ok
        self.spoken = 0

    def synthesize(self, text: str, *, rate: float = 1.0) -> Iterator[AudioChunk]:
        for sentence in split_sentences(text):
            if self.spoken >= self.ok:
                raise TtsError("onnxruntime: invalid model")
            self.spoken += 1
            yield AudioChunk(b"\x01\x00" * 2205, 22050, sentence)

    def close(self) -> None:
        pass


def test_fallback_takes_over_mid_answer_and_warns_once(espeak_vi: EspeakSynthesizer,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    synth = FallbackSynthesizer(BrokenAfter(ok=1), espeak_vi)
    assert not synth.degraded and synth.name == "broken-voice"
    with caplog.at_level(logging.WARNING, logger="speech.tts.fallback"):
        chunks = list(synth.synthesize(ANSWER))
        again = list(synth.synthesize("Xin chào. Tạm biệt."))
    assert [c.text for c in chunks] == split_sentences(ANSWER)  # nothing lost
    assert chunks[0].pcm16 == b"\x01\x00" * 2205 and _rms(chunks[1]) > 500
    assert len(again) == 2 and synth.degraded and "invalid model" in synth.reason
    assert synth.name == "espeak-ng"
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1


def test_wiring_espeak_is_the_default(settings: Settings) -> None:
    synth = wiring.build_synthesizer(settings)
    assert synth.name == "espeak-ng" and synth.language == "vi"
    assert [c.text for c in synth.synthesize("UBND. 5.000 đ.")] == ["UBND.", "5.000 đ."]


def test_wiring_missing_vietnamese_piper_voice_degrades_to_espeak(settings: Settings) -> None:
    s = settings.model_copy(update={"tts": settings.tts.model_copy(update={"engine": TtsEngine.PIPER})})
    synth = wiring.build_synthesizer(s)
    assert isinstance(synth, FallbackSynthesizer) and synth.degraded
    assert str(s.models_path / "piper-vi") in synth.reason  # the health check says where it is expected
    assert _seconds(list(synth.synthesize("Xin chào."))) > 0.3


@pytest.mark.engine
def test_wiring_english_uses_the_piper_voice(settings: Settings) -> None:
    synth = wiring.build_synthesizer(settings, language="en")
    assert isinstance(synth, FallbackSynthesizer) and not synth.degraded and synth.name == "piper"
    synth.close()


def test_wiring_player_uses_audio_settings(settings: Settings) -> None:
    s = settings.model_copy(update={"audio": settings.audio.model_copy(
        update={"volume": 0.7, "output_device": "USB"})})
    player = wiring.build_player(s)
    assert isinstance(player, Player) and player.volume == 0.7 and player.device == "USB"
