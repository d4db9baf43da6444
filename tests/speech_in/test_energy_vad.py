"""Energy VAD on generated signals: speech-like tone vs room noise vs silence, adaptive floor."""

from __future__ import annotations

import pytest

from speech.vad.energy import EnergyVad, level_db, level_meter
from tests.speech_in.voice_in_signals import noise, silence, tone


def probs(vad: EnergyVad, pcm: bytes) -> list[float]:
    n = vad.chunk_samples * 2
    return [vad(pcm[i:i + n]) for i in range(0, len(pcm) - n + 1, n)]


def test_levels() -> None:
    assert level_db(silence(0.1)) == -90.0
    assert level_db(tone(0.1, db=-12)) == pytest.approx(-12, abs=0.2)
    assert level_db(noise(0.1, db=-50)) == pytest.approx(-50, abs=0.5)
    assert level_meter(-60) == 0.0 and level_meter(0) == 1.0 and level_meter(-30) == pytest.approx(0.5)


@pytest.mark.parametrize(("room_db", "voice_db"), [(-70, -25), (-60, -20), (-50, -20), (-45, -15)])
def test_speech_over_room_noise(room_db: float, voice_db: float) -> None:
    vad = EnergyVad()
    quiet = probs(vad, noise(1.0, room_db))
    loud = probs(vad, tone(0.5, db=voice_db))
    after = probs(vad, noise(1.0, room_db, seed=2))
    assert max(quiet[5:]) < 0.5  # the room alone is not speech (after the first 160 ms)
    assert min(loud) > 0.5
    assert max(after[3:]) < 0.5


def test_silence_is_never_speech() -> None:
    assert max(probs(EnergyVad(), silence(2.0))) < 0.01


def test_faint_sound_in_digital_silence_is_not_speech() -> None:
    vad = EnergyVad()
    probs(vad, silence(0.5))
    assert max(probs(vad, noise(0.5, -65))) < 0.5  # below the absolute minimum level


def test_floor_learns_a_fan_that_starts_later() -> None:
    vad = EnergyVad()
    probs(vad, noise(1.0, -65))
    fan = probs(vad, noise(8.0, -38, seed=3))  # a loud fan switched on: at first it sounds like speech
    assert max(fan[-30:]) < 0.5  # ... but after a few seconds it is background
    assert min(probs(vad, tone(0.3, db=-12))) > 0.5  # and a voice over the fan is still heard


def test_reset_forgets_the_room() -> None:
    vad = EnergyVad()
    probs(vad, noise(8.0, -38))
    vad.reset()
    assert vad.floor_db is None
