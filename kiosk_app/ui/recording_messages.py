"""Vietnamese sentences for ward staff about recordings (bundle audio and the clerk's takes).

Keyed like ``bundle_messages`` (which merges ``RECORDING_VI`` into its table and renders through
``staff_vi``). Take findings (``speech.tts.take_check.Finding``) are keyed by their ``TakeCode``
value; a wrong-words finding also names the differing words or what the recogniser heard.
No Kivy, no engine import.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

TAKE_VI: dict[str, str] = {  # speech.tts.take_check.TakeCode values
    "take-format": "Tệp không đọc được hoặc không đúng định dạng WAV (cần 16 kHz trở lên); xin ghi lại.",
    "take-unknown-id": "Tên tệp không ứng với câu nào trong dữ liệu hiện tại (câu đã bị xóa hoặc đổi "
                       "mã); xin kiểm tra lại danh sách câu.",
    "take-too-long": "Tệp quá dài so với một câu; xin ghi riêng từng câu.",
    "take-no-speech": "Không nghe thấy tiếng nói trong bản ghi; xin ghi lại.",
    "take-clipped": "Tiếng bị vỡ (thu quá to); xin để micro xa hơn hoặc nói nhỏ hơn rồi ghi lại.",
    "take-too-quiet": "Tiếng quá nhỏ; xin nói to hơn hoặc để micro gần hơn rồi ghi lại.",
    "take-too-noisy": "Tiếng ồn xung quanh quá lớn; xin ghi lại ở nơi yên tĩnh hơn.",
    "take-too-short": "Bản ghi ngắn hơn nhiều so với câu (có thể thiếu chữ); xin đọc đủ cả câu.",
    "take-too-slow": "Bản ghi dài hơn nhiều so với câu (ngắt quãng lâu hoặc đọc thêm); xin ghi lại.",
    "take-wrong-words": "Máy nghe thấy những từ khác với câu cần đọc; xin đọc đúng câu rồi ghi lại.",
}
TAKE_FALLBACK_VI = "Bản ghi chưa đạt; xin ghi lại."
MAX_PAIRS_SHOWN = 6  # more differing words than this: the sentence quotes what was heard instead

RECORDING_VI: dict[str, str] = {
    # kiosk_app/pipeline/recording_session.py (State.error)
    "take-mic-failed": "Không mở được micro. Xin kiểm tra dây micro rồi bấm Ghi lại.",
    "take-failed": "Có lỗi khi ghi hoặc kiểm tra bản ghi. Xin thử lại; nếu vẫn lỗi, báo kỹ thuật viên.",
    "take-save-failed": "Không lưu được bản ghi (bộ nhớ máy đầy?). Xin báo kỹ thuật viên.",
    # knowledge/recordings/audio.py (AudioProblem; lint warnings also carry ``id``)
    "recording-format": "Bản ghi âm {name} không phải định dạng Ogg/Opus; không phát.",
    "recording-channels": "Bản ghi âm {name} không phải âm thanh một kênh (mono); không phát.",
    "recording-too-long": "Bản ghi âm {name} dài {seconds:.0f} giây, quá giới hạn {limit_s:.0f} giây; "
                          "không phát.",
    "recording-undecodable": "Bản ghi âm {name} bị hỏng, không đọc được; không phát.",
    "recording-empty": "Bản ghi âm {name} không có âm thanh; không phát.",
    # knowledge/recordings/bundle.py (audit warnings: ``id`` is the sentence id)
    "recording-key-mismatch": "Bản ghi âm {id}: mã kiểm tra câu không khớp; không phát.",
    "recording-orphaned": "Bản ghi âm {id} ứng với câu không còn trong dữ liệu; không phát.",
    "recording-stale": "Bản ghi âm {id} đã cũ: câu đã được sửa, cần ghi âm lại; máy đọc câu mới bằng giọng "
                       "máy.",
    "recording-file-missing": "Thiếu tệp ghi âm {name} (có trong danh sách recordings.yaml).",
    # knowledge/recordings/members.py
    "recordings-index-too-large": "Danh sách bản ghi âm quá lớn; không nhập.",
    "recordings-index-field": "Danh sách bản ghi âm sai ở trường {loc}.",
    "recordings-index-duplicate": "Bản ghi âm {id} được ghi hai lần trong danh sách.",
    "recordings-index-missing": "Gói có bản ghi âm nhưng thiếu danh sách recordings.yaml.",
    "recordings-too-many": "Gói có quá nhiều bản ghi âm; không nhập.",
    "recording-too-large": "Bản ghi âm {name} quá lớn; không nhập.",
    "recording-not-listed": "Bản ghi âm {name} không có trong danh sách recordings.yaml.",
    "recordings-too-large": "Các bản ghi âm trong gói quá lớn; không nhập.",
    "recording-listed-missing": "Danh sách bản ghi âm có {name} nhưng gói không có tệp này.",
}


class TakeFindingLike(Protocol):
    """``speech.tts.take_check.Finding`` as the UI reads it."""

    @property
    def reason(self) -> str: ...

    @property
    def differing(self) -> tuple[tuple[str, str], ...]: ...

    @property
    def heard(self) -> str: ...


def take_vi(f: TakeFindingLike) -> str:
    """The clerk's sentence for one take finding."""
    base = TAKE_VI.get(f.reason, TAKE_FALLBACK_VI)
    if f.reason == "take-wrong-words" and 0 < len(f.differing) <= MAX_PAIRS_SHOWN:
        pairs = "; ".join(f"“{a or '—'}” → “{b or '—'}”" for a, b in f.differing)
        return f"{base} Khác nhau: {pairs}."
    if f.reason == "take-wrong-words" and f.heard:  # another sentence altogether
        heard = f.heard if len(f.heard) <= 90 else f.heard[:87] + "…"
        return f"{base} Máy nghe thấy: “{heard}”."
    return base


def takes_vi(findings: Iterable[TakeFindingLike]) -> str:
    """Several findings of one take, as one line ("" when the take is good)."""
    return " ".join(take_vi(f) for f in findings)
