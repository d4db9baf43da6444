"""The take check with the kiosk's real recogniser (issue 20): a real recording of its own sentence is
kept, the same recording offered for another sentence is refused with the words that differ."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kiosk_app.ui.bundle_messages import staff_vi
from speech.audio.wav import read_wav
from speech.tts.take_check import TakeCode, check_take

VIENEU = Path(__file__).resolve().parents[1] / "fixtures" / "vieneu"


@pytest.mark.parametrize("speaker", ["Tuyên (nam miền Bắc)", "Ly (nữ miền Bắc)", "Đoan (nữ miền Nam)"])
def test_real_take_right_and_swapped(vietasr, speaker: str) -> None:  # type: ignore[no-untyped-def]
    wav = VIENEU / f"{speaker}.wav"
    if not wav.is_file():
        pytest.fail(f"{wav} missing: run .venv/bin/python scripts/fetch_fixtures.py")
    pcm, _rate = read_wav(wav)
    x = np.frombuffer(pcm, dtype=np.int16)
    own = wav.with_suffix(".txt").read_text(encoding="utf-8")
    _stats, heard, found = check_take(x, own, vietasr)
    assert heard and found == [], (heard, found)
    other = ("Khai tử làm ở Ủy ban nhân dân phường nơi người mất cư trú cuối cùng, "
             "trong 15 ngày kể từ ngày mất.")
    _stats, _heard, found = check_take(x, other, vietasr)
    wrong = [f for f in found if f.code is TakeCode.WRONG_WORDS]
    assert wrong and len(wrong[0].differing) >= 5 and "Máy nghe thấy: “" in staff_vi(wrong[0])
