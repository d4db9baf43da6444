"""The Knowledge facade as the pipeline uses it: ask, record, bad input, missing bundle."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk_app.core.errors import StoreCorruptError, StoreMissingError
from kiosk_app.core.settings import Settings
from knowledge.answer import numbers_not_in_record
from knowledge.service import Knowledge, open_current
from knowledge.types import Aspect, Verdict


@pytest.mark.parametrize(("question", "procedure", "aspect"), [
    ("Ờ cho bác hỏi làm giấy khai sinh cho cháu mất bao nhiêu tiền ạ", "khai-sinh", Aspect.FEE),
    pytest.param("lam khaisinh o dau", "khai-sinh", Aspect.WHERE,  # no diacritics, words merged
                 marks=pytest.mark.xfail(strict=True, reason="since the examples method the merged "
                                         "'khaisinh' without diacritics ranks re-registration "
                                         "(examples 'làm lại khai sinh') just above birth registration")),
    ("xin bản sao giấy khai sinh", "trich-luc-ho-tich", Aspect.GENERAL),
    ("mất giấy khai sinh mà xã không còn sổ thì làm lại thế nào", "dang-ky-lai-khai-sinh", Aspect.GENERAL),
    ("nhập khẩu cho cháu cần giấy tờ gì", "dang-ky-thuong-tru", Aspect.DOCUMENTS),
    ("khai tạm trú cho sinh viên thuê trọ", "dang-ky-tam-tru", Aspect.GENERAL),
    ("photo công chứng giấy tờ hết bao nhiêu", "chung-thuc-ban-sao", Aspect.FEE),
    ("xác nhận chữ ký giấy ủy quyền", "chung-thuc-chu-ky", Aspect.WHO),
    ("giấy độc thân", "xac-nhan-tinh-trang-hon-nhan", Aspect.GENERAL),
    pytest.param("Người khuyết tật đăng ký lại khai sinh có được miễn lệ phí không?",
                 "dang-ky-lai-khai-sinh", Aspect.FEE,
                 marks=pytest.mark.xfail(strict=True, reason="method 7 refuses it as harmful: its nearest "
                                         "example asks to fake a disability certificate for the exemption "
                                         "(docs/benchmarks.md, method 11 probe)")),
    pytest.param("dang ky ket hon o dau vay moi nguoi", "ket-hon", Aspect.WHERE,
                 marks=pytest.mark.xfail(strict=True, reason="method 7 refuses it as harmful: typed without "
                                         "diacritics, 'vay moi nguoi' ('vậy mọi người') is typical of two "
                                         "unaccented harmful examples (docs/benchmarks.md, methods 12 and 13)")),
])
def test_ask_answers_the_right_procedure(knowledge: Knowledge, question: str, procedure: str,
                                        aspect: Aspect) -> None:
    a = knowledge.ask(question)
    assert a.verdict is Verdict.ANSWER, a
    assert a.procedure_id == procedure
    assert a.aspect is aspect
    assert 0.5 <= a.confidence <= 1.0
    assert a.sources and a.sentences and len(a.sentences) <= 3
    assert not numbers_not_in_record(a.spoken, knowledge.record(procedure))


@pytest.mark.parametrize("question", [
    "", "   ", "?!?", "asdkjh qweoiu zxcmnb", "ờ à ừ", "ㅋㅋㅋㅋㅋ", "😀😀😀",
    "khai sinh " * 600,  # 6,000 characters
    "x" * 5000,
    "\ud800\udfff lone surrogates \x00\x07",
    "Thời tiết hôm nay thế nào cháu?",
    "Bác bị đau lưng thì uống thuốc gì?",
    "Làm hộ chiếu đi Hàn Quốc ở đâu?",
])
def test_bad_or_out_of_scope_input_is_referred_never_raises(knowledge: Knowledge, question: str) -> None:
    a = knowledge.ask(question)
    assert a.verdict is Verdict.REFER
    assert a.procedure_id is None
    assert "cán bộ tại quầy" in a.spoken and len(a.sentences) == 1


def test_non_string_input_is_referred(knowledge: Knowledge) -> None:
    assert knowledge.ask(None).refer_to_staff  # type: ignore[arg-type]


def test_english_question_gets_an_english_answer(knowledge: Knowledge) -> None:
    a = knowledge.ask("How much is a birth certificate for my newborn baby?", language="en")
    assert a.procedure_id == "khai-sinh" and a.language == "en" and a.aspect is Aspect.FEE
    # the record's own English fee text (khai-sinh got English fields in issue 10), never a translation:
    # the fact that answers a newborn's case (free when registered on time), chosen among the English
    # sentences of the record (issue 16)
    assert "no fee when the birth is registered on time" in a.spoken.lower()
    assert numbers_not_in_record(a.spoken, knowledge.record("khai-sinh")) == set()
    b = knowledge.ask("How do I register my child's birth?", language="en")
    assert b.procedure_id == "khai-sinh" and b.sentences[0].startswith("Birth registration:")


def test_record_and_bundle(knowledge: Knowledge) -> None:
    assert knowledge.record("khai-sinh").title == "Đăng ký khai sinh"
    assert len(knowledge.bundle.records) >= 27
    with pytest.raises(KeyError):
        knowledge.record("nope")


def test_open_current_without_bundle_says_how_to_activate_the_sample(tmp_path: Path) -> None:
    with pytest.raises(StoreMissingError) as exc:
        open_current(Settings(data_dir=tmp_path))
    msg = str(exc.value)
    assert str(tmp_path / "bundles" / "current") in msg and "kiosk bundle import --sample" in msg


def test_open_current_follows_the_symlink(tmp_path: Path, sample_bundle_dir: Path) -> None:
    s = Settings(data_dir=tmp_path)
    s.bundles_dir.mkdir(parents=True)
    (s.bundles_dir / "current").symlink_to(sample_bundle_dir)
    with open_current(s) as kn:
        assert kn.ask("làm căn cước ở đâu").procedure_id == "can-cuoc"


def test_damaged_bundle_names_path_and_rebuild_command(tmp_path: Path) -> None:
    (tmp_path / "records").mkdir()
    (tmp_path / "manifest.json").write_text("{broken", encoding="utf-8")
    with pytest.raises(StoreCorruptError) as exc:
        Knowledge.open(tmp_path, Settings(data_dir=tmp_path / "d"))
    assert str(tmp_path) in str(exc.value) and "kiosk bundle import" in str(exc.value)
