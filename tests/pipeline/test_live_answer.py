"""The kiosk pipeline with the LLM answerer: the card at once, the model's chosen facts spoken next.

Real ``Knowledge`` (lexical retrieval over the sample records), real ``LlamaAnswerer`` (issue 16:
the model chooses fact ids, the record speaks); the model's child process is scripted
(``tests/llm/llm_fakes.py``): ``FakeChild`` on a fake clock for event sequences, ``RealtimeChild``
on the real clock for time limits and "Dừng".
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

from kiosk_app.core.events import AnswerFinal, AnswerReady, Speaking, SpeakingFinished
from kiosk_app.core.settings import Settings
from knowledge.answer import EvidenceAnswerer
from knowledge.bundle.schema import build_bundle_bytes, load_records_dir
from knowledge.llm.answerer import LlamaAnswerer
from knowledge.llm.prompt import numbered_units
from knowledge.service import Knowledge
from knowledge.types import Aspect
from knowledge.understand.decide import detect_aspect
from knowledge.understand.retrieval import Mode
from speech.tts.base import AudioChunk
from tests.fakes import SAMPLE_RECORDS, FakePlayer, Rig
from tests.llm.llm_fakes import FakeChild, RealtimeChild, reply

YES_NO = "ông bà đi đăng ký khai sinh thay bố mẹ được không"
RECORDS = {r.id: r for r in load_records_dir(SAMPLE_RECORDS)}


def number_of(uid: str) -> int:
    rec = RECORDS[uid.split("/", 1)[0]]
    return [u.id for u in numbered_units(rec)].index(uid) + 1


@pytest.fixture(scope="module")
def bundle_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample bundle unpacked without its semantic index (lexical retrieval only: fast)."""
    dest = tmp_path_factory.mktemp("bundle") / "sample-1"
    data = build_bundle_bytes(RECORDS.values(), bundle_id="sample", version="1", sample=True)
    with zipfile.ZipFile(BytesIO(data)) as zf:
        zf.extractall(dest)
    return dest


def knowledge(bundle_dir: Path, settings: Settings, child: Any, **kw: Any) -> Knowledge:
    clock = getattr(child, "clock", time.monotonic)
    ans = LlamaAnswerer(child, evidence=EvidenceAnswerer(), clock=clock, **{
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


def evidence_of(question: str) -> list[str]:
    return list(EvidenceAnswerer().answer(question, RECORDS["khai-sinh"], detect_aspect(question)).sentences)


# ---- event sequences ----------------------------------------------------------------------------
def test_card_at_once_then_the_chosen_facts_are_spoken(bundle_dir: Path, settings: Settings) -> None:
    child = FakeChild(deque([reply(str(number_of("khai-sinh/who")))]))
    r = Rig(settings, knowledge=knowledge(bundle_dir, settings, child))
    final = r.pipeline.ask_text(YES_NO)
    ready = r.of(AnswerReady)[0]
    assert ready.live and ready.answer.procedure_id == "khai-sinh" and ready.answer.answerer == "evidence"
    assert list(ready.answer.sentences) == evidence_of(YES_NO)  # the card: facts on screen at once
    said = [e.sentence for e in r.of(Speaking)]
    done = r.of(AnswerFinal)[0].answer
    assert r.types() == ["transcribed", "thinking", "answer-ready", *["speaking"] * len(said), "answer-final",
                         "speaking-finished", "idle"]
    assert (done.answerer, done.reason, done.facts) == ("llm", "llm", ("khai-sinh/who",))
    assert said == list(done.sentences) and "ông hoặc bà" in " ".join(said)
    assert r.player.played == said and final == done
    assert r.pipeline.conversation is not None and r.pipeline.conversation.procedure_id == "khai-sinh"


def test_model_not_loaded_answers_with_the_evidence_at_once(bundle_dir: Path, settings: Settings) -> None:
    child = FakeChild(is_ready=False)
    r = Rig(settings, knowledge=knowledge(bundle_dir, settings, child))
    answer = r.pipeline.ask_text(YES_NO)
    assert not r.of(AnswerReady)[0].live and r.of(AnswerFinal) == []
    assert answer is not None and (answer.answerer, answer.reason) == ("evidence", "llm-not-ready")


# ---- time limits and "Dừng", on the real clock ------------------------------------------------------
def _ask_timed(bundle_dir: Path, settings: Settings, child: RealtimeChild, **kw: Any) -> tuple[Rig, float]:
    r = Rig(settings, knowledge=knowledge(bundle_dir, settings, child, **kw), player=TimedPlayer())
    r.pipeline.knowledge.decide("làm giấy khai sinh")  # warm: retrieval's first call builds caches
    t0 = time.monotonic()
    r.pipeline.ask_text(YES_NO)
    return r, t0


def test_evidence_starts_at_the_time_limit_when_the_model_is_silent(bundle_dir: Path,
                                                                    settings: Settings) -> None:
    child = RealtimeChild([])  # alive, says nothing (reading a long prompt, or hung)
    r, t0 = _ask_timed(bundle_dir, settings, child, first_sentence_timeout_s=0.3)
    first_audio = r.player.times[0] - t0
    assert 0.3 <= first_audio < 0.4, first_audio  # within 0.1 s of the limit
    assert [e.sentence for e in r.of(Speaking)] == evidence_of(YES_NO)
    done = r.of(AnswerFinal)[0].answer
    assert (done.answerer, done.reason) == ("evidence", "llm-timeout")
    assert [rid for rid, _ in child.cancelled] == [1]  # the model stopped at once


def test_a_quick_choice_is_spoken_at_once(bundle_dir: Path, settings: Settings) -> None:
    script = [(0.05, {"op": "token", "text": str(number_of("khai-sinh/who"))}),
              (0.02, {"op": "done", "stop": "eog", "timings": {}})]
    r, t0 = _ask_timed(bundle_dir, settings, RealtimeChild(script), first_sentence_timeout_s=0.5)
    assert r.player.times[0] - t0 < 0.4
    assert r.of(AnswerFinal)[0].answer.answerer == "llm"


def test_stop_while_the_model_thinks_stops_the_model_and_the_run(bundle_dir: Path,
                                                                 settings: Settings) -> None:
    child = RealtimeChild([])  # silent: no choice yet
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
    # other language: the conversation is not used (what the question alone gets is retrieval's: this
    # rig is lexical only, where the English calibration of the hybrid model refers almost nothing)
    other = r.pipeline.ask_text("thế còn lệ phí bao nhiêu?", "en")
    assert other.procedure_id != "ket-hon" and other.reason != "follow-up"


def test_new_conversation_during_an_answer_wins(bundle_dir: Path, settings: Settings) -> None:
    r = Rig(settings, knowledge=Knowledge.open(bundle_dir, settings, mode=Mode.LEXICAL))
    r.player.during(0, r.pipeline.new_conversation)  # "Hỏi câu khác" pressed while it speaks
    r.pipeline.ask_text("làm giấy khai sinh cho cháu cần những gì")
    assert r.pipeline.conversation is None


def test_follow_up_goes_to_the_model_with_the_procedure_just_answered(bundle_dir: Path,
                                                                      settings: Settings) -> None:
    from knowledge.llm.prompt import system_prompt

    child = FakeChild(deque([reply("1"), reply(str(number_of("ket-hon/who")))]))
    r = Rig(settings, knowledge=knowledge(bundle_dir, settings, child))
    assert r.pipeline.ask_text("đăng ký kết hôn").procedure_id == "ket-hon"
    r.pipeline.ask_text("ông bà đi thay được không?")  # alone, retrieval picks guardianship
    ket_hon = r.pipeline.knowledge.record("ket-hon")  # type: ignore[attr-defined]
    assert child.sent[-1]["system"] == system_prompt(ket_hon)
    assert r.of(AnswerReady)[-1].live and r.of(AnswerFinal)[-1].answer.procedure_id == "ket-hon"
