"""Pure decisions: aspect asked, answer, refuse or refer (tables, no index)."""

from __future__ import annotations

import pytest

from knowledge.types import Aspect, Hit, ReferReason, Verdict
from knowledge.understand.decide import Calibration, Thresholds, decide, detect_aspect, is_garbage


@pytest.mark.parametrize(("question", "aspect"), [
    ("làm giấy khai sinh mất bao nhiêu tiền", Aspect.FEE),
    ("lệ phí đăng ký kết hôn", Aspect.FEE),
    ("đổi căn cước có tốn tiền không", Aspect.FEE),
    ("cong chung giay to het bao nhieu", Aspect.FEE),  # no diacritics
    ("làm khai tử cần những gì", Aspect.DOCUMENTS),
    ("nhập khẩu cho cháu thì mang theo giấy tờ gì", Aspect.DOCUMENTS),
    ("hồ sơ gồm những gì", Aspect.DOCUMENTS),
    ("làm sổ đỏ mất bao lâu", Aspect.TIME),
    ("cap giay phep xay dung mat bao nhieu ngay", Aspect.TIME),  # "mất bao nhiêu ngày" is time
    ("khi nào lấy được giấy", Aspect.TIME),
    ("đăng ký tạm trú ở đâu", Aspect.WHERE),
    ("lam can cuoc o dau", Aspect.WHERE),
    ("ông bà đi làm khai sinh thay được không", Aspect.WHO),
    ("ai được nhận trợ cấp", Aspect.WHO),
    ("làm trên mạng được không", Aspect.ONLINE),
    ("có nộp online được không", Aspect.ONLINE),
    ("kích hoạt vneid", Aspect.ONLINE),  # weak hint: nothing else asked
    ("kích hoạt vneid ở đâu", Aspect.WHERE),  # the name does not hide the real question
    ("các bước làm hộ kinh doanh", Aspect.STEPS),
    ("làm khai sinh", Aspect.GENERAL),
    ("chữ ký số miễn phí là gì", Aspect.GENERAL),  # "miễn phí" in a name is not a fee question
    ("How much is the fee for a birth certificate?", Aspect.FEE),
    ("Where do I register temporary residence?", Aspect.WHERE),
    ("", Aspect.GENERAL),
])
def test_detect_aspect(question: str, aspect: Aspect) -> None:
    assert detect_aspect(question) is aspect


@pytest.mark.parametrize(("text", "garbage"), [
    ("", True), ("   ", True), ("?!?!", True), ("12345", True), ("ㅋㅋㅋㅋ ㅎㅎ", True),
    ("ذهب الطالب", True), ("a" * 60, True),
    ("làm khai sinh", False), ("lam khai sinh", False), ("thẻ căn cước 2024", False),
])
def test_is_garbage(text: str, garbage: bool) -> None:
    assert is_garbage(text) is garbage


CAL = Calibration(slope=10.0, center=0.5, margin_gain=5.0)


def hits(*scores: float, lexical: float = 0.8) -> list[Hit]:
    return [Hit(f"p{i}", s, lexical=lexical) for i, s in enumerate(scores)]


@pytest.mark.parametrize(("scores", "oos", "thresholds", "verdict", "reason"), [
    ((0.9, 0.3), None, Thresholds(calibration=CAL), Verdict.ANSWER, ""),
    ((0.3, 0.25), None, Thresholds(calibration=CAL), Verdict.REFER, "below-threshold"),
    # the ranking found an out-of-scope kind above every procedure: refused, however sure the top is
    ((0.9, 0.3), "other_authority", Thresholds(calibration=CAL), Verdict.REFER,
     "out-of-scope:other_authority"),
    ((0.9, 0.3), "harmful", Thresholds(calibration=CAL), Verdict.REFER, "out-of-scope:harmful"),
    ((0.70, 0.69), None, Thresholds(calibration=CAL, margin=0.05), Verdict.REFER, "ambiguous"),
    ((0.70, 0.69), None, Thresholds(calibration=CAL, margin=0.0), Verdict.ANSWER, ""),
    ((0.9,), None, Thresholds(calibration=CAL), Verdict.ANSWER, ""),
    ((), None, Thresholds(calibration=CAL), Verdict.REFER, "no-match"),
    ((), "chitchat_advice", Thresholds(calibration=CAL), Verdict.REFER, "out-of-scope:chitchat_advice"),
])
def test_decide(scores: tuple[float, ...], oos: str | None, thresholds: Thresholds, verdict: Verdict,
                reason: str) -> None:
    d = decide(hits(*scores), thresholds, out_of_scope=oos)
    assert d.verdict is verdict
    assert d.reason == reason
    assert 0.0 <= d.confidence <= 1.0
    assert (d.procedure_id == "p0") is (verdict is Verdict.ANSWER)


def test_confidence_grows_with_score_and_margin() -> None:
    assert CAL.confidence(0.8, 0.2) > CAL.confidence(0.6, 0.2) > CAL.confidence(0.4, 0.2)
    assert CAL.confidence(0.6, 0.1) > CAL.confidence(0.6, 0.55)
    assert 0.0 < CAL.confidence(-10, 10) < 1e-6 and CAL.confidence(10, -10) == pytest.approx(1.0)


def test_referral_keeps_the_nearest_procedures_for_the_screen() -> None:
    d = decide(hits(0.3, 0.25, 0.2), Thresholds(calibration=CAL))
    assert d.verdict is Verdict.REFER and d.alternatives[:2] == ("p0", "p1")


def test_harmful_refusal_offers_no_procedure() -> None:
    """Someone who asked how to cheat is not shown any procedure, not even under "Chưa đúng ý tôi"."""
    assert decide(hits(0.9, 0.5), Thresholds(calibration=CAL), out_of_scope="harmful").alternatives == ()
    assert decide(hits(0.9, 0.5), Thresholds(calibration=CAL),
                  out_of_scope="other_authority").alternatives == ("p0", "p1")


@pytest.mark.parametrize(("reason", "expected"), [
    ("out-of-scope:harmful", ReferReason.OUT_OF_SCOPE),
    ("out-of-scope", ReferReason.OUT_OF_SCOPE),
    ("below-threshold", ReferReason.BELOW_THRESHOLD),
    ("ambiguous", ReferReason.AMBIGUOUS),
    ("no-match", ReferReason.NO_MATCH),
    ("empty", ReferReason.EMPTY),
    ("too-long", ReferReason.TOO_LONG),
    ("garbage", ReferReason.GARBAGE),
    ("follow-up", None),  # a reason, but not a referral
    ("guard:number", None),
    ("out-of-scopes", None),  # a prefix is not enough
    ("", None),
])
def test_refer_reason_is_read_from_the_head_of_the_reason(reason: str, expected: ReferReason | None) -> None:
    assert ReferReason.of(reason) is expected


def test_decide_refers_with_a_refer_reason_whose_text_the_cli_prints_unchanged() -> None:
    cal = Calibration()
    hits = [Hit("khai-sinh", 0.5), Hit("khai-tu", 0.49)]
    d = decide(hits, Thresholds(min_confidence=0.0, margin=0.1, calibration=cal), out_of_scope="harmful")
    assert ReferReason.of(d.reason) is ReferReason.OUT_OF_SCOPE
    assert d.reason == "out-of-scope:harmful" and d.alternatives == ()
    assert decide([], Thresholds(calibration=cal)).reason == "no-match"
    assert decide(hits, Thresholds(min_confidence=0.0, margin=0.1, calibration=cal)).reason == "ambiguous"
