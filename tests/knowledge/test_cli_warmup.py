"""`kiosk ask` answers as the warmed-up kiosk does, however slow the fact-embedding warm-up is.

The E5 fact scorer embeds the bundle's fact units in a background thread; until a record is
embedded its facts are ranked by wording alone. The fake here is the E5 model behind the scorer
(the engine boundary): the real model, one second slower per batch, so the warm-up needs about a
minute to reach the last records. The reference is the kiosk after its warm-up: the same real
scorer with the asked records embedded before the question.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from kiosk_app.cli import main
from kiosk_app.core.settings import Settings
from knowledge.answer import EvidenceAnswerer
from knowledge.answer.semantic import E5FactScorer
from knowledge.bundle.schema import Record
from knowledge.service import Knowledge

pytestmark = pytest.mark.slow

# English questions whose facts the wording alone ranks differently from wording + E5 (en-x-015 from
# bench/eval; en-w-001 written when every sample fact got its text_en, which let the wording alone find
# bench/eval's p2-142 hotline fact); their records come last in the warm-up's order, so a slow warm-up
# reaches them late.
QUESTIONS = {
    "en-w-001": ("my father 76 no pension, he get money from state?", "tro-cap-xa-hoi-nguoi-cao-tuoi"),
    "en-x-015": ("single status paper for marry foreigner, what i need", "xac-nhan-tinh-trang-hon-nhan"),
}
DELAY_S = 1.0


class SlowE5:
    """The real E5 model, ``DELAY_S`` slower per passage batch; raises once the test is over, which
    ends the background warm-up (it logs and stops on an error)."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.closed = False
        self.batches = 0

    def passage(self, texts: Sequence[str]) -> Any:
        time.sleep(DELAY_S)
        self.batches += 1
        if self.closed:
            raise RuntimeError("test over")
        return self.model.passage(texts)

    def query(self, texts: Sequence[str]) -> Any:
        return self.model.query(texts)


@pytest.fixture
def slow_e5(monkeypatch: pytest.MonkeyPatch) -> Iterator[SlowE5]:
    real = E5FactScorer()._m()  # the model every scorer of the test shares (loaded once)
    slow = SlowE5(real)
    monkeypatch.setattr(E5FactScorer, "_m", lambda self: slow)
    yield slow
    slow.closed = True


@pytest.fixture
def data_dir(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shared sample data dir, answering with the evidence answerer."""
    monkeypatch.setenv("KIOSK_ANSWER__ANSWERER", "evidence")
    return data_dir


class _Warmed(E5FactScorer):
    """The kiosk's scorer after its warm-up, for the records asked about (embedding all 27 takes a
    minute)."""

    def warm(self, records: Iterable[Record], *, background: bool = True) -> None:
        wanted = {pid for _, pid in QUESTIONS.values()}
        super().warm([r for r in records if r.id in wanted], background=False)


def _answers(bundle: Path, semantic: Any) -> dict[str, list[str]]:
    kn = Knowledge.open(bundle, Settings(data_dir=bundle.parent / "ref-data"),
                        answerer=EvidenceAnswerer(semantic=semantic))
    try:
        return {qid: list(kn.ask(text, language="en").facts) for qid, (text, _) in QUESTIONS.items()}
    finally:
        kn.close()


def test_first_answers_equal_the_warmed_ones(slow_e5: SlowE5, data_dir: Path, sample_bundle_dir: Path,
                                              tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    warmed = _answers(sample_bundle_dir, _Warmed())
    wording = _answers(sample_bundle_dir, None)
    # the questions exercise E5: the wording alone (the kiosk before its warm-up) answers otherwise
    assert all(warmed[q] != wording[q] for q in QUESTIONS), (warmed, wording)

    src = tmp_path / "q.jsonl"
    src.write_text("".join(json.dumps({"id": q, "text": t}) + "\n" for q, (t, _) in QUESTIONS.items()),
                   encoding="utf-8")
    slow_e5.batches = 0
    assert main(["ask", "--jsonl", str(src), "--lang", "en"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert slow_e5.batches < 2 * 27  # answered before the warm-up (2 batches per record) was done
    assert {d["id"]: d["facts"] for d in lines} == warmed

    for qid, (text, _) in QUESTIONS.items():  # one question: only its record is embedded
        assert main(["ask", text, "--json", "--lang", "en"]) == 0
        assert json.loads(capsys.readouterr().out)["facts"] == warmed[qid]
