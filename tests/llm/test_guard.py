"""The guard: every red-team reply is rejected (with the expected reason), every good reply passes,
and the template answers of every sample record pass (they are grounded by construction)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge.answer import TemplateAnswerer
from knowledge.bundle import Record, load_records_dir
from knowledge.guard import check_reply, numbers_mentioned
from knowledge.types import Aspect

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parent.parent / "knowledge" / "sample" / "records"
CASES = [json.loads(line) for line in (HERE / "redteam.jsonl").read_text(encoding="utf-8").splitlines()
         if line.strip()]


@pytest.fixture(scope="module")
def records() -> dict[str, Record]:
    return {r.id: r for r in load_records_dir(SAMPLE)}


def test_redteam_set_is_big_enough() -> None:
    assert sum(c["expect"] == "reject" for c in CASES) >= 30
    assert sum(c["expect"] == "accept" for c in CASES) >= 10


@pytest.mark.parametrize("case", [c for c in CASES if c["expect"] == "reject"], ids=lambda c: c["id"])
def test_guard_rejects_fabricated_reply(case: dict[str, str], records: dict[str, Record]) -> None:
    res = check_reply(case["reply"], records[case["record"]], case["question"], "vi",
                      others=list(records.values()))
    assert not res.ok, case["note"]
    if case["reason"]:
        assert res.reason == case["reason"], (case["note"], res)


@pytest.mark.parametrize("case", [c for c in CASES if c["expect"] == "accept"], ids=lambda c: c["id"])
def test_guard_accepts_grounded_reply(case: dict[str, str], records: dict[str, Record]) -> None:
    res = check_reply(case["reply"], records[case["record"]], case["question"], "vi",
                      others=list(records.values()))
    assert res.ok, res


def test_template_answers_pass_the_guard(records: dict[str, Record]) -> None:
    """No false alarms on grounded text: all 8 aspects of every sample record."""
    t = TemplateAnswerer()
    rejected = []
    for rec in records.values():
        for aspect in Aspect:
            spoken = t.answer("?", rec, aspect).spoken
            res = check_reply(spoken, rec, "", "vi", others=list(records.values()), max_sentences=10,
                              max_chars=10_000)
            if not res.ok:
                rejected.append((rec.id, aspect.value, res.reason, res.detail))
    assert rejected == []


def test_same_reply_is_judged_against_its_own_record(records: dict[str, Record]) -> None:
    reply = "Nộp trực tiếp thì lệ phí là 20.000 đồng một lần."
    assert check_reply(reply, records["dang-ky-thuong-tru"], "").ok
    assert check_reply(reply, records["khai-sinh"], "").reason == "fee"


@pytest.mark.parametrize(("text", "want"), [
    ("Lệ phí 5.000 đồng một việc", [("5000", "đồng")]),
    ("năm nghìn đồng", [("5000", "đồng")]),
    ("trong sáu mươi ngày", [("60", "ngày")]),
    ("hai mươi tư giờ", [("24", "giờ")]),
    ("mười lăm giờ", [("15", "giờ")]),
    ("một triệu rưỡi", [("1500000", "nghìn")]),
    ("1,5 triệu đồng", [("1500000", "đồng")]),
    ("không đồng", [("0", "đồng")]),
    ("ba năm", [("3", "năm")]),
    ("năm 2025", [("2025", "")]),
    ("một người thân đi thay", []),  # "một" is an article here
    ("có được không", []),
    ("hai bên cùng có mặt", []),
])
def test_numbers_mentioned(text: str, want: list[tuple[str, str]]) -> None:
    assert [(m.value, m.unit) for m in numbers_mentioned(text)] == want
