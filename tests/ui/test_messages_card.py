"""What the screen says, without Kivy: error sentences, status lines, the procedure card's hedges."""

from __future__ import annotations

from datetime import date

import pytest

from kiosk_app.core.errors import ErrorCode
from kiosk_app.core.events import EventType
from kiosk_app.core.pin import hash_pin
from kiosk_app.ui.admin import AdminGesture, PinGate
from kiosk_app.ui.card import card_sections
from kiosk_app.ui.messages import ERRORS, STATUS, UI, error_message, status_line
from knowledge.bundle.schema import Record, Status


@pytest.mark.parametrize("language", ["vi", "en"])
def test_every_error_code_has_a_calm_sentence(language: str) -> None:
    for code in ErrorCode:
        text = error_message(code, language)
        assert text == ERRORS[language][code]
        assert len(text) > 20 and str(code) not in text and text.endswith(".")


def test_vietnamese_error_sentences_say_what_to_do() -> None:
    for code in ErrorCode:
        text = ERRORS["vi"][code].lower()
        assert any(w in text for w in ("xin mời", "xin ", "đọc", "báo", "vẫn dùng", "không có")), code


def test_every_event_type_has_a_status_line_in_both_languages() -> None:
    for language in ("vi", "en"):
        assert set(STATUS[language]) == set(EventType)
    assert status_line(EventType.LISTENING, "vi") == "Xin mời nói câu hỏi…"
    assert status_line(EventType.THINKING, "en").startswith("Looking")


def test_english_screen_texts_cover_every_vietnamese_key() -> None:
    assert set(UI["en"]) == set(UI["vi"])
    assert all(v.strip() for v in UI["en"].values())


def _record(**over: object) -> Record:
    data: dict[str, object] = {
        "id": "thu-tuc-mau", "title": "Thủ tục mẫu", "group": "hộ tịch", "aliases": ["thủ tục mẫu"],
        "summary": {"text": "Tóm tắt có nguồn.", "sources": ["S1"]},
        "where": {"text": "UBND phường.", "sources": ["S1"]},
        "documents": [
            {"text": "Tờ khai theo mẫu.", "sources": ["S1"]},
            {"text": "Giấy tờ có thể được miễn.", "status": "uncertain", "note": "nguồn thứ cấp",
             "sources": ["S1"]},
            {"text": "Chưa tìm được nguồn cho giấy tờ khác.", "status": "unsourced"},
        ],
        "processing_time": {"text": "03 ngày làm việc.", "sources": ["S1"]},
        "fee": {"text": "Chưa tìm được nguồn về lệ phí.", "status": "unsourced"},
        "legal_basis": ["Luật Hộ tịch 2014"],
        "sources": [{"key": "S1", "title": "Cổng Dịch vụ công quốc gia"}],
        "updated": date(2026, 11, 23),
    }
    data.update(over)
    return Record.model_validate(data)


def test_card_hedges_uncertain_facts_and_never_shows_unsourced_guesses() -> None:
    sections = {s.key: s for s in card_sections(_record())}
    docs = [line.text for line in sections["documents"].lines]
    assert docs[0] == "Tờ khai theo mẫu."
    assert docs[1] == "Giấy tờ có thể được miễn. (chưa chắc chắn — xin hỏi cán bộ)"
    assert docs[2] == "Chưa có thông tin chính thức"
    assert sections["documents"].lines[1].status is Status.UNCERTAIN
    assert [line.text for line in sections["fee"].lines] == ["Chưa có thông tin chính thức"]
    everything = " ".join(line.text for s in sections.values() for line in s.lines)
    assert "Chưa tìm được nguồn" not in everything
    assert sections["updated"].lines[0].text == "Thông tin cập nhật ngày 23/11/2026"
    assert [line.text for line in sections["sources"].lines] == ["Cổng Dịch vụ công quốc gia"]
    assert sections["legal"].heading == "Căn cứ pháp lý"


def test_card_in_english_uses_english_text_where_the_record_has_it() -> None:
    rec = _record(summary={"text": "Tóm tắt có nguồn.", "text_en": "A sourced summary.", "sources": ["S1"]})
    sections = {s.key: s for s in card_sections(rec, "en")}
    assert sections["summary"].lines[0].text == "A sourced summary."
    assert sections["time"].lines[0].text == "03 ngày làm việc."  # no English: the Vietnamese fact
    assert sections["documents"].lines[1].text.endswith("(uncertain — please ask the staff)")


def test_admin_gesture_needs_five_quick_taps_in_the_corner() -> None:
    g = AdminGesture()
    w, h = 800, 480
    assert not any(g.tap(10, 470, w, h, t) for t in (0.0, 0.5, 1.0, 1.5))
    assert g.tap(10, 470, w, h, 2.0)
    # a tap elsewhere or too slow starts over
    for t in (10.0, 10.5, 11.0, 11.5):
        g.tap(10, 470, w, h, t)
    assert not g.tap(400, 240, w, h, 12.0)
    assert not g.tap(10, 470, w, h, 12.5)
    slow = AdminGesture()
    assert not any(slow.tap(5, 475, w, h, t * 2.0) for t in range(6))


def test_pin_gate_checks_scrypt_hash_and_locks_after_three_wrong_pins() -> None:
    gate = PinGate(hash_pin("246813"))
    assert gate.enabled and gate.check("246813", 0.0)
    assert not gate.check("1111", 1.0) and not gate.check("1112", 2.0) and not gate.check("1113", 3.0)
    assert gate.locked(4.0) and not gate.check("246813", 4.0)  # even the right PIN waits
    assert gate.check("246813", 64.0)
    assert not PinGate("").enabled and not PinGate("").check("", 0.0)
