"""The screens as a resident meets them: events in, widget ids out; buttons call the worker."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path
from typing import Any

from kiosk_app.core.errors import ErrorCode
from kiosk_app.core.events import (
    AnswerReady,
    AudioLevel,
    BundleActivated,
    Failed,
    Idle,
    Listening,
    MicStatus,
    PartialTranscript,
    Speaking,
    SpeakingFinished,
    SpeechEnded,
    Thinking,
    Transcribed,
)
from kiosk_app.core.settings import Settings
from kiosk_app.ui.qr import qr_matrix
from knowledge.answer import TemplateAnswerer, refer_answer
from knowledge.bundle.schema import Status
from knowledge.types import Aspect
from tests.ui.harness import Kiosk, make_kiosk, sample_records

RECS = sample_records()
Q = "cho bác hỏi làm giấy khai sinh cho cháu cần những gì"


def khai_sinh(aspect: Aspect = Aspect.DOCUMENTS, alternatives: tuple[str, ...] = ()) -> object:
    return TemplateAnswerer().answer(Q, RECS["khai-sinh"], aspect, confidence=0.9, alternatives=alternatives)


def press(button: object) -> None:
    button.dispatch("on_release")  # type: ignore[attr-defined]


def test_home_asks_by_voice_or_example_and_never_invents_hours(kiosk: Kiosk) -> None:
    home = kiosk.screen("home")
    assert home.ids.ask_button.text.startswith("Bấm để hỏi")
    assert home.ids.ask_button.disabled  # until the pipeline reports the bundle is loaded
    kiosk.app.router.handle(BundleActivated("sample@1", 27))
    assert not home.ids.ask_button.disabled
    assert home.ids.office_hours.text == "Giờ làm việc: xin hỏi cán bộ tại quầy"
    press(home.ids.ask_button)
    press(home.ids.example_0)
    assert kiosk.worker.calls[-2:] == [("ask_voice", "vi"), ("ask_text", home.ids.example_0.text, "vi")]
    press(home.ids.browse_button)
    assert kiosk.current == "browse"


def test_home_shows_configured_office_hours(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path, ui={"office_hours": "Thứ Hai – Thứ Sáu, 7:30–17:00"})
    for k in make_kiosk(s):
        assert k.screen("home").ids.office_hours.text == "Giờ làm việc: Thứ Hai – Thứ Sáu, 7:30–17:00"


def test_example_questions_match_sample_procedures() -> None:
    from kiosk_app.ui.messages import EXAMPLES

    assert len(EXAMPLES["vi"]) == 3 and len(EXAMPLES["en"]) == 3
    assert all(len(q) <= 26 for q in EXAMPLES["vi"])  # one line on an 800×480 screen


def test_language_switch_relabels_everything(kiosk: Kiosk) -> None:
    home = kiosk.screen("home")
    press(home.ids.lang_button)
    assert home.ids.ask_button.text.startswith("Tap to ask")
    assert home.ids.lang_button.text == "Tiếng Việt"
    assert home.ids.example_0.text == "Birth registration papers?"
    kiosk.app.router.handle(BundleActivated("sample@1", 27))
    press(home.ids.ask_button)
    assert kiosk.worker.calls[-1] == ("ask_voice", "en")
    press(home.ids.lang_button)
    assert home.ids.ask_button.text.startswith("Bấm để hỏi")


def test_listening_shows_level_and_live_transcript_and_stops(kiosk: Kiosk) -> None:
    kiosk.app.router.handle(Listening())
    lst = kiosk.screen("listening")
    assert kiosk.current == "listening" and lst.ids.status.text == "Xin mời nói câu hỏi…"
    kiosk.app.router.handle(AudioLevel(0.8))
    kiosk.app.router.handle(PartialTranscript("cho bác hỏi làm giấy"))
    assert lst.ids.level_meter.level == 0.8
    assert lst.ids.partial_text.text == "“cho bác hỏi làm giấy”"
    kiosk.app.router.handle(SpeechEnded(2.0))
    kiosk.app.router.handle(Transcribed(Q))
    kiosk.app.router.handle(Thinking())
    assert lst.ids.status.text == "Đang tìm câu trả lời…" and lst.ids.level_meter.opacity == 0
    assert Q in lst.ids.partial_text.text
    press(lst.ids.stop_button)
    assert kiosk.worker.calls[-1] == ("cancel",) and kiosk.current == "home"


def test_listening_keeps_the_end_of_a_long_question_on_screen(kiosk: Kiosk) -> None:
    kiosk.app.router.handle(Listening())
    lst = kiosk.screen("listening")
    question = ("cho bác hỏi là con trai bác đi làm ăn xa ở nước ngoài đã lâu giờ cháu nội bác mới sinh "
                "mà bố mẹ cháu chưa về được thì bác đi đăng ký khai sinh cho cháu được không")
    words = question.split()
    kiosk.app.router.handle(PartialTranscript(question))
    shown = lst.ids.partial_text.text
    assert shown.startswith("“…") and shown.endswith("cho cháu được không”")
    assert len(shown) <= 95  # about three lines of large type at 800×480, no scrolling needed
    assert all(w in words for w in shown.strip("“…”").split())  # cut between words, never inside one


def test_answer_screen_shows_title_answer_and_full_card(kiosk: Kiosk) -> None:
    answer = khai_sinh()
    kiosk.app.router.handle(Transcribed(Q))
    kiosk.app.router.handle(AnswerReady(answer))  # type: ignore[arg-type]
    scr = kiosk.screen("answer")
    assert kiosk.current == "answer"
    assert scr.ids.title.text == "Đăng ký khai sinh"
    assert Q in scr.ids.question_text.text
    assert answer.sentences[0] in scr.ids.answer_text.text  # type: ignore[attr-defined]
    texts = scr.card_texts()
    for heading in ("Giấy tờ cần mang", "Thời hạn giải quyết", "Lệ phí", "Nơi nộp hồ sơ",
                    "Căn cứ pháp lý", "Nguồn"):
        assert heading in texts
    rec = RECS["khai-sinh"]
    assert any(t.endswith(rec.processing_time.text) for t in texts)
    assert f"Thông tin cập nhật ngày {rec.updated:%d/%m/%Y}" in texts
    assert any(rec.legal_basis[0] in t for t in texts)


def test_uncertain_facts_are_marked_on_screen(kiosk: Kiosk) -> None:
    rec = RECS["khai-sinh"]
    uncertain = [f for f in rec.facts() if f.status is Status.UNCERTAIN]
    assert uncertain  # the sample record has some
    kiosk.app.router.handle(AnswerReady(khai_sinh()))  # type: ignore[arg-type]
    scr = kiosk.screen("answer")
    scr.finish_card()
    hedged = [lbl for lbl in scr.card_lines if "(chưa chắc chắn — xin hỏi cán bộ)" in lbl.text]
    assert len(hedged) == len(uncertain)
    assert all(tuple(lbl.color) != (1, 1, 1, 1) for lbl in hedged)  # shown in the warning colour


def test_hedged_answer_shows_banner(kiosk: Kiosk) -> None:
    answer = khai_sinh(Aspect.FEE)
    assert answer.hedged  # type: ignore[attr-defined]
    kiosk.app.router.handle(AnswerReady(answer))  # type: ignore[arg-type]
    assert "chưa chắc chắn" in kiosk.screen("answer").ids.hedge_banner.text


def test_qr_code_of_the_online_service(kiosk: Kiosk) -> None:
    rec = RECS["khai-sinh"]
    assert rec.online_url
    kiosk.app.router.handle(AnswerReady(khai_sinh()))  # type: ignore[arg-type]
    img = kiosk.screen("answer").ids.qr_image
    n = len(qr_matrix(rec.online_url))
    assert img.texture is not None and tuple(img.texture.size) == (n, n)
    assert kiosk.screen("answer").ids.qr_hint.text == "Quét mã để làm trực tuyến"


def test_qr_matrix_is_a_valid_square_code() -> None:
    m = qr_matrix("https://dichvucong.gov.vn/")
    assert len(m) == len(m[0]) >= 21 + 4  # version 1 is 21 modules, plus the quiet zone
    assert not any(m[0]) and m[2][2] and m[2][8]  # quiet border; a finder pattern's dark ring


def test_no_qr_without_online_url(kiosk: Kiosk) -> None:
    rec = next(r for r in RECS.values() if not r.online_url)
    answer = TemplateAnswerer().answer(rec.title, rec, Aspect.GENERAL)
    kiosk.app.router.handle(AnswerReady(answer))
    scr = kiosk.screen("answer")
    assert scr.ids.qr_image.texture is None and scr.ids.qr_box.height == 0


def test_sentence_being_read_is_highlighted(kiosk: Kiosk) -> None:
    answer = khai_sinh(Aspect.FEE)
    kiosk.app.router.handle(AnswerReady(answer))  # type: ignore[arg-type]
    scr = kiosk.screen("answer")
    second = answer.sentences[1]  # type: ignore[attr-defined]
    kiosk.app.router.handle(Speaking(second))
    assert "[color=" in scr.ids.answer_text.text and scr.current == 1
    assert scr.ids.replay_button.text == "Dừng đọc"
    press(scr.ids.replay_button)
    assert kiosk.worker.calls[-1] == ("cancel",)
    kiosk.app.router.handle(SpeakingFinished(interrupted=True))
    assert "[color=" not in scr.ids.answer_text.text and scr.ids.replay_button.text == "Nghe lại"


def test_replay_and_slower(kiosk: Kiosk) -> None:
    kiosk.app.router.handle(AnswerReady(khai_sinh()))  # type: ignore[arg-type]
    scr = kiosk.screen("answer")
    press(scr.ids.replay_button)
    press(scr.ids.slower_button)
    assert kiosk.worker.calls[-2:] == [("replay", "khai-sinh", False), ("replay", "khai-sinh", True)]


def test_voice_failure_keeps_the_answer_on_screen(kiosk: Kiosk) -> None:
    kiosk.app.router.handle(AnswerReady(khai_sinh()))  # type: ignore[arg-type]
    kiosk.app.router.handle(Failed(ErrorCode.TTS_FAILED))
    kiosk.app.router.handle(Idle())
    scr = kiosk.screen("answer")
    assert kiosk.current == "answer"
    assert scr.ids.status.text.startswith("Máy không đọc thành tiếng được")
    assert scr.ids.title.text == "Đăng ký khai sinh"


def test_not_what_i_meant_offers_the_next_best_procedures(kiosk: Kiosk) -> None:
    alts = ("dang-ky-lai-khai-sinh", "trich-luc-ho-tich")
    kiosk.app.router.handle(Transcribed(Q))
    kiosk.app.router.handle(AnswerReady(khai_sinh(alternatives=alts)))  # type: ignore[arg-type]
    scr = kiosk.screen("answer")
    press(scr.ids.not_right_button)
    titles = [b.text for b in scr.alternative_buttons]
    assert titles[:2] == [RECS[a].title for a in alts] and titles[-1] == "Tra cứu chủ đề"
    assert ("cancel",) in kiosk.worker.calls  # stops reading the wrong answer
    assert kiosk.feedback.unanswered == [(Q, "not-what-i-meant")]
    press(scr.alternative_buttons[1])
    assert kiosk.worker.calls[-1] == ("explain", "trich-luc-ho-tich", "vi")


def test_answer_after_answer_keeps_one_card_and_releases_the_old_widgets(kiosk: Kiosk) -> None:
    """A kiosk answers hundreds of questions a day: each answer replaces the card (and the
    "Chưa đúng ý tôi" buttons); nothing may keep the old labels and their textures alive."""
    alts = ("dang-ky-lai-khai-sinh", "trich-luc-ho-tich")
    scr = kiosk.screen("answer")

    def one_question() -> list[object]:
        kiosk.app.router.handle(Transcribed(Q))
        kiosk.app.router.handle(AnswerReady(khai_sinh(alternatives=alts)))  # type: ignore[arg-type]
        scr.card_texts()
        shown = list(scr.card_lines)
        sizes.append(len(scr.ids.card.children))
        press(scr.ids.not_right_button)
        shown += scr.card_lines + scr.alternative_buttons
        kiosk.app.router.handle(AnswerReady(refer_answer("out-of-scope")))
        return shown

    sizes: list[int] = []
    first = [weakref.ref(w) for w in one_question()]
    for _ in range(20):
        one_question()
    assert sizes == [sizes[0]] * 21 and sizes[0] > 20  # the whole card each time, nothing left over
    assert scr.ids.card.children == []  # the refer answer has no card
    gc.collect()
    assert [r for r in first if r() is not None] == []


def test_refer_answer_sends_to_the_counter_without_a_card(kiosk: Kiosk) -> None:
    kiosk.app.router.handle(Transcribed("nuôi chó có phải đăng ký không"))
    kiosk.app.router.handle(AnswerReady(refer_answer("out-of-scope")))
    scr = kiosk.screen("answer")
    assert scr.ids.title.text == "Xin mời hỏi cán bộ tại quầy"
    assert scr.card_texts() == [] and scr.ids.qr_image.texture is None
    assert kiosk.feedback.unanswered == [("nuôi chó có phải đăng ký không", "out-of-scope")]


def test_errors_are_calm_sentences_and_maintenance_has_no_buttons(kiosk: Kiosk) -> None:
    kiosk.app.router.handle(Listening())
    kiosk.app.router.handle(Failed(ErrorCode.NO_SPEECH))
    err = kiosk.screen("error")
    assert kiosk.current == "error" and err.ids.message.text.startswith("Xin lỗi, máy chưa nghe thấy")
    assert not err.ids.retry_button.disabled
    press(err.ids.retry_button)
    assert kiosk.worker.calls[-1] == ("ask_voice", "vi")
    kiosk.app.router.handle(Failed(ErrorCode.MIC_MISSING))
    assert err.ids.retry_button.disabled and not err.ids.browse_button.disabled
    kiosk.app.router.handle(Failed(ErrorCode.STORE_MISSING))
    assert err.ids.message.text.startswith("Máy đang bảo trì") and err.ids.home_button.disabled
    kiosk.app.router.handle(BundleActivated("sample@2", 27))  # the bundle came back: serve again
    assert kiosk.current == "home"


def test_cancelled_run_goes_home_quietly(kiosk: Kiosk) -> None:
    kiosk.app.router.handle(Listening())
    kiosk.app.router.handle(Idle())
    assert kiosk.current == "home"


def test_english_speech_switches_the_session_to_english(kiosk: Kiosk) -> None:
    from kiosk_app.ui.theme import THEME

    kiosk.app.router.handle(Listening())
    kiosk.app.router.handle(Transcribed("how do i register a birth", language="en"))
    assert THEME.lang == "en"
    kiosk.clock.now += 31
    assert kiosk.app.kiosk.check_idle(kiosk.clock.now) and THEME.lang == "vi"


def test_idle_reset_goes_home_after_the_configured_time(kiosk: Kiosk) -> None:
    kiosk.app.router.handle(AnswerReady(khai_sinh()))  # type: ignore[arg-type]
    kiosk.clock.now += 29
    assert not kiosk.app.kiosk.check_idle(kiosk.clock.now) and kiosk.current == "answer"
    kiosk.app.router.handle(Speaking("…"))  # still reading aloud: that is activity
    kiosk.clock.now += 29
    assert not kiosk.app.kiosk.check_idle(kiosk.clock.now)
    kiosk.clock.now += 31
    assert kiosk.app.kiosk.check_idle(kiosk.clock.now)
    assert kiosk.current == "home" and kiosk.worker.calls[-1] == ("cancel",)
    kiosk.clock.now += 100
    assert not kiosk.app.kiosk.check_idle(kiosk.clock.now)  # already home: nothing to do


def test_maintenance_screen_is_not_reset(kiosk: Kiosk) -> None:
    kiosk.app.router.handle(Failed(ErrorCode.MODEL_MISSING))
    kiosk.clock.now += 1000
    assert not kiosk.app.kiosk.check_idle(kiosk.clock.now) and kiosk.current == "error"


def test_feedback_is_one_tap_and_anonymous(kiosk: Kiosk) -> None:
    kiosk.app.router.handle(Transcribed(Q))
    kiosk.app.router.handle(AnswerReady(khai_sinh()))  # type: ignore[arg-type]
    press(kiosk.screen("answer").ids.new_question_button)
    fb = kiosk.screen("feedback")
    assert kiosk.current == "feedback"
    press(fb.ids.rate_bad)
    press(fb.ids.rate_good)  # a second tap does not count twice
    assert kiosk.feedback.ratings == [("khai-sinh", "chua-hai-long")]
    assert kiosk.feedback.unanswered == [(Q, "chua-hai-long")]
    assert fb.ids.question.text.startswith("Cảm ơn")


def test_browse_topics_then_procedures_then_card(kiosk: Kiosk) -> None:
    kiosk.app.controller.go("browse")
    br = kiosk.screen("browse")
    topics = [b.text for b in br.items]
    assert topics[0].startswith("Hộ tịch (") and len(topics) == len({r.group for r in RECS.values()})
    press(br.items[0])
    assert br.group == "hộ tịch" and "Đăng ký khai sinh" in [b.text for b in br.items]
    press(next(b for b in br.items if b.text == "Đăng ký khai sinh"))
    assert kiosk.worker.calls[-1] == ("explain", "khai-sinh", "vi")
    press(br.ids.back_button)
    assert br.group == ""
    press(br.ids.back_button)
    assert kiosk.current == "home"


def test_typing_without_diacritics_asks_the_question(kiosk: Kiosk) -> None:
    kiosk.app.controller.go("typing")
    ty = kiosk.screen("typing")
    kb = ty.ids.keyboard
    for ch in "khai":
        kb.press(ch)
    kb.press("space")
    for ch in "sinhh":
        kb.press(ch)
    kb.press("delete")
    assert ty.ids.query_input.text == "khai sinh"
    press(kb.keys["send"])
    assert kiosk.worker.calls[-1] == ("ask_text", "khai sinh", "vi")
    kiosk.app.router.handle(Transcribed("khai sinh"))
    assert kiosk.current == "listening"  # "đang tìm câu trả lời…" until the answer arrives


def test_escape_and_window_close_are_swallowed_in_kiosk_mode(kiosk: Kiosk) -> None:
    from kivy.core.window import Window

    assert kiosk.app.kiosk.on_key(Window, 27) is True
    assert kiosk.app.kiosk.on_request_close() is True
    assert kiosk.app.kiosk.on_key(Window, 97) is False


def test_missing_microphone_is_explained_on_home_until_sound_arrives(kiosk: Kiosk) -> None:
    home = kiosk.screen("home")
    kiosk.app.router.handle(BundleActivated("sample@1", 27))
    kiosk.app.router.handle(MicStatus(False))
    assert "Micrô chưa sẵn sàng" in home.ids.ask_button.text
    assert not home.ids.ask_button.disabled  # pressing it still explains what to do
    kiosk.app.router.handle(Listening())
    kiosk.app.router.handle(AudioLevel(0.3))  # the microphone was plugged back in
    assert "Bấm nút rồi nói câu hỏi" in home.ids.ask_button.text


def test_admin_gesture_and_pin_open_the_staff_screen(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from kiosk_app.core.pin import hash_pin

    s = Settings(data_dir=tmp_path, staff={"pin_hash": hash_pin("246813")})
    for k in make_kiosk(s):
        if not k.app.state.sm.has_screen("staff"):  # the staff screen module is another issue's; its absence
            assert not k.app.kiosk.staff_available  # must simply disable the gesture
            return
        win = SimpleNamespace(width=800, height=480)
        for _ in range(4):
            k.app.kiosk.on_touch(win, SimpleNamespace(x=20, y=470))
            k.clock.now += 0.3
        assert k.app.kiosk.pin_pad is None
        k.app.kiosk.on_touch(win, SimpleNamespace(x=20, y=470))
        pad = k.app.kiosk.pin_pad
        assert pad is not None
        for d in "1111":
            pad.press(d)
        pad.press("ok")
        assert pad.message == "Đang kiểm tra…"  # the memory-hard hash runs off the UI thread
        _wait_pin_check(k.app)
        assert pad.message == "Mã PIN không đúng." and k.current == "home"
        for d in "246813":
            pad.press(d)
        pad.press("ok")
        _wait_pin_check(k.app)
        assert k.current == "staff" and ("cancel",) in k.worker.calls and k.app.kiosk.pin_pad is None
        k.app.router.handle(Failed(ErrorCode.NO_SPEECH))  # a late pipeline event does not pull staff away
        assert k.current == "staff"


def _wait_pin_check(app: Any, timeout: float = 10.0) -> None:
    import time

    from kivy.clock import Clock

    deadline = time.monotonic() + timeout
    while app.kiosk._pin_checking and time.monotonic() < deadline:
        time.sleep(0.02)
        Clock.tick()
    assert not app.kiosk._pin_checking, "the PIN check never came back to the UI thread"


def test_staff_screen_absent_without_pin(kiosk: Kiosk) -> None:
    assert not kiosk.app.state.sm.has_screen("staff") and not kiosk.app.kiosk.staff_available
