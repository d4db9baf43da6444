"""`kiosk ask` and `kiosk eval` as a technician uses them (through kiosk_app.cli.main)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk_app.cli import main


def test_ask_prints_answer_procedure_confidence_sources(data_dir: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "làm giấy khai sinh cho cháu mất bao nhiêu tiền"]) == 0
    out = capsys.readouterr().out
    assert "miễn lệ phí" in out.splitlines()[0].lower()
    assert "procedure: khai-sinh" in out and "confidence" in out and "sources:" in out


def test_ask_json(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "lam can cuoc o dau", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["procedure_id"] == "can-cuoc" and d["aspect"] == "where" and d["refer_to_staff"] is False
    assert 0 <= d["confidence"] <= 1 and d["sources"] and d["sentences"]


def test_ask_json_refers_out_of_scope(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "hôm nay trời có mưa không", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["refer_to_staff"] is True and d["procedure_id"] is None and "cán bộ" in d["answer"]


def test_ask_jsonl_one_line_per_question(data_dir: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "q.jsonl"
    src.write_text("\n".join([
        json.dumps({"id": "a", "text": "đăng ký kết hôn cần giấy tờ gì"}, ensure_ascii=False),
        json.dumps({"id": 7, "text": ""}),
        "not json",
        json.dumps({"id": "c", "text": "giấy độc thân xin ở đâu"}, ensure_ascii=False),
    ]) + "\n", encoding="utf-8")
    assert main(["ask", "--jsonl", str(src)]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x["id"] for x in lines] == ["a", 7, 3, "c"]
    assert lines[0]["procedure_id"] == "ket-hon" and lines[0]["aspect"] == "documents"
    assert set(lines[0]) == {"id", "procedure_id", "confidence", "refer_to_staff", "aspect", "answer",
                             "sources", "answerer", "why", "ask", "facts", "verdict_word", "timings_ms"}
    assert lines[1]["refer_to_staff"] is True
    assert "error" in lines[2]
    assert lines[3]["procedure_id"] == "xac-nhan-tinh-trang-hon-nhan"


def test_eval_reports_accuracy_refusals_and_confusions(data_dir: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "e.jsonl"
    rows = [
        {"id": "1", "text": "làm giấy khai sinh ở đâu", "expect": "khai-sinh", "split": "heldout"},
        {"id": "2", "text": "đổi căn cước", "expect": "khai-tu", "split": "heldout"},  # wrong on purpose
        {"id": "3", "text": "xổ số hôm nay về con gì", "expect": None, "split": "heldout"},
        {"id": "4", "text": "giấy độc thân", "expect": "xac-nhan-tinh-trang-hon-nhan", "split": "tune"},
    ]
    src.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    assert main(["eval", str(src), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["questions"] == 3 and d["in_scope"] == 2 and d["out_of_scope"] == 1
    assert d["top1_accuracy"] == 0.5 and d["out_of_scope_refused"] == 1.0
    assert [c["id"] for c in d["confusions"]] == ["2"] and d["confusions"][0]["got"] == "can-cuoc"
    assert main(["eval", str(src), "--split", "all"]) == 0
    out = capsys.readouterr().out
    assert "4 questions" in out and "top-1 accuracy" in out and "expect khai-tu got can-cuoc" in out


def test_cli_without_active_bundle_says_which_command_activates_the_sample(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("KIOSK_DATA_DIR", str(tmp_path / "fresh"))
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    assert main(["ask", "làm khai sinh"]) == 1
    err = capsys.readouterr().err
    assert "store-missing" in err and "kiosk bundle import --sample" in err


def test_ask_without_question_is_a_usage_error(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask"]) == 2
    assert "kiosk ask" in capsys.readouterr().err
