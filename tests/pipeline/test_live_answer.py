"""The kiosk pipeline with the LLM answerer: sentences are spoken while the model writes the rest.

Real ``Knowledge`` (lexical retrieval over the sample records), real ``LlamaAnswerer`` and guard;
the model's child process is scripted (``tests/llm/llm_fakes.py``): ``FakeChild`` on a fake clock
for event sequences, ``RealtimeChild`` on the real clock for time limits and "Dừng".
"""

from __future__ import annotations

import threading
import time
import zipfile
from collections import deque
from collections.abc import Iterable, Iterator
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest

from kiosk_app.events import AnswerFinal, AnswerReady, Speaking, SpeakingFinished
from kiosk_app.settings import Settings
from knowledge.answer import TemplateAnswerer
from knowledge.bundle import build_bundle_bytes, load_records_dir
from knowledge.decide import detect_aspect
from knowledge.llm_answerer import LlamaAnswerer
from knowledge.retrieval import Mode
from knowledge.service import Knowledge
from knowledge.types import Aspect
from speech.tts.base import AudioChunk
from tests.fakes import SAMPLE_RECORDS, FakePlayer, Rig
from tests.llm.llm_fakes import FakeChild, RealtimeChild, tokens

YES_NO = "ông bà đi đăng ký khai sinh thay bố mẹ được không"
GOOD = ("Được. Nếu cha mẹ không đi được thì ông hoặc bà có thể đi đăng ký khai sinh thay. "
        "Người đi mang căn cước của người đi đăng ký.")
LIVE = ["transcribed", "thinking", "answer-ready", "speaking", "speaking", "speaking", "answer-final",
        "speaking-finished", "idle"]


@pytest.fixture(scope="module")
def bundle_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample bundle unpacked without its semantic index (lexical retrieval only: fast)."""
    dest = tmp_path_factory.mktemp("bundle") / "sample-1"
    data = build_bundle_bytes(load_records_dir(SAMPLE_RECORDS), bundle_id="sample", version="1", sample=True)
    with zipfile.ZipFile(BytesIO(data)) as zf:
        zf.extractall(dest)
    return dest


def knowledge(bundle_dir: Path, settings: Settings, child: Any, **kw: Any) -> Knowledge:
    clock = getattr(child, "clock", time.monotonic)
    ans = LlamaAnswerer(child, template=TemplateAnswerer(), clock=clock, **{
        "first_sentence_timeout_s": 2.5, "total_timeout_s": 8.0, **kw})
    return Knowledge.open(bundle_dir, settings, mode=Mode.LEXICAL, answerer=ans)


class TimedPlayer(FakePlayer):
    """FakePlayer that notes when each chunk starts playing (monotonic seconds)."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    def play(self, chunks: Iterable[AudioChunk], *, cancel: threading.Event | None = None,
             on_sentence: Any = None) -> bool:
        def timed() -> Iterator[AudioChunk]:
            for chunk in chunks:
                self.times.append(time.monotonic())
                yield chunk
        return super().play(timed(), cancel=cancel, on_sentence=on_sentence)


class GatedChild(FakeChild):
    """Holds back everything after the first sentence until ``gate`` is set (by the player)."""

    def __init__(self, script: list[tuple[float, dict[str, Any]]], after: int) -> None:
        super().__init__(deque([script]))
        self.gate = threading.Event()
        self.after = after  # messages delivered freely

    def next_message(self, rid: int, timeout: float) -> dict[str, Any] | None:
        if self.delivered >= self.after and not self.gate.wait(5.0):
            raise AssertionError("the rest of the reply was needed before the first sentence played")
        return super().next_message(rid, timeout)


def template_of(question: str) -> list[str]:
    rec = {r.id: r for r in load_records_dir(SAMPLE_RECORDS)}["khai-sinh"]
    return list(TemplateAnswerer().answer(question, rec, detect_aspect(question)).sentences)


# ---- event sequences ----------------------------------------------------------------------------
def test_first_sentence_plays_before_the_model_writes_the_rest(bundle_dir: Path, settings: Settings) -> None:
    first = 2  # "Được." is complete (and may be spoken) once the second piece arrives
    child = GatedChild(tokens(GOOD), after=first)
    r = Rig(settings, knowledge=knowledge(bundle_dir, settings, child))
    r.player.during(0, child.gate.set)
    final = r.pipeline.ask_text(YES_NO)
    assert r.types() == LIVE
    ready = r.of(AnswerReady)[0]
    assert ready.live and ready.answer.procedure_id == "khai-sinh" and ready.answer.answerer == "template"
    assert list(ready.answer.sentences) == template_of(YES_NO)  # the card: facts on screen at once
    said = [e.sentence for e in r.of(Speaking)]
    assert said == ["Được.", "Nếu cha mẹ không đi được thì ông hoặc bà có thể đi đăng ký khai sinh thay.",
                    "Người đi mang căn cước của người đi đăng ký."]
    assert r.player.played == said
    done = r.of(AnswerFinal)[0].answer
    assert (done.answerer, done.reason, list(done.sentences)) == ("llm", "llm", said)
    assert final == done and r.of(SpeakingFinished)[0].interrupted is False
    assert r.pipeline.conversation is not None and r.pipeline.conversation.procedure_id == "khai-sinh"


def test_rejected_sentence_is_followed_by_the_template(bundle_dir: Path, settings: Settings) -> None:
    reply = "Được. Ông bà đi thay cần mang sổ hộ khẩu. Cha mẹ không cần đi."
    r = Rig(settings, knowledge=knowledge(bundle_dir, settings, FakeChild(deque([tokens(reply)]))))
    r.pipeline.ask_text(YES_NO)
    said = [e.sentence for e in r.of(Speaking)]
    assert said == ["Được.", *template_of(YES_NO)] and "sổ hộ khẩu" not in " ".join(said)
    done = r.of(AnswerFinal)[0].answer
    assert (done.answerer, done.reason) == ("llm+template", "llm-guard:document")
    assert list(done.sentences) == said


def test_direct_question_keeps_the_template_sequence(bundle_dir: Path, settings: Settings) -> None:
    child = FakeChild()
    r = Rig(settings, knowledge=knowledge(bundle_dir, settings, child))
    answer = r.pipeline.ask_text("đăng ký khai sinh mất bao nhiêu tiền")
    n = len(answer.sentences) if answer else 0
    assert r.types() == ["transcribed", "thinking", "answer-ready", *["speaking"] * n, "speaking-finished",
                         "idle"]
    assert child.sent == [] and not r.of(AnswerReady)[0].live
    assert answer is not None and answer.reason == "template-direct-question"


def test_model_not_loaded_answers_with_the_template_at_once(bundle_dir: Path, settings: Settings) -> None:
    child = FakeChild(is_ready=False)
    r = Rig(settings, knowledge=knowledge(bundle_dir, settings, child))
    answer = r.pipeline.ask_text(YES_NO)
    assert not r.of(AnswerReady)[0].live and r.of(AnswerFinal) == []
    assert answer is not None and (answer.answerer, answer.reason) == ("template", "llm-not-ready")


# ---- time limits and "Dừng", on the real clock ------------------------------------------------------
def _ask_timed(bundle_dir: Path, settings: Settings, child: RealtimeChild, **kw: Any) -> tuple[Rig, float]:
    r = Rig(settings, knowledge=knowledge(bundle_dir, settings, child, **kw), player=TimedPlayer())
    r.pipeline.knowledge.ask("làm giấy khai sinh")  # warm: retrieval's first call builds caches
    t0 = time.monotonic()
    r.pipeline.ask_text(YES_NO)
    return r, t0


@pytest.mark.parametrize("script", [
    [],  # the model is silent (reading a long prompt)
    [(0.02, {"op": "token", "text": "Được ông bà"}), *[(0.02, {"op": "token", "text": " và"})] * 100],
], ids=["silent", "no-sentence-end"])
def test_template_starts_at_the_first_sentence_limit(bundle_dir: Path, settings: Settings,
                                                     script: list[tuple[float, dict[str, Any]]]) -> None:
    child = RealtimeChild(script)
    r, t0 = _ask_timed(bundle_dir, settings, child, first_sentence_timeout_s=0.3)
    first_audio = r.player.times[0] - t0
    assert 0.3 <= first_audio < 0.4, first_audio  # within 0.1 s of the limit
    assert [e.sentence for e in r.of(Speaking)] == template_of(YES_NO)
    done = r.of(AnswerFinal)[0].answer
    assert (done.answerer, done.reason) == ("template", "llm-timeout")
    assert [rid for rid, _ in child.cancelled] == [1]  # the model stopped at once


def test_first_sentence_is_not_held_back_by_a_later_rejection(bundle_dir: Path, settings: Settings) -> None:
    # Before streaming, the kiosk waited for the whole reply: a later sentence rejected after the
    # first-sentence limit made the template start late (3.66 s for a 2.5 s limit in bench_pipeline).
    script = [(0.05, {"op": "token", "text": "Được."}), (0.05, {"op": "token", "text": " Ông bà cần"}),
              (0.5, {"op": "token", "text": " mang sổ hộ khẩu."}), (0.05, {"op": "token", "text": " Xong"}),
              (0.0, {"op": "done", "stop": "eog", "timings": {}})]
    r, t0 = _ask_timed(bundle_dir, settings, RealtimeChild(script), first_sentence_timeout_s=0.3)
    assert r.player.times[0] - t0 < 0.25  # "Được." plays at once
    assert [e.sentence for e in r.of(Speaking)] == ["Được.", *template_of(YES_NO)]
    assert r.of(AnswerFinal)[0].answer.reason == "llm-guard:document"


def test_stop_while_the_model_thinks_stops_the_model_and_the_run(bundle_dir: Path,
                                                                 settings: Settings) -> None:
    child = RealtimeChild([])  # silent: no sentence yet
    r = Rig(settings, knowledge=knowledge(bundle_dir, settings, child, first_sentence_timeout_s=5.0))
    pressed: list[float] = []

    def press_stop() -> None:
        pressed.append(time.monotonic())
        r.pipeline.cancel()

    timer = threading.Timer(0.2, press_stop)
    timer.start()
    t0 = time.monotonic()
    shown = r.pipeline.ask_text(YES_NO)
    ended = time.monotonic()
    assert shown == r.of(AnswerReady)[0].answer  # the card stays on screen
    timer.join()
    assert ended - pressed[0] < 0.3  # back to idle at once, not after the 5 s limit
    assert [rid for rid, _ in child.cancelled] == [1] and child.cancelled[0][1] - pressed[0] < 0.3
    assert r.types()[-2:] == ["speaking-finished", "idle"] and r.of(SpeakingFinished)[0].interrupted
    assert r.of(Speaking) == [] and r.of(AnswerFinal) == [] and ended - t0 < 1.0


# ---- follow-up questions through the pipeline ---------------------------------------------------------
def test_follow_up_stays_on_the_procedure_until_a_new_conversation(bundle_dir: Path,
                                                                    settings: Settings) -> None:
    kn = Knowledge.open(bundle_dir, settings, mode=Mode.LEXICAL)
    r = Rig(settings, knowledge=kn)
    assert r.pipeline.ask_text("làm giấy khai sinh cho cháu cần những gì").procedure_id == "khai-sinh"
    fee = r.pipeline.ask_text("thế còn lệ phí bao nhiêu?")
    assert (fee.procedure_id, fee.aspect, fee.reason) == ("khai-sinh", Aspect.FEE, "follow-up")
    assert r.pipeline.ask_text("còn khai tử thì sao").procedure_id == "khai-tu"  # names another one
    assert r.pipeline.ask_text("mất bao lâu").procedure_id == "khai-tu"
    r.pipeline.new_conversation()  # "Hỏi câu khác"
    assert r.pipeline.ask_text("thế còn lệ phí bao nhiêu?").refer_to_staff
    r.pipeline.explain("ket-hon")  # picked on screen
    assert r.pipeline.ask_text("thế còn lệ phí bao nhiêu?").procedure_id == "ket-hon"
    assert r.pipeline.ask_text("thế còn lệ phí bao nhiêu?", "en").refer_to_staff  # other language


def test_new_conversation_during_an_answer_wins(bundle_dir: Path, settings: Settings) -> None:
    r = Rig(settings, knowledge=Knowledge.open(bundle_dir, settings, mode=Mode.LEXICAL))
    r.player.during(0, r.pipeline.new_conversation)  # "Hỏi câu khác" pressed while it speaks
    r.pipeline.ask_text("làm giấy khai sinh cho cháu cần những gì")
    assert r.pipeline.conversation is None


def test_follow_up_goes_to_the_model_with_the_procedure_just_answered(bundle_dir: Path,
                                                                      settings: Settings) -> None:
    from knowledge.llm_answerer import system_prompt

    child = FakeChild(deque([tokens("Được. Ông hoặc bà có thể đi thay.")]))
    r = Rig(settings, knowledge=knowledge(bundle_dir, settings, child))
    assert r.pipeline.ask_text("đăng ký kết hôn").procedure_id == "ket-hon"  # direct: the template
    assert child.sent == []
    r.pipeline.ask_text("ông bà đi thay được không?")  # alone, retrieval picks guardianship
    ket_hon = r.pipeline.knowledge.record("ket-hon")  # type: ignore[attr-defined]
    assert child.sent[0]["system"] == system_prompt(ket_hon)
    assert r.of(AnswerReady)[-1].live and r.of(AnswerFinal)[0].answer.procedure_id == "ket-hon"
