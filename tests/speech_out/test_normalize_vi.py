"""How a Hà Nội official reads an answer aloud: every row is what a Vietnamese listener expects to hear.

Rules checked (Northern usage): mười (10-19) vs mươi (20-90); mốt for 1 after mươi (21) but một after
mười (11); tư for 4 after mươi (24) but bốn after mười (14) and after linh (104); lăm for 5 after
mười/mươi (15, 25) but năm after linh (105); linh for an empty tens place (105, 2005); "không trăm"
inside a larger number (2025, 1.005.000); tháng tư for April; thứ nhất / thứ tư as ordinals.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from knowledge.bundle.schema import load_records_dir
from speech.text.normalize_vi import normalize_for_speech
from speech.text.vi_numbers import read_number

SAMPLE_RECORDS = Path(__file__).resolve().parents[2] / "knowledge" / "sample" / "records"

NUMBERS = [
    ("0", "không"),
    ("5", "năm"),
    ("10", "mười"),
    ("11", "mười một"),
    ("14", "mười bốn"),
    ("15", "mười lăm"),
    ("19", "mười chín"),
    ("20", "hai mươi"),
    ("21", "hai mươi mốt"),
    ("24", "hai mươi tư"),
    ("25", "hai mươi lăm"),
    ("30", "ba mươi"),
    ("41", "bốn mươi mốt"),
    ("55", "năm mươi lăm"),
    ("60", "sáu mươi"),
    ("75", "bảy mươi lăm"),
    ("99", "chín mươi chín"),
    ("100", "một trăm"),
    ("101", "một trăm linh một"),
    ("104", "một trăm linh bốn"),
    ("105", "một trăm linh năm"),
    ("110", "một trăm mười"),
    ("115", "một trăm mười lăm"),
    ("120", "một trăm hai mươi"),
    ("121", "một trăm hai mươi mốt"),
    ("123", "một trăm hai mươi ba"),
    ("200", "hai trăm"),
    ("305", "ba trăm linh năm"),
    ("1000", "một nghìn"),
    ("1005", "một nghìn không trăm linh năm"),
    ("1050", "một nghìn không trăm năm mươi"),
    ("1500", "một nghìn năm trăm"),
    ("2014", "hai nghìn không trăm mười bốn"),
    ("2025", "hai nghìn không trăm hai mươi lăm"),
    ("15000", "mười lăm nghìn"),
    ("21000", "hai mươi mốt nghìn"),
    ("105000", "một trăm linh năm nghìn"),
    ("1.000.000", "một triệu"),
    ("1.200.000", "một triệu hai trăm nghìn"),
    ("1.005.000", "một triệu không trăm linh năm nghìn"),
    ("2.000.000.000", "hai tỷ"),
    ("01", "một"),
    ("2,5", "hai phẩy năm"),
    ("0,05", "không phẩy không năm"),
]

MONEY = [
    ("2.000 đồng", "hai nghìn đồng"),
    ("15.000 đ", "mười lăm nghìn đồng"),
    ("5.000đ", "năm nghìn đồng"),
    ("50.000 VNĐ", "năm mươi nghìn đồng"),
    ("8.000 đ/bản", "tám nghìn đồng một bản"),
    ("3.000 đồng/trang", "ba nghìn đồng một trang"),
    ("Hà Nội 5.000 đ/việc", "Hà Nội năm nghìn đồng một việc"),
    ("25.000/100.000 đ", "hai mươi lăm nghìn hoặc một trăm nghìn đồng"),
    ("1.500.000 đồng", "một triệu năm trăm nghìn đồng"),
    ("Lệ phí đăng ký khai sinh quá hạn là 5.000 đồng", "Lệ phí đăng ký khai sinh quá hạn là năm nghìn đồng"),
]

DATES_TIMES = [
    ("01/7/2025", "ngày một tháng bảy năm hai nghìn không trăm hai mươi lăm"),
    ("ngày 01/7/2025", "ngày một tháng bảy năm hai nghìn không trăm hai mươi lăm"),
    ("từ 01/7/2025", "từ ngày một tháng bảy năm hai nghìn không trăm hai mươi lăm"),
    ("15/09/2026", "ngày mười lăm tháng chín năm hai nghìn không trăm hai mươi sáu"),
    ("ngày 4/4", "ngày bốn tháng tư"),
    ("từ 1/7 đến 5/7", "từ ngày một tháng bảy đến ngày năm tháng bảy"),
    ("tháng 7/2025", "tháng bảy năm hai nghìn không trăm hai mươi lăm"),
    ("năm 2026", "năm hai nghìn không trăm hai mươi sáu"),
    ("7h30", "bảy giờ ba mươi"),
    ("7h", "bảy giờ"),
    ("7h05", "bảy giờ năm phút"),
    ("13:45", "mười ba giờ bốn mươi lăm"),
    ("17 giờ", "mười bảy giờ"),
    ("nộp sau 15 giờ", "nộp sau mười lăm giờ"),
    ("11 giờ 30 phút", "mười một giờ ba mươi phút"),
    ("từ 7h30 - 11h30", "từ bảy giờ ba mươi đến mười một giờ ba mươi"),
    ("8h-17h", "tám giờ đến mười bảy giờ"),
]

RANGES_ORDINALS = [
    ("3-5 ngày", "ba đến năm ngày"),
    ("3 - 5 ngày làm việc", "ba đến năm ngày làm việc"),
    ("05-07 NLV", "năm đến bảy ngày làm việc"),
    ("2025–2026", "hai nghìn không trăm hai mươi lăm đến hai nghìn không trăm hai mươi sáu"),
    ("thứ 2", "thứ hai"),
    ("thứ 4", "thứ tư"),
    ("thứ 7", "thứ bảy"),
    ("thứ 1", "thứ nhất"),
    ("lần thứ 2", "lần thứ hai"),
    ("thứ 2, thứ 4", "thứ hai, thứ tư"),
    ("Thứ 2 - Thứ 6", "Thứ hai đến Thứ sáu"),
    ("T2-T6", "thứ hai đến thứ sáu"),
    ("lần 1", "lần một"),
    ("bước 3", "bước ba"),
    ("Chương II", "Chương hai"),
    ("giảm 1/2 lệ phí", "giảm một phần hai lệ phí"),
    ("ảnh 3x4", "ảnh ba nhân bốn"),
]

PERCENT_SYMBOLS = [
    ("50%", "năm mươi phần trăm"),
    ("100%", "một trăm phần trăm"),
    ("0,5%", "không phẩy năm phần trăm"),
    ("giảm 50% lệ phí", "giảm năm mươi phần trăm lệ phí"),
    ("≤ 3 ngày", "không quá ba ngày"),
    ("≤03 NLV", "không quá ba ngày làm việc"),
    ("≥14 tuổi", "từ mười bốn tuổi trở lên"),
    ("cha/mẹ", "cha hoặc mẹ"),
    ("cá nhân/tổ chức", "cá nhân hoặc tổ chức"),
    ("ông & bà", "ông và bà"),
    ("trực 24/7", "trực hai mươi tư trên bảy"),
]

ABBREVIATIONS = [
    ("UBND phường", "Ủy ban nhân dân phường"),
    ("HĐND thành phố", "Hội đồng nhân dân thành phố"),
    ("CCCD", "căn cước công dân"),
    ("mang CMND hoặc CCCD", "mang chứng minh nhân dân hoặc căn cước công dân"),
    ("thẻ BHYT", "thẻ bảo hiểm y tế"),
    ("sổ BHXH", "sổ bảo hiểm xã hội"),
    ("ứng dụng VNeID", "ứng dụng vê en e ai đi"),
    ("TP Hà Nội", "thành phố Hà Nội"),
    ("TP. Hà Nội", "thành phố Hà Nội"),
    ("TP.HCM", "thành phố Hồ Chí Minh"),
    ("NĐ-CP", "nghị định chính phủ"),
    ("3 NLV", "ba ngày làm việc"),
    ("TTHC", "thủ tục hành chính"),
    ("Cổng DVCQG", "Cổng dịch vụ công quốc gia"),
    ("GCN quyền sử dụng đất", "giấy chứng nhận quyền sử dụng đất"),
    ("Trung tâm PVHCC", "Trung tâm phục vụ hành chính công"),
    ("giấy tờ v.v.", "giấy tờ vân vân"),
    ("mẫu CT01", "mẫu xê tê không một"),
]

PHONES = [
    ("tổng đài 1022", "tổng đài một không hai hai"),
    ("gọi 1022", "gọi một không hai hai"),
    ("đường dây nóng 1022", "đường dây nóng một không hai hai"),
    ("0912 345 678", "không chín một hai, ba bốn năm, sáu bảy tám"),
    ("số 0912345678", "số không chín một hai, ba bốn năm, sáu bảy tám"),
    ("điện thoại 024 3825 1234", "điện thoại không hai bốn, ba tám hai năm, một hai ba bốn"),
    ("SĐT: 0912345678", "số điện thoại: không chín một hai, ba bốn năm, sáu bảy tám"),
    ("1900 1234", "một chín không không, một hai ba bốn"),
]

LEGAL = [
    ("Nghị định 123/2015/NĐ-CP", "Nghị định một trăm hai mươi ba năm hai nghìn không trăm mười lăm"),
    ("Nghị định số 07/2025/NĐ-CP", "Nghị định số bảy năm hai nghìn không trăm hai mươi lăm"),
    ("Thông tư 04/2020/TT-BTP", "Thông tư bốn năm hai nghìn không trăm hai mươi"),
    ("Luật số 60/2014/QH13", "Luật số sáu mươi năm hai nghìn không trăm mười bốn"),
    ("theo 120/2025/NĐ-CP", "theo Nghị định một trăm hai mươi năm hai nghìn không trăm hai mươi lăm"),
    ("Nghị quyết 06/2020/NQ-HĐND", "Nghị quyết sáu năm hai nghìn không trăm hai mươi"),
    ("1656/NQ-UBTVQH15", "Nghị quyết một nghìn sáu trăm năm mươi sáu"),
    ("Điều 16 khoản 1", "Điều mười sáu khoản một"),
    ("Luật Hộ tịch 2014, Điều 16 khoản 1",
     "Luật Hộ tịch hai nghìn không trăm mười bốn, Điều mười sáu khoản một"),
    ("sửa bởi NĐ 87/2020", "sửa bởi nghị định tám mươi bảy năm hai nghìn không trăm hai mươi"),
]

URLS_CLEANUP = [
    ("Nộp tại https://dichvucong.gov.vn nhé", "Nộp tại địa chỉ trên màn hình nhé"),
    ("trên dichvucong.gov.vn", "trên địa chỉ trên màn hình"),
    ("xem www.hanoi.gov.vn/thu-tuc", "xem địa chỉ trên màn hình"),
    ("gửi thư tới hotro@hanoi.gov.vn", "gửi thư tới địa chỉ trên màn hình"),
    ("Miễn lệ phí [S22].", "Miễn lệ phí."),
    ("Hà Nội 5.000 đ [Nghị quyết 06/2020/NQ-HĐND — theo [S20]] (chưa chắc chắn).",
     "Hà Nội năm nghìn đồng, chưa chắc chắn."),
    ("**Miễn** lệ phí", "Miễn lệ phí"),
    ("- Tờ khai", "Tờ khai"),
    ("(thẻ căn cước/CCCD, hộ chiếu…) của người đi",
     "thẻ căn cước hoặc căn cước công dân, hộ chiếu, của người đi"),
]

SENTENCES = [
    ("Làm ngay trong ngày; nộp sau 15 giờ thì nhận kết quả vào ngày làm việc tiếp theo.",
     "Làm ngay trong ngày; nộp sau mười lăm giờ thì nhận kết quả vào ngày làm việc tiếp theo."),
    ("Đăng ký khai sinh làm tại Ủy ban nhân dân phường nơi cư trú của cha hoặc mẹ, "
     "trong 60 ngày kể từ ngày sinh.",
     "Đăng ký khai sinh làm tại Ủy ban nhân dân phường nơi cư trú của cha hoặc mẹ, "
     "trong sáu mươi ngày kể từ ngày sinh."),
    ("Từ 01/7/2025, UBND cấp xã giải quyết trong 03 ngày làm việc.",
     "Từ ngày một tháng bảy năm hai nghìn không trăm hai mươi lăm, Ủy ban nhân dân cấp xã giải quyết trong ba"
     " ngày làm việc."),
    ("Lệ phí cấp bản sao: 8.000 đ/bản; nộp qua VNeID giảm 50%.",
     "Lệ phí cấp bản sao: tám nghìn đồng một bản; nộp qua vê en e ai đi giảm năm mươi phần trăm."),
    ("Người từ đủ 75 tuổi trở lên được ưu tiên.", "Người từ đủ bảy mươi lăm tuổi trở lên được ưu tiên."),
    ("Xin hỏi cán bộ tại quầy số 3.", "Xin hỏi cán bộ tại quầy số ba."),
    ("Giờ làm việc 7h30-11h30 và 13h30-17h từ thứ 2 đến thứ 6.",
     "Giờ làm việc bảy giờ ba mươi đến mười một giờ ba mươi và mười ba giờ ba mươi đến mười bảy giờ "
     "từ thứ hai đến thứ sáu."),
    ("Trẻ dưới 6 tuổi được cấp thẻ BHYT miễn phí.", "Trẻ dưới sáu tuổi được cấp thẻ bảo hiểm y tế miễn phí."),
    ("Không có chữ số nào.", "Không có chữ số nào."),
]

ALL = NUMBERS + MONEY + DATES_TIMES + RANGES_ORDINALS + PERCENT_SYMBOLS + ABBREVIATIONS + PHONES + LEGAL \
    + URLS_CLEANUP + SENTENCES


def test_table_is_large_enough() -> None:
    assert len(ALL) >= 100


@pytest.mark.parametrize(("written", "spoken"), ALL, ids=[w[:40] for w, _ in ALL])
def test_normalize_for_speech(written: str, spoken: str) -> None:
    assert normalize_for_speech(written) == spoken


@pytest.mark.parametrize(("written", "spoken"), ALL, ids=[w[:40] for w, _ in ALL])
def test_idempotent(written: str, spoken: str) -> None:
    once = normalize_for_speech(written)
    assert normalize_for_speech(once) == once


def test_decomposed_unicode_is_read_the_same() -> None:
    text = "Lệ phí đăng ký là 5.000 đồng"
    assert normalize_for_speech(unicodedata.normalize("NFD", text)) == normalize_for_speech(text)


@pytest.mark.parametrize("n", [*range(0, 1200), 10_000, 99_999, 1_000_001, 123_456_789, 10**9 + 5])
def test_every_number_is_words_with_the_spoken_rules(n: int) -> None:
    words = read_number(n).split()
    assert words and all(not w.isdigit() for w in words)
    joined = " ".join(words)
    assert "mươi một" not in joined and "mươi năm" not in joined  # always mốt / lăm after mươi
    assert "mười năm" not in joined and "mười mốt" not in joined and "mười tư" not in joined
    assert "linh lăm" not in joined and "linh mốt" not in joined and "linh tư" not in joined


def test_sample_records_speak_without_digits_or_abbreviations() -> None:
    spoken = [t for record in load_records_dir(SAMPLE_RECORDS) for t in _texts(record.model_dump())]
    assert len(spoken) > 20
    for text in spoken:
        said = normalize_for_speech(text)
        assert not re.search(r"\d", said), (text, said)
        assert not re.search(r"\b(UBND|CCCD|BHYT|HĐND|NLV|TTHC|NĐ-CP)\b", said), (text, said)
        assert "http" not in said and "[" not in said, (text, said)


_NOT_SPOKEN = {"id", "sources", "aliases", "aliases_en", "note", "text_en", "say_en", "title_en", "group",
               "status"}


def _texts(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for k, v in value.items() if k not in _NOT_SPOKEN for t in _texts(v)]
    if isinstance(value, list | tuple):
        return [t for v in value for t in _texts(v)]
    return []
