"""Take checks (issue 20): each bad take gets its own code; the decisions are tested from tables."""

from __future__ import annotations

import numpy as np
import pytest

from kiosk_app.ui.bundle_messages import staff_vi
from kiosk_app.ui.recording_messages import TAKE_VI
from speech.tts.take_check import (
    TakeCode,
    TakeStats,
    check_take,
    judge,
    measure,
    syllables,
    word_diff,
)

TEXT = "Xin hỏi lại cán bộ tại quầy để chắc chắn."  # 10 syllables: 1.2–7.0 s of speech
GOOD = TakeStats(duration_s=3.5, speech_s=2.8, clipped_fraction=0.0, active_dbfs=-18.0, noise_dbfs=-60.0)


def stats(**kw: float) -> TakeStats:
    return TakeStats(**{**{f: getattr(GOOD, f) for f in ("duration_s", "speech_s", "clipped_fraction",
                                                           "active_dbfs", "noise_dbfs")}, **kw})


@pytest.mark.parametrize(("take", "heard", "codes"), [
    (GOOD, TEXT, []),
    (GOOD, None, []),  # recogniser not run: the other checks still apply
    (GOOD, "xin hỏi lại cán bộ tại quầy để chắc", []),  # one word dropped: 10% < 35%
    (GOOD, "đăng ký khai tử làm ở ủy ban nhân dân phường", [TakeCode.WRONG_WORDS]),
    (stats(duration_s=600.0, speech_s=500.0), TEXT, [TakeCode.TOO_LONG_FILE]),  # a 10-minute file
    (stats(speech_s=0.1), None, [TakeCode.NO_SPEECH]),
    (stats(clipped_fraction=0.01), TEXT, [TakeCode.CLIPPED]),
    (stats(active_dbfs=-45.0, noise_dbfs=-80.0), TEXT, [TakeCode.TOO_QUIET]),
    (stats(active_dbfs=-20.0, noise_dbfs=-32.0), TEXT, [TakeCode.TOO_NOISY]),
    (stats(duration_s=1.0, speech_s=0.6), TEXT, [TakeCode.TOO_SHORT]),
    (stats(duration_s=12.0, speech_s=9.0), TEXT, [TakeCode.TOO_SLOW]),
    (stats(clipped_fraction=0.02, speech_s=0.6, duration_s=1.0), "không",
     [TakeCode.CLIPPED, TakeCode.TOO_SHORT, TakeCode.WRONG_WORDS]),
])
def test_judge(take: TakeStats, heard: str | None, codes: list[TakeCode]) -> None:
    found = judge(take, TEXT, heard)
    assert [f.code for f in found] == codes
    assert all(staff_vi(f) and f.detail for f in found)


@pytest.mark.parametrize(("speech_s", "codes"), [
    (0.2, []),  # a clerk's "Được." is one short syllable: it is speech, and the right word
    (0.05, [TakeCode.NO_SPEECH]),  # a click
])
def test_a_one_word_sentence_needs_only_one_syllable_of_speech(speech_s: float, codes: list[TakeCode]) -> None:
    take = stats(duration_s=0.8, speech_s=speech_s)
    assert [f.code for f in judge(take, "Được.", "được")] == codes


def test_every_code_has_a_vietnamese_message() -> None:
    assert set(TAKE_VI) == {c.value for c in TakeCode}


@pytest.mark.parametrize(("text", "n"), [
    ("Xin hỏi lại cán bộ tại quầy để chắc chắn.", 10),
    ("Trong 15 ngày.", 4),  # "trong mười lăm ngày"
    ("Lệ phí 8.000 đồng.", 5),  # "lệ phí tám nghìn đồng"
])
def test_syllables_of_the_spoken_form(text: str, n: int) -> None:
    assert syllables(text) == n


def test_wrong_words_lists_what_differs() -> None:
    errors, pairs = word_diff(["trong", "mười", "lăm", "ngày"], ["trong", "ba", "mươi", "ngày"])
    assert errors == 2 and pairs == (("mười", "ba"), ("lăm", "mươi"))
    f = judge(GOOD, "Khai tử trong 15 ngày kể từ ngày mất.", "khai sinh trong sáu mươi ngày kể từ ngày sinh")
    assert [x.code for x in f] == [TakeCode.WRONG_WORDS]
    assert "“tử” → “sinh”" in staff_vi(f[0]) and ("mất", "sinh") in f[0].differing


def _voiced(seconds: float, amp: float, rate: int = 16000, noise: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(1)
    t = np.arange(int(seconds * rate)) / rate
    env = (np.sin(2 * np.pi * 3 * t) > -0.3).astype(float)  # syllable-like bursts
    x = amp * env * (np.sin(2 * np.pi * 180 * t) + 0.4 * np.sin(2 * np.pi * 900 * t))
    pad = np.zeros(int(0.3 * rate))
    x = np.concatenate([pad, x, pad])
    return np.clip(x + rng.normal(0, noise, len(x)), -32768, 32767).astype(np.int16)


@pytest.mark.parametrize(("samples", "code"), [
    (np.zeros(48000, dtype=np.int16), TakeCode.NO_SPEECH),
    (_voiced(3.0, 60000.0), TakeCode.CLIPPED),
    (_voiced(3.0, 150.0), TakeCode.TOO_QUIET),
    (_voiced(3.0, 3000.0, noise=800.0), TakeCode.TOO_NOISY),
    (_voiced(0.5, 3000.0), TakeCode.TOO_SHORT),
])
def test_measured_signals(samples: np.ndarray, code: TakeCode) -> None:
    _stats, heard, found = check_take(samples, TEXT, None)
    assert heard is None and code in [f.code for f in found]


def test_clean_signal_passes_without_recogniser() -> None:
    st = measure(_voiced(3.0, 3000.0), 16000)
    assert st.snr_db > 40 and 1.5 < st.speech_s <= 3.1
    assert judge(st, TEXT, None) == []


class FakeAsr:
    """Engine boundary: the recogniser hears ``text``."""

    def __init__(self, text: str) -> None:
        self.text, self.calls = text, 0

    def transcribe(self, pcm16: bytes, sample_rate: int) -> str:
        self.calls += 1
        assert sample_rate == 16000 and len(pcm16) > 0
        return self.text


def test_recogniser_runs_only_on_speech() -> None:
    asr = FakeAsr("một câu khác hẳn")
    _s, _h, found = check_take(np.zeros(32000, dtype=np.int16), TEXT, asr)
    assert asr.calls == 0 and [f.code for f in found] == [TakeCode.NO_SPEECH]
    _s, heard, found = check_take(_voiced(3.0, 3000.0), TEXT, asr)
    assert asr.calls == 1 and heard == "một câu khác hẳn"
    assert [f.code for f in found] == [TakeCode.WRONG_WORDS]


def test_energy_vad_finds_the_speech_of_a_real_recording(vieneu_wav) -> None:  # type: ignore[no-untyped-def]
    from speech.audio.wav import read_wav
    from speech.vad.energy import EnergyVad

    pcm, rate = read_wav(vieneu_wav)
    x = np.frombuffer(pcm, dtype=np.int16)
    vad = EnergyVad()
    st = measure(x, rate, vad)
    assert 0.5 * len(x) / rate < st.speech_s <= len(x) / rate and st.snr_db > 20
    silent = measure(np.zeros(32000, np.int16), 16000, vad)  # the VAD is reset: no speech carried over
    assert silent.speech_s < 0.3
    assert judge(st, "Bạn cầm khúc cây và ném vào bãi cỏ xanh tươi rậm rạp ở đằng xa.", None) == []
