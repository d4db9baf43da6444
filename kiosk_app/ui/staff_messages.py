"""Everything the staff screens say, for ward staff after the staff PIN. Vietnamese only; no Kivy
import (tests read it). Residents' texts (vi/en) are in ``kiosk_app.ui.messages``.

* ``when_vi``: a date and time as staff read it.
* ``REC_*_VI``, ``rec_count_vi``: the recording page (issue 20).
* ``STAFF_VI``: the staff screen's labels and status lines (bundles, feedback; issue 18).
* ``BUNDLE_PHASE_VI`` / ``BUNDLE_TAG_VI``: an import's phases / a stick bundle's version anomaly.
* ``BUNDLE_ERRORS_VI``, ``bundle_error_vi``: why a bundle import or rollback was refused.
"""

from __future__ import annotations

from datetime import datetime

from kiosk_app.core.errors import ErrorCode, StaffNote
from kiosk_app.ui.bundle_messages import staff_vi

# ---- staff recording page (issue 20) -------------------------------------------------------------
REC_LOADING_VI = "Đang đọc danh sách câu cần ghi âm…"
REC_READY_VI = "Bấm “Ghi”, đọc to câu trên rồi im lặng: máy tự dừng."
REC_RECORDING_VI = "Đang ghi… Đọc to, rõ câu trên. Bấm “Dừng” khi đọc xong."
REC_CHECKING_VI = "Đang kiểm tra bản ghi (máy nghe lại và so với câu)…"
REC_GOOD_VI = "Bản ghi tốt. Bấm “Nghe lại” để nghe, “Giữ” để lưu."
REC_DONE_VI = "Đã hết câu cần ghi âm. Bấm “Xuất ra USB” để mang bản ghi về máy tính văn phòng."
REC_OFFICE_NOTE_VI = ("Bản ghi được lưu trên máy này. Xuất ra USB rồi tạo gói dữ liệu có chữ ký trên máy "
                      "tính văn phòng (kiosk bundle recordings import); máy đọc bằng giọng ghi âm sau "
                      "khi nhập gói mới.")
REC_NO_USB_VI = "Chưa thấy USB. Cắm USB rồi bấm “Xuất ra USB” lần nữa."
REC_USB_FAILED_VI = "Không ghi được lên USB (USB đầy hoặc chỉ đọc?)."
REC_EXPORTED_VI = "Đã chép {n} bản ghi (WAV) vào thư mục recordings-takes trên USB {dest}."
REC_EXPORT_NONE_VI = "Chưa có bản ghi nào được giữ để xuất."


def when_vi(iso: str) -> str:
    """An ISO time as staff read it, in the kiosk's time zone: "01/12/2026 10:30" (``iso`` itself when it
    is not one, "?" when empty)."""
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%d/%m/%Y %H:%M")
    except ValueError:
        return iso or "?"


def rec_count_vi(done: int, total: int) -> str:
    """"Ghi âm câu nói (12/340 đã ghi)": the staff screen's button and the recording page's heading."""
    return f"Ghi âm câu nói ({done}/{total} đã ghi)"


# ---- staff screen: bundles, feedback (issue 18) ---------------------------------------------------
# Ward staff read these after the staff PIN; Vietnamese only. Keys are the screen's, codes are ErrorCode.
STAFF_VI: dict[str, str] = {
    "title": "Quản lý dữ liệu (cán bộ)",
    "close": "Đóng",
    "no_bundle": "Chưa có gói dữ liệu nào đang dùng.",
    "bundle": "Gói đang dùng: {title}{kind} · phiên bản {version} · {count} thủ tục",
    "sample_kind": " (dữ liệu mẫu)",
    "bundle_dates": "Tạo ngày {created} · nhập vào máy {imported}",
    "usb_found": "Trên USB: {name} · {description}{more}",
    "usb_more": " (và {n} tệp khác)",
    "usb_none": "Chưa thấy tệp .wkb trên USB (thư mục {folder}).",
    "usb_unreadable": "không đọc được phiên bản (tệp hỏng?)",
    "usb_describe": "phiên bản {version} · tạo {created} · {count} thủ tục{tags}",
    "import": "Nhập gói từ USB",
    "import_no_usb": "Chưa có USB",
    "import_confirm": "Bấm lần nữa để nhập {name}",
    "import_confirm_version": "Gói {name} {tags}. Bấm lần nữa để VẪN nhập",
    "import_confirm_refused": "Bấm để xác nhận VẪN nhập gói này ({tags})",
    "stick_bundle": "Gói trên USB: {name} · {description}",
    "import_not": "Không nhập {name}: {reason}",
    "import_starting": "Đang bắt đầu nhập…",
    "import_refused": "Không nhập: {reason}",
    "import_done": "Đã nhập và dùng gói {version} ({count} thủ tục).",
    "import_unchanged": "Gói {version} đang được dùng rồi.",
    "rollback": "Quay lại phiên bản trước ({version})",
    "rollback_none": "Không có phiên bản trước",
    "rollback_confirm": "Bấm lần nữa để quay lại phiên bản trước",
    "rollback_running": "Đang kiểm tra và quay lại phiên bản trước…",
    "rollback_refused": "Không quay lại được: {reason}",
    "rollback_done": "Đã quay lại gói {version} ({count} thủ tục).",
    "recording": "Ghi âm câu nói",
    "unanswered_heading": "Câu hỏi máy chưa trả lời được / chưa hài lòng",
    "unanswered_none": "Chưa có câu hỏi nào.",
    "unknown_procedure": "(không rõ thủ tục)",
    "ratings_heading": "Mức hài lòng theo thủ tục",
    "ratings_none": "Chưa có đánh giá nào.",
    "export": "Xuất phản hồi ra USB (CSV)",
    "export_no_usb": "Chưa thấy USB để xuất phản hồi. Cắm USB rồi thử lại.",
    "export_failed": "Không ghi được lên USB (USB đầy hoặc chỉ đọc?).",
    "export_done": "Đã xuất phản hồi ra USB: {name}",
    "feedback_broken": "Không đọc được dữ liệu phản hồi trên máy (tệp bị khóa hoặc hỏng). "
                       "Xin báo kỹ thuật viên.",
}

BUNDLE_PHASE_VI: dict[str, str] = {  # knowledge.bundle.importer.PHASES
    "read": "Đang đọc và kiểm tra gói…", "copy": "Đang chép dữ liệu…",
    "index": "Đang tạo chỉ mục tìm kiếm…", "smoke": "Đang kiểm tra thử…",
    "activate": "Đang chuyển sang gói mới…",
}

BUNDLE_TAG_VI: dict[ErrorCode, str] = {  # one-line tag of a bundle on the stick with a version anomaly
    ErrorCode.BUNDLE_VERSION_REUSED: "TRÙNG PHIÊN BẢN đã có nhưng KHÁC NỘI DUNG",
    ErrorCode.BUNDLE_FUTURE_DATE: "NGÀY TẠO SAU ngày giờ của máy",
    ErrorCode.BUNDLE_OTHER_ID: "của ĐƠN VỊ KHÁC",
    ErrorCode.BUNDLE_DOWNGRADE: "CŨ HƠN gói đang dùng",
}

_KEEP_OLD_VI = "Máy vẫn dùng gói dữ liệu đang dùng."
# A bundle import or rollback refused: what staff read when the checker gave no sentence of its own
# (it does for most refusals: it names the file, field or version). Staff, not residents: never the
# "máy đang bảo trì" of ERRORS.
BUNDLE_ERRORS_VI: dict[ErrorCode, str] = {
    ErrorCode.BUNDLE_BUSY: "Máy đang nhập (hoặc quay lại) một gói dữ liệu. Xin chờ xong rồi thử lại; "
                           "gói đang nhập vẫn tiếp tục.",
    ErrorCode.BUNDLE_INVALID: f"Gói dữ liệu không hợp lệ. {_KEEP_OLD_VI} Xin kiểm tra lại tệp trên USB.",
    ErrorCode.BUNDLE_UNSIGNED: f"Gói dữ liệu chưa được ký. {_KEEP_OLD_VI}",
    ErrorCode.BUNDLE_SIGNATURE: f"Chữ ký của gói dữ liệu không đúng. {_KEEP_OLD_VI}",
    ErrorCode.BUNDLE_UNSAFE: f"Tệp trên USB không an toàn. {_KEEP_OLD_VI}",
    ErrorCode.BUNDLE_DAMAGED: f"Phiên bản dữ liệu đó trên máy bị hỏng. {_KEEP_OLD_VI}",
    ErrorCode.BUNDLE_DOWNGRADE: f"Gói trên USB cũ hơn gói đang dùng. {_KEEP_OLD_VI}",
    ErrorCode.BUNDLE_OTHER_ID: f"Gói trên USB là của đơn vị khác. {_KEEP_OLD_VI}",
    ErrorCode.BUNDLE_FUTURE_DATE: f"Ngày tạo gói sau ngày giờ của máy. {_KEEP_OLD_VI}",
    ErrorCode.BUNDLE_VERSION_REUSED: f"Gói trùng phiên bản đã có nhưng khác nội dung. {_KEEP_OLD_VI}",
    ErrorCode.NO_ROLLBACK: "Không có phiên bản trước để quay lại.",
    ErrorCode.DISK_FULL: "Máy hết dung lượng ổ đĩa; gói dữ liệu chưa được nhập, dữ liệu cũ vẫn dùng "
                         "bình thường. Xin báo kỹ thuật viên.",
    ErrorCode.PERMISSION_DENIED: f"Máy không có quyền ghi thư mục dữ liệu. {_KEEP_OLD_VI} "
                                 "Xin báo kỹ thuật viên.",
    ErrorCode.STORE_MISSING: f"Không mở được dữ liệu của gói. {_KEEP_OLD_VI} Xin báo kỹ thuật viên.",
    ErrorCode.STORE_CORRUPT: f"Dữ liệu của gói bị hỏng. {_KEEP_OLD_VI} Xin báo kỹ thuật viên.",
    ErrorCode.INTERNAL: "Không nhập được gói dữ liệu; dữ liệu cũ vẫn dùng bình thường. "
                        "Xin mời liên hệ kỹ thuật viên.",
}


def bundle_error_vi(code: ErrorCode | str, note: StaffNote | None = None) -> str:
    """The sentence staff read for a refused bundle import or rollback: the checker's own precise
    sentence (``note``, rendered by ``bundle_messages.staff_vi``) when it has one, else the one for
    ``code``."""
    if note is not None:
        return staff_vi(note)
    try:
        return BUNDLE_ERRORS_VI[ErrorCode(code)]
    except (ValueError, KeyError):
        return BUNDLE_ERRORS_VI[ErrorCode.INTERNAL]
