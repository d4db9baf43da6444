"""English answer openings synthesised ahead of time: replayed at once, the rest synthesised as usual."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from knowledge.bundle.schema import Record
from knowledge.understand.english import english_openers
from speech.text.normalize_en import spoken_english
from speech.tts.base import AudioChunk
from speech.tts.phrase_cache import PhraseCache
from tests.fakes import RATE, silence


class CountingSynth:
    name = "counting"
    language = "en"

    def __init__(self) -> None:
        self.texts: list[tuple[str, float]] = []
        self.degraded = True
        self.closed = False

    def synthesize(self, text: str, *, rate: float = 1.0) -> Iterator[AudioChunk]:
        self.texts.append((text, rate))
        yield AudioChunk(silence(0.1), RATE, text)

    def close(self) -> None:
        self.closed = True


ANSWER = "Birth registration: registering on time is free of charge."


def test_a_cached_opening_is_replayed_and_the_rest_synthesised() -> None:
    inner = CountingSynth()
    cache = PhraseCache(inner, first_max_chars=32)
    assert cache.prefill([ANSWER, ANSWER]) == 1 and inner.texts == [("Birth registration:", 1.0)]
    chunks = list(cache.synthesize(ANSWER))
    assert [c.text for c in chunks] == ["Birth registration:", "registering on time is free of charge."]
    assert inner.texts[1:] == [("registering on time is free of charge.", 1.0)]  # opening not redone
    assert cache.hits == 1


def test_slower_speech_and_unknown_openings_go_to_the_engine() -> None:
    inner = CountingSynth()
    cache = PhraseCache(inner, first_max_chars=32)
    cache.prefill([ANSWER])
    list(cache.synthesize(ANSWER, rate=0.8))
    list(cache.synthesize("Marriage registration: both must be present."))
    assert inner.texts[1:] == [(ANSWER, 0.8), ("Marriage registration: both must be present.", 1.0)]
    assert cache.hits == 0


def test_long_openings_are_not_cached_and_engine_state_shows_through() -> None:
    inner = CountingSynth()
    cache = PhraseCache(inner, first_max_chars=32, max_piece_chars=20)
    assert cache.prefill(["A very long opening sentence without any pause in it at all."]) == 0
    assert len(cache) == 0 and cache.degraded is True and cache.name == "counting"
    cache.close()
    assert inner.closed


def test_openings_cover_every_procedure_and_the_refusals(sample_records: list[Record]) -> None:
    openers = english_openers(sample_records)
    assert len(openers) == len(set(openers))
    assert len(openers) > len(sample_records)  # several aspects per procedure
    assert any(o.startswith("Birth registration: ") for o in openers)
    assert any(o.startswith("Sorry, I can only answer") for o in openers)


@pytest.mark.parametrize(("written", "spoken"), [
    ("Marriage registration declaration form (Tờ khai đăng ký kết hôn); both parties may fill in one form.",
     "Marriage registration declaration form; both parties may fill in one form."),
    ("Identity card (thẻ căn cước): 03 working days.", "Identity card: 03 working days."),
    ("Apply online (dichvucong.gov.vn).", "Apply online (dichvucong.gov.vn)."),  # not Vietnamese: kept
    ("8,000 VND per copy.", "8,000 VND per copy."),
])
def test_vietnamese_asides_are_shown_but_not_spoken(written: str, spoken: str) -> None:
    assert spoken_english(written) == spoken


def test_the_cache_speaks_the_spoken_form() -> None:
    inner = CountingSynth()
    cache = PhraseCache(inner, first_max_chars=32, normalizer=spoken_english)
    list(cache.synthesize("Declaration form (Tờ khai đăng ký khai tử)."))
    assert inner.texts == [("Declaration form.", 1.0)]
