"""The screen in English (headless Kivy): English labels, the English answer and card with the
Vietnamese document names to show at the counter, and back to Vietnamese at the idle reset."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk_app.core.events import AnswerReady, Listening, Transcribed
from kiosk_app.core.settings import Settings
from kiosk_app.ui.card import card_sections
from kiosk_app.ui.messages import UI
from knowledge.answer import TemplateAnswerer
from knowledge.types import Aspect
from tests.ui.harness import Kiosk, make_kiosk, sample_records

RECS = sample_records()


@pytest.fixture
def kiosk(tmp_path: Path) -> Iterator[Kiosk]:
    yield from make_kiosk(Settings(data_dir=tmp_path / "data", ui={"idle_reset_s": 30}))


def test_english_card_lists_the_vietnamese_document_names() -> None:
    rec = RECS["khai-tu"]
    sections = {s.key: s for s in card_sections(rec, "en")}
    assert sections["documents"].heading == "Documents to bring"
    assert sections["documents"].lines[0].text == rec.documents[0].text_en
    assert sections["documents_vi"].lines[0].text.startswith(rec.documents[0].text.strip()[:20])
    assert "documents_vi" not in {s.key for s in card_sections(rec, "vi")}


def test_speaking_english_turns_the_screen_english_with_the_english_answer(kiosk: Kiosk) -> None:
    rec = RECS["khai-tu"]
    question = "what documents do I need to register a death"
    answer = TemplateAnswerer().answer(question, rec, Aspect.DOCUMENTS, confidence=0.9, language="en")
    kiosk.app.router.handle(Listening())
    kiosk.app.router.handle(Transcribed(question, 0.9, "en"))  # heard English in the Vietnamese session
    kiosk.app.router.handle(AnswerReady(answer))
    scr = kiosk.screen("answer")
    assert kiosk.current == "answer" and scr.ids.title.text == rec.title_en
    assert answer.sentences[0] in scr.ids.answer_text.text
    texts = scr.card_texts()
    assert UI["en"]["sec_documents"] in texts and UI["en"]["sec_documents_vi"] in texts
    assert any(rec.documents[0].text.strip()[:25] in t for t in texts)  # Vietnamese name on the card
    assert kiosk.screen("home").ids.ask_button.text.startswith(UI["en"]["ask"])
    kiosk.clock.now += 31
    assert kiosk.app.kiosk.check_idle(kiosk.clock.now)
    assert kiosk.screen("home").ids.ask_button.text.startswith(UI["vi"]["ask"])  # idle reset: Vietnamese


def test_next_question_in_the_english_session_is_asked_in_english(kiosk: Kiosk) -> None:
    kiosk.app.router.handle(Transcribed("how much is a birth certificate", 0.9, "en"))
    answer = TemplateAnswerer().answer("", RECS["khai-sinh"], Aspect.FEE, language="en")
    kiosk.app.router.handle(AnswerReady(answer))
    kiosk.app.controller.go("home")
    kiosk.screen("home").ids.ask_button.dispatch("on_release")
    assert kiosk.worker.calls[-1] == ("ask_voice", "en")
