"""Vietnamese normalisation: what retrieval sees of a spoken or typed question."""

from __future__ import annotations

import unicodedata

import pytest

from knowledge.understand.lexical import query_syllables
from knowledge.understand.normalize import (
    features,
    fold_diacritics,
    normalize_query,
    normalize_vi,
    split_merged,
    strip_fillers,
    syllables,
)

NFD = lambda s: unicodedata.normalize("NFD", s)  # noqa: E731 - decomposed input, as some keyboards send


@pytest.mark.parametrize(("raw", "want"), [
    ("  Đăng ký KHAI SINH? ", "đăng ký khai sinh"),
    (NFD("hộ nghèo"), "hộ nghèo"),
    (NFD("Giấy chứng nhận độc thân!!!"), "giấy chứng nhận độc thân"),
    ("khai\u200bsinh", "khaisinh"),  # zero-width space glued the words: removed, not a space
    ("lệ\u00a0phí\tbao   nhiêu", "lệ phí bao nhiêu"),
    ("phí 5.000 đ/bản", "phí 5000 đ bản"),
    ("“Sổ đỏ” – sang tên…", "sổ đỏ sang tên"),
    ("", ""),
    ("?!...", ""),
])
def test_normalize_vi(raw: str, want: str) -> None:
    assert normalize_vi(raw) == want


@pytest.mark.parametrize(("raw", "want"), [
    ("Đăng ký khai sinh", "Dang ky khai sinh"),
    ("đổi căn cước", "doi can cuoc"),
    (NFD("trích lục hộ tịch"), "trich luc ho tich"),
    ("ưu đãi ở Hà Nội", "uu dai o Ha Noi"),
    ("already plain", "already plain"),
])
def test_fold_diacritics(raw: str, want: str) -> None:
    assert fold_diacritics(raw) == want


@pytest.mark.parametrize(("raw", "want"), [
    ("Ờ cho bác hỏi, khai sinh ạ?", "khai sinh"),
    ("Cháu ơi cho bác hỏi làm giấy khai sinh ở đâu nhé", "làm giấy khai sinh ở đâu"),
    ("cho tôi hỏi đăng ký tạm trú thế nào nhỉ", "đăng ký tạm trú nào"),
    ("ừ à thế làm sổ đỏ với", "làm sổ đỏ"),
    ("dạ vâng con hỏi chút ạ", "con hỏi chút"),
    # typed without diacritics: unambiguous fillers go, "o" (= "ở") and "the" (= "thẻ") stay
    ("chau oi cho bac hoi lam the can cuoc o dau a", "lam the can cuoc o dau"),
    ("cho toi hoi lam khai sinh nhe", "lam khai sinh"),
])
def test_strip_fillers(raw: str, want: str) -> None:
    assert strip_fillers(raw) == want


@pytest.mark.parametrize(("spoken", "typed"), [
    ("Ờ cho bác hỏi làm khai sinh ở đâu ạ", "lam khai sinh o dau"),
    (NFD("Đăng ký thường trú"), "dang ky thuong tru"),
    ("ĐỔI CĂN CƯỚC", "doi can cuoc"),
])
def test_spoken_and_plain_keyboard_questions_meet(spoken: str, typed: str) -> None:
    assert normalize_query(spoken) == normalize_query(typed)


def test_single_letters_are_joined_into_one_token() -> None:
    assert syllables("kich hoat v n e i d") == ["kich", "hoat", "vneid"]


@pytest.mark.parametrize(("token", "want"), [
    ("khaisinh", ["khai", "sinh"]),
    ("tamtru", ["tam", "tru"]),
    ("khai", None),  # known syllable: not split
    ("xyzw", None),  # nothing known
])
def test_split_merged(token: str, want: list[str] | None) -> None:
    vocab = {"khai", "sinh", "tam", "tru", "dang", "ky"}
    assert split_merged(token, vocab) == want


def test_merged_question_gets_the_same_syllables() -> None:
    vocab = frozenset({"lam", "khai", "sinh", "o", "dau"})
    assert query_syllables("lam khaisinh o dau", vocab) == query_syllables("làm khai sinh ở đâu", vocab)


def test_features_include_joined_bigrams_for_merged_words() -> None:
    feats = features(["khai", "sinh"])
    assert {"u:khai", "u:sinh", "b:khai_sinh", "j:khaisinh"} <= set(feats)
    assert "u:la" not in features(["la", "gi"], frozenset({"la", "gi"}))
