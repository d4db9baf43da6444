"""The answer screen with the local LLM: the card at once, the model's words as they are spoken, and
a new conversation on "Hỏi câu khác", the language button and the idle reset."""

from __future__ import annotations

from dataclasses import replace

from kiosk_app.core.events import AnswerFinal, AnswerReady, Speaking, SpeakingFinished, Transcribed
from knowledge.answer import TemplateAnswerer
from knowledge.types import Aspect
from tests.ui.harness import Kiosk, sample_records

Q = "ông bà đi đăng ký khai sinh thay được không"
CARD = TemplateAnswerer().answer(Q, sample_records()["khai-sinh"], Aspect.WHO, confidence=0.9)
LLM = ("Được.", "Nếu cha mẹ không đi được thì ông hoặc bà có thể đi đăng ký khai sinh thay.")


def press(button: object) -> None:
    button.dispatch("on_release")  # type: ignore[attr-defined]


def test_model_sentences_replace_the_short_answer_as_they_are_spoken(kiosk: Kiosk) -> None:
    kiosk.app.router.handle(Transcribed(Q))
    kiosk.app.router.handle(AnswerReady(CARD, live=True))
    scr = kiosk.screen("answer")
    assert kiosk.current == "answer" and scr.sentences == list(CARD.sentences)  # facts at once
    assert scr.card_texts()  # documents, fee, time… on the card
    kiosk.app.router.handle(Speaking(LLM[0]))
    assert scr.sentences == ["Được."] and scr.current == 0
    shown = scr.ids.answer_text.text
    assert shown.startswith("[color=") and CARD.sentences[0] not in shown
    kiosk.app.router.handle(Speaking(LLM[1]))
    assert scr.sentences == list(LLM) and scr.current == 1
    final = replace(CARD, spoken=" ".join(LLM), sentences=LLM, answerer="llm", reason="llm")
    kiosk.app.router.handle(AnswerFinal(final))
    kiosk.app.router.handle(SpeakingFinished())
    assert scr.sentences == list(LLM) and kiosk.app.state.last_answer == final
    press(scr.ids.replay_button)  # "Nghe lại" repeats what was said
    assert kiosk.worker.calls[-1] == ("replay", "khai-sinh", False)


def test_template_fallback_keeps_the_short_answer_and_follows_the_model(kiosk: Kiosk) -> None:
    kiosk.app.router.handle(AnswerReady(CARD, live=True))
    scr = kiosk.screen("answer")
    kiosk.app.router.handle(Speaking(CARD.sentences[0]))  # the model was too slow: the template speaks
    assert scr.sentences == list(CARD.sentences) and scr.current == 0
    kiosk.app.router.handle(AnswerReady(CARD, live=True))
    kiosk.app.router.handle(Speaking("Được."))  # the model said one sentence, then the template followed
    kiosk.app.router.handle(Speaking(CARD.sentences[0]))
    assert scr.sentences == ["Được.", CARD.sentences[0]] and scr.current == 1


def test_template_answer_is_shown_as_before(kiosk: Kiosk) -> None:
    kiosk.app.router.handle(AnswerReady(CARD))
    scr = kiosk.screen("answer")
    kiosk.app.router.handle(Speaking("something else"))  # not a live answer: the text never changes
    assert scr.sentences == list(CARD.sentences)


def test_new_question_language_and_idle_reset_start_a_new_conversation(kiosk: Kiosk) -> None:
    kiosk.app.router.handle(AnswerReady(CARD))
    press(kiosk.screen("answer").ids.new_question_button)
    assert kiosk.worker.names()[-2:] == ["new_conversation", "cancel"]
    kiosk.worker.calls.clear()
    kiosk.app.controller.set_language("en")  # the language button
    assert kiosk.worker.names() == ["new_conversation"]
    kiosk.worker.calls.clear()
    kiosk.app.router.handle(Transcribed("how much is it", language="en"))  # detected English: same talk
    kiosk.app.router.handle(Transcribed("bao nhiêu tiền", language="vi"))
    assert kiosk.worker.names() == []
    kiosk.app.router.handle(AnswerReady(CARD))
    kiosk.clock.now += 31
    assert kiosk.app.kiosk.check_idle(kiosk.clock.now)
    assert kiosk.worker.names()[-2:] == ["new_conversation", "cancel"]
