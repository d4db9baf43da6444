"""End of turn from the words (speech.vad.turn) and the endpointer's pause/early end, from tables."""

from __future__ import annotations

import pytest

from kiosk_app.core.errors import SettingsError
from kiosk_app.core.settings import Settings
from speech.vad.endpoint import EndpointConfig, Endpointer, EndpointKind
from speech.vad.turn import Ending, Turn, Waits, decide, ending, sounds_complete, turn_wait
from speech.vad.turn_weights import TURN_THRESHOLDS, TURN_WEIGHTS
from speech.vad.turn_words import TURN_WORDS

W = Waits(short_s=0.3, mid_s=0.55, long_s=1.2)
E = Ending


@pytest.mark.parametrize(("text", "language", "want"), [
    # Vietnamese as viet-asr writes it: lowercase, no punctuation, numbers spelled out
    ("làm giấy khai sinh cần những giấy tờ gì", "vi", E.FINISHED),
    ("đăng ký kết hôn mất bao nhiêu tiền", "vi", E.FINISHED),
    ("đăng ký kết hôn mất bao nhiêu", "vi", E.FINISHED),
    ("làm căn cước mất mấy ngày", "vi", E.FINISHED),
    ("mang theo giấy tờ tùy thân", "vi", E.OPEN),
    ("làm căn cước ở đâu", "vi", E.FINISHED),
    ("cấp lại giấy khai sinh có mất phí không", "vi", E.FINISHED),
    ("hồ sơ của bác xong chưa", "vi", E.FINISHED),
    ("bao giờ thì có kết quả ạ", "vi", E.FINISHED),
    ("thủ tục này làm thế nào", "vi", E.FINISHED),
    ("cái này nộp ở quầy nào", "vi", E.FINISHED),
    ("cho bác hỏi", "vi", E.HANGING),
    ("cho bác hỏi ờ", "vi", E.HANGING),
    ("làm giấy khai sinh thì", "vi", E.HANGING),
    ("giấy khai sinh với cả", "vi", E.HANGING),
    ("tôi muốn hỏi về", "vi", E.HANGING),
    ("mang theo sổ hộ khẩu và", "vi", E.HANGING),
    ("thế còn", "vi", E.HANGING),  # "thế" alone is a final particle; "thế còn" is not over
    ("sao thế", "vi", E.FINISHED),
    ("trong phòng rất tù mù", "vi", E.OPEN),
    ("Làm CĂN CƯỚC ở đâu?", "vi", E.FINISHED),  # typed text: case and punctuation do not matter
    ("", "vi", E.OPEN),
    # English
    ("how much does a birth certificate cost", "en", E.FINISHED),
    ("where do i register a birth", "en", E.OPEN),
    ("i want to ask about the", "en", E.HANGING),
    ("i need to", "en", E.HANGING),
    ("uh", "en", E.HANGING),
    # a language without lists uses Vietnamese's
    ("làm căn cước ở đâu", "fr", E.FINISHED),
])
def test_ending(text: str, language: str, want: Ending) -> None:
    assert ending(text, language) is want


@pytest.mark.parametrize(("text", "slow", "matched", "want"), [
    ("làm căn cước ở đâu", False, False, 0.3),
    ("cho bác hỏi", False, False, 1.2),
    ("làm giấy khai sinh", False, False, 0.55),
    ("làm giấy khai sinh", False, True, 0.3),  # names a procedure and an aspect
    ("làm giấy khai sinh thì", False, True, 1.2),  # ... but a connective still waits
    ("", False, True, 0.55),  # no words: never "finished"
    ("làm căn cước ở đâu", True, False, 1.2),  # slow mode: always the long wait
    ("làm giấy khai sinh", True, True, 1.2),
])
def test_turn_wait(text: str, slow: bool, matched: bool, want: float) -> None:
    assert turn_wait(text, "vi", slow=slow, matched=matched, waits=W) == pytest.approx(want)


@pytest.mark.parametrize(("silence", "text", "slow", "want"), [
    (0.2, "làm căn cước ở đâu", False, Turn.WAIT),
    (0.3, "làm căn cước ở đâu", False, Turn.END),
    (0.3, "làm giấy khai sinh", False, Turn.WAIT),
    (0.55, "làm giấy khai sinh", False, Turn.END),
    (0.8, "cho bác hỏi ờ", False, Turn.WAIT),  # an elderly "ờ…" is not cut at 0.8 s
    (1.2, "cho bác hỏi ờ", False, Turn.END),
    (0.6, "làm căn cước ở đâu", True, Turn.WAIT),
    (1.2, "làm căn cước ở đâu", True, Turn.END),
])
def test_decide(silence: float, text: str, slow: bool, want: Turn) -> None:
    assert decide(silence, text, "vi", slow=slow, waits=W) is want


def test_word_lists_are_data_for_both_languages() -> None:
    assert set(TURN_WORDS) >= {"vi", "en"}
    for lists in TURN_WORDS.values():
        assert set(lists) == {"finished", "hanging"}
        for entries in lists.values():
            assert all(e == e.lower().strip() and e for e in entries)


@pytest.mark.parametrize("waits", [(0.5, 0.4, 1.2), (0.3, 1.3, 1.2), (0.0, 0.5, 1.0)])
def test_waits_out_of_order_are_refused(waits: tuple[float, float, float]) -> None:
    with pytest.raises(ValueError, match="short <= complete <= mid <= long"):
        Waits(*waits)


def test_the_complete_wait_sits_between_short_and_mid() -> None:
    with pytest.raises(ValueError, match="complete"):
        Waits(short_s=0.3, mid_s=0.55, long_s=1.2, complete_s=0.6)
    with pytest.raises(ValueError, match="complete"):
        Waits(short_s=0.3, mid_s=0.55, long_s=1.2, complete_s=0.2)


@pytest.mark.parametrize(("endpoint", "ok"), [
    ({"short_wait_s": 0.3, "mid_wait_s": 0.55, "long_wait_s": 1.2}, True),
    ({"short_wait_s": 0.1}, False),  # below 0.15 s: a breath would end the question
    ({"long_wait_s": 3.5}, False),
    ({"short_wait_s": 0.8, "mid_wait_s": 0.6}, False),  # out of order
    ({"turn_end": "silence"}, True),
    ({"turn_end": "model", "complete_wait_s": 0.45}, True),
    ({"complete_wait_s": 0.6}, False),  # above the middle wait
    ({"complete_wait_s": 0.25}, False),  # below the short wait
    ({"turn_end": "prosody"}, False),
])
def test_endpoint_settings_bounds(endpoint: dict[str, object], ok: bool) -> None:
    data = {"endpoint": endpoint}
    if ok:
        assert Settings.model_validate(data).endpoint.turn_end in ("words", "silence", "model")
    else:
        with pytest.raises(Exception):  # noqa: B017 - pydantic's ValidationError
            Settings.model_validate(data)


def test_endpoint_settings_from_the_environment() -> None:
    s = Settings.load(None, {"KIOSK_ENDPOINT__SHORT_WAIT_S": "0.25", "KIOSK_ENDPOINT__LONG_WAIT_S": "1.5"})
    assert (s.endpoint.short_wait_s, s.endpoint.long_wait_s) == (0.25, 1.5)
    with pytest.raises(SettingsError, match="short_wait_s"):
        Settings.load(None, {"KIOSK_ENDPOINT__SHORT_WAIT_S": "0.9", "KIOSK_ENDPOINT__MID_WAIT_S": "0.5"})


# Long complete statements the rules leave open (not in the training examples) vs pauses inside one.
COMPLETE = ["tôi đã nộp hồ sơ đăng ký khai sinh cho cháu từ tuần trước mà đến giờ vẫn chưa nhận được kết quả",
            "bà tôi hưởng trợ cấp xã hội mấy năm nay rồi mà vẫn chưa được cấp thẻ bảo hiểm y tế"]


@pytest.mark.parametrize(("text", "model", "slow", "want"), [
    (COMPLETE[0], True, False, 0.42),  # the classifier calls it complete: the complete wait
    (COMPLETE[1], True, False, 0.42),
    (COMPLETE[0], False, False, 0.55),  # rules only: the middle wait
    (COMPLETE[0], True, True, 1.2),  # "Nói chậm hơn": the long wait whatever the classifier says
    (COMPLETE[0] + " thì", True, False, 1.2),  # a connective: the rules win
    (COMPLETE[0] + " không", True, False, 0.3),  # a question particle: the short wait
    ("mẹ tôi tám mươi tuổi", True, False, 0.55),  # a clause at a comma: no sooner than the middle
    ("nếu tôi ở phường khác", True, False, 0.55),  # a fronted "nếu …" wants its main clause
    ("tôi cần sao y giấy khai sinh", True, False, 0.55),
    ("", True, False, 0.55),
])
def test_the_classifier_shortens_only_open_endings(text: str, model: bool, slow: bool, want: float) -> None:
    waits = Waits(short_s=0.3, mid_s=0.55, long_s=1.2, complete_s=0.42)
    assert turn_wait(text, "vi", slow=slow, model=model, waits=waits) == pytest.approx(want)


def test_no_first_half_of_a_statement_sounds_complete() -> None:
    for text in COMPLETE:
        words = text.split()
        early = [" ".join(words[:n]) for n in range(1, len(words) // 2)]
        assert not [p for p in early if sounds_complete(p, "vi")]
        assert sounds_complete(text, "vi")


def test_english_keeps_the_rules_alone() -> None:
    """Too few held-out English examples met the bar at any threshold (speech.vad.turn_training.build)."""
    assert TURN_THRESHOLDS["en"] > 1.0 - 1e-9
    assert not sounds_complete("my grandmother receives the social pension but has no health card", "en")


def test_the_shipped_weights_are_what_the_training_writes() -> None:
    """Data, not hand-edited: the records' examples train exactly the weights in turn_weights.py."""
    from pathlib import Path

    from speech.vad.turn_training import build

    weights, thresholds, _ = build(Path(__file__).resolve().parents[2] / "knowledge" / "sample" / "records")
    assert thresholds == TURN_THRESHOLDS
    assert weights == TURN_WEIGHTS


K = EndpointKind
PAUSE_CFG = EndpointConfig(hangover_s=1.2, min_speech_s=0.25, pause_s=0.3, discard_s=0.5,
                           no_speech_timeout_s=6.0)


def run(script: list[tuple[float, float]], cfg: EndpointConfig = PAUSE_CFG
        ) -> list[tuple[EndpointKind, float]]:
    ep = Endpointer(cfg)
    out = []
    for seconds, prob in script:
        for _ in range(round(seconds / 0.1)):
            ev = ep.process(0.1, prob)
            if ev is not None:
                out.append((ev.kind, round(ev.t, 3)))
    return out


@pytest.mark.parametrize(("script", "want"), [
    pytest.param([(0.5, 0), (1.0, 1), (1.5, 0)],
                 [(K.ONSET, 0.5), (K.START, 0.5), (K.PAUSE, 1.5), (K.END, 1.5)],
                 id="pause after short_wait, end after the longest wait"),
    pytest.param([(0.5, 0), (1.0, 1), (0.4, 0), (1.0, 1), (1.5, 0)],
                 [(K.ONSET, 0.5), (K.START, 0.5), (K.PAUSE, 1.5), (K.PAUSE, 2.9), (K.END, 2.9)],
                 id="one pause report per pause"),
    pytest.param([(0.5, 0), (0.1, 1), (0.6, 0)], [(K.ONSET, 0.5), (K.DISCARD, 1.1)],
                 id="a cough is discarded after discard_s, not the longest wait"),
])
def test_pause_events(script: list[tuple[float, float]], want: list[tuple[EndpointKind, float]]) -> None:
    assert [(k, pytest.approx(t)) for k, t in run(script)] == want


def test_end_now_and_forget() -> None:
    ep = Endpointer(PAUSE_CFG)
    for p in [0] * 3 + [1] * 5 + [0] * 3:
        ep.process(0.1, p)
    assert ep.silence_s == pytest.approx(0.3) and ep.last_speech_end == pytest.approx(0.8)
    end = ep.end()
    assert (end.kind, end.t) == (K.END, pytest.approx(0.8)) and ep.done
    ep2 = Endpointer(PAUSE_CFG)
    for p in [1] * 5 + [0] * 3:
        ep2.process(0.1, p)
    ep2.forget()  # no words in it: noise
    assert not ep2.in_speech
    with pytest.raises(RuntimeError):
        ep2.end()
    kinds = [ev.kind for ev in (ep2.process(0.1, 0) for _ in range(60)) if ev]
    assert kinds == [K.NO_SPEECH]  # the button-press timeout still applies
