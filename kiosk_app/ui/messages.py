"""Everything the kiosk says on screen, in Vietnamese and English. No Kivy import (tests read it).

* ``ERRORS``: ErrorCode → a calm sentence saying what happened and what to do next.
* ``STATUS``: EventType → the status line shown while the kiosk works.
* ``UI``: labels of buttons and headings.
"""

from __future__ import annotations

from kiosk_app.core.errors import ErrorCode, StaffNote
from kiosk_app.core.events import EventType

LANGUAGES = ("vi", "en")

_MAINTENANCE_VI = "Máy đang bảo trì. Xin mời hỏi cán bộ tại quầy, xin cảm ơn."
_MAINTENANCE_EN = "This kiosk is under maintenance. Please ask the staff at the counter. Thank you."

ERRORS: dict[str, dict[ErrorCode, str]] = {
    "vi": {
        ErrorCode.NO_SPEECH: "Xin lỗi, máy chưa nghe thấy câu hỏi. Xin mời bấm nút và nói lại, "
                             "nói gần micrô hơn một chút.",
        ErrorCode.SPEECH_TOO_LONG: "Câu hỏi hơi dài. Xin mời hỏi lại ngắn gọn, "
                                   "ví dụ: “làm khai sinh cần giấy tờ gì”.",
        ErrorCode.NO_MATCH: "Máy chưa tìm thấy thủ tục phù hợp. Xin mời hỏi cách khác, "
                            "tra cứu theo chủ đề, hoặc hỏi cán bộ tại quầy.",
        ErrorCode.MIC_MISSING: "Micrô chưa sẵn sàng. Xin mời bấm “Tra cứu” để chọn thủ tục, "
                               "hoặc hỏi cán bộ tại quầy.",
        ErrorCode.MIC_FAILED: "Micrô vừa bị gián đoạn. Xin mời bấm nút và hỏi lại, "
                              "hoặc bấm “Tra cứu” để chọn thủ tục.",
        ErrorCode.ASR_FAILED: "Máy chưa nghe rõ câu hỏi. Xin mời hỏi lại, "
                              "hoặc bấm “Tra cứu” để chọn thủ tục.",
        ErrorCode.TTS_FAILED: "Máy không đọc thành tiếng được lúc này. "
                              "Xin mời đọc câu trả lời trên màn hình.",
        ErrorCode.PLAYBACK_FAILED: "Loa đang gặp trục trặc. Xin mời đọc câu trả lời trên màn hình.",
        ErrorCode.LLM_TIMEOUT: "Máy trả lời chậm. Xin mời đọc câu trả lời trên màn hình "
                               "hoặc hỏi lại.",
        ErrorCode.LLM_FAILED: "Máy chưa soạn được câu trả lời. Xin mời hỏi lại "
                              "hoặc hỏi cán bộ tại quầy.",
        ErrorCode.CANCELLED: "Đã dừng. Xin mời bấm nút khi muốn hỏi tiếp.",
        ErrorCode.INTERNAL: "Máy vừa gặp trục trặc nhỏ. Xin mời thử lại, "
                            "nếu vẫn chưa được thì hỏi cán bộ tại quầy.",
        ErrorCode.SETTINGS_INVALID: _MAINTENANCE_VI,
        ErrorCode.MODEL_MISSING: _MAINTENANCE_VI,
        ErrorCode.MODEL_CHECKSUM: _MAINTENANCE_VI,
        ErrorCode.AUDIO_INVALID: "Máy không đọc được âm thanh này. Xin mời bấm nút và nói lại.",
        ErrorCode.STORE_MISSING: _MAINTENANCE_VI,
        ErrorCode.STORE_CORRUPT: _MAINTENANCE_VI,
        ErrorCode.BUNDLE_INVALID: "Gói dữ liệu không hợp lệ. Máy vẫn dùng dữ liệu cũ. "
                                  "Xin mời cán bộ kiểm tra lại tệp.",
        ErrorCode.BUNDLE_UNSIGNED: "Gói dữ liệu chưa được ký. Máy vẫn dùng dữ liệu cũ.",
        ErrorCode.BUNDLE_SIGNATURE: "Chữ ký của gói dữ liệu không đúng. Máy vẫn dùng dữ liệu cũ.",
        ErrorCode.BUNDLE_UNSAFE: "Tệp trên USB không an toàn. Máy vẫn dùng dữ liệu cũ.",
        ErrorCode.DISK_FULL: "Bộ nhớ máy đã đầy. Máy vẫn dùng dữ liệu cũ. Xin mời báo kỹ thuật viên.",
        ErrorCode.NO_ROLLBACK: "Không có phiên bản dữ liệu cũ để quay lại.",
        ErrorCode.BUNDLE_DAMAGED: "Phiên bản dữ liệu đó trên máy bị hỏng nên không dùng được. "
                                  "Máy vẫn dùng dữ liệu hiện tại.",
        ErrorCode.BUNDLE_DOWNGRADE: "Gói dữ liệu trên USB cũ hơn gói đang dùng. Máy vẫn dùng dữ liệu "
                                    "hiện tại; cán bộ cần xác nhận nếu muốn dùng gói cũ.",
        ErrorCode.BUNDLE_OTHER_ID: "Gói dữ liệu trên USB là của đơn vị khác. Máy vẫn dùng dữ liệu hiện tại; "
                                   "cán bộ cần xác nhận nếu muốn đổi.",
        ErrorCode.BUNDLE_FUTURE_DATE: "Ngày tạo gói dữ liệu sau ngày giờ của máy (đồng hồ của máy có thể "
                                      "sai). Máy vẫn dùng dữ liệu hiện tại.",
        ErrorCode.BUNDLE_VERSION_REUSED: "Gói dữ liệu trùng phiên bản với gói đã có nhưng nội dung khác. "
                                         "Máy vẫn dùng dữ liệu hiện tại.",
        ErrorCode.PERMISSION_DENIED: "Máy đang bảo trì do lỗi cài đặt quyền truy cập. "
                                     "Xin mời hỏi cán bộ tại quầy, xin cảm ơn.",
        ErrorCode.PIN_HASH_INVALID: "Mã PIN cán bộ trên máy bị hỏng. Xin mời báo kỹ thuật viên đặt lại.",
        ErrorCode.PIN_WEAK: "Mã PIN quá dễ đoán. Xin chọn mã khác (ít nhất 6 chữ số).",
        ErrorCode.BUNDLE_BUSY: "Máy đang nhập một gói dữ liệu khác. Xin chờ xong rồi thử lại.",
    },
    "en": {
        ErrorCode.NO_SPEECH: "Sorry, I did not hear a question. Please press the button and speak again, "
                             "a little closer to the microphone.",
        ErrorCode.SPEECH_TOO_LONG: "That question was long. Please ask again in a few words.",
        ErrorCode.NO_MATCH: "I could not find a matching procedure. Please ask another way, browse "
                            "the topics, or ask the staff at the counter.",
        ErrorCode.MIC_MISSING: "The microphone is not ready. Please press “Browse” to choose a "
                               "procedure, or ask the staff at the counter.",
        ErrorCode.MIC_FAILED: "The microphone stopped. Please press the button and ask again, "
                              "or press “Browse”.",
        ErrorCode.ASR_FAILED: "I could not understand the question. Please ask again or press “Browse”.",
        ErrorCode.TTS_FAILED: "I cannot speak right now. Please read the answer on the screen.",
        ErrorCode.PLAYBACK_FAILED: "The speaker has a problem. Please read the answer on the screen.",
        ErrorCode.LLM_TIMEOUT: "The answer is slow. Please read the answer on the screen or ask again.",
        ErrorCode.LLM_FAILED: "I could not prepare an answer. Please ask again or ask the staff.",
        ErrorCode.CANCELLED: "Stopped. Press the button when you want to ask again.",
        ErrorCode.INTERNAL: "Something went wrong. Please try again; if it still fails, ask the staff "
                            "at the counter.",
        ErrorCode.SETTINGS_INVALID: _MAINTENANCE_EN,
        ErrorCode.MODEL_MISSING: _MAINTENANCE_EN,
        ErrorCode.MODEL_CHECKSUM: _MAINTENANCE_EN,
        ErrorCode.AUDIO_INVALID: "I could not read that sound. Please press the button and speak again.",
        ErrorCode.STORE_MISSING: _MAINTENANCE_EN,
        ErrorCode.STORE_CORRUPT: _MAINTENANCE_EN,
        ErrorCode.BUNDLE_INVALID: "The data bundle is not valid. The kiosk keeps the old data.",
        ErrorCode.BUNDLE_UNSIGNED: "The data bundle is not signed. The kiosk keeps the old data.",
        ErrorCode.BUNDLE_SIGNATURE: "The bundle signature is wrong. The kiosk keeps the old data.",
        ErrorCode.BUNDLE_UNSAFE: "The file on the USB stick is not safe. The kiosk keeps the old data.",
        ErrorCode.DISK_FULL: "The kiosk's storage is full. The kiosk keeps the old data.",
        ErrorCode.NO_ROLLBACK: "There is no older data version to go back to.",
        ErrorCode.BUNDLE_DAMAGED: "That data version on the kiosk is damaged. "
                                  "The kiosk keeps the current data.",
        ErrorCode.BUNDLE_DOWNGRADE: "The data bundle on the USB stick is older than the one in use. "
                                    "The kiosk keeps the current data.",
        ErrorCode.BUNDLE_OTHER_ID: "The data bundle on the USB stick belongs to another office. "
                                   "The kiosk keeps the current data.",
        ErrorCode.BUNDLE_FUTURE_DATE: "The data bundle is dated after the kiosk's clock (the clock may be "
                                      "wrong). The kiosk keeps the current data.",
        ErrorCode.BUNDLE_VERSION_REUSED: "The data bundle reuses a version number with other content. "
                                         "The kiosk keeps the current data.",
        ErrorCode.PERMISSION_DENIED: "This kiosk is under maintenance (a set-up problem). "
                                     "Please ask the staff at the counter. Thank you.",
        ErrorCode.PIN_HASH_INVALID: "The staff PIN on this kiosk is damaged. Please ask a technician "
                                    "to set it again.",
        ErrorCode.PIN_WEAK: "That PIN is too easy to guess. Please choose another (at least 6 digits).",
        ErrorCode.BUNDLE_BUSY: "Another data bundle is being imported. Please wait until it is done.",
    },
}

# Errors that mean the kiosk cannot answer anyone until a technician or staff acts.
MAINTENANCE: frozenset[ErrorCode] = frozenset({
    ErrorCode.SETTINGS_INVALID, ErrorCode.MODEL_MISSING, ErrorCode.MODEL_CHECKSUM,
    ErrorCode.STORE_MISSING, ErrorCode.STORE_CORRUPT, ErrorCode.PERMISSION_DENIED,
})
# Errors after which the answer is still on screen; only the voice failed.
VOICE_ONLY: frozenset[ErrorCode] = frozenset({
    ErrorCode.TTS_FAILED, ErrorCode.PLAYBACK_FAILED, ErrorCode.LLM_TIMEOUT,
})

STATUS: dict[str, dict[EventType, str]] = {
    "vi": {
        EventType.LISTENING: "Xin mời nói câu hỏi…",
        EventType.AUDIO_LEVEL: "Máy đang nghe…",
        EventType.PARTIAL_TRANSCRIPT: "Máy đang nghe…",
        EventType.SPEECH_ENDED: "Đã nghe xong, đang xử lý…",
        EventType.TRANSCRIBED: "Đang tìm câu trả lời…",
        EventType.THINKING: "Đang tìm câu trả lời…",
        EventType.ANSWER_READY: "Đã có câu trả lời.",
        EventType.ANSWER_FINAL: "Đã có câu trả lời.",
        EventType.SPEAKING: "Máy đang đọc câu trả lời…",
        EventType.SPEAKING_FINISHED: "Đã đọc xong.",
        EventType.FAILED: "Có trục trặc.",
        EventType.IDLE: "",
        EventType.MIC_STATUS: "",
        EventType.BUNDLE_ACTIVATED: "Đã cập nhật dữ liệu thủ tục.",
        EventType.BUNDLE_PROGRESS: "Đang nhập gói dữ liệu…",
        EventType.BUNDLE_DONE: "Đã nhập gói dữ liệu.",
        EventType.BUNDLE_REFUSED: "Không nhập được gói dữ liệu.",
    },
    "en": {
        EventType.LISTENING: "Please ask your question…",
        EventType.AUDIO_LEVEL: "Listening…",
        EventType.PARTIAL_TRANSCRIPT: "Listening…",
        EventType.SPEECH_ENDED: "Got it, working…",
        EventType.TRANSCRIBED: "Looking for the answer…",
        EventType.THINKING: "Looking for the answer…",
        EventType.ANSWER_READY: "Here is the answer.",
        EventType.ANSWER_FINAL: "Here is the answer.",
        EventType.SPEAKING: "Reading the answer aloud…",
        EventType.SPEAKING_FINISHED: "Finished reading.",
        EventType.FAILED: "Something went wrong.",
        EventType.IDLE: "",
        EventType.MIC_STATUS: "",
        EventType.BUNDLE_ACTIVATED: "Procedure data updated.",
        EventType.BUNDLE_PROGRESS: "Importing a data bundle…",
        EventType.BUNDLE_DONE: "Data bundle imported.",
        EventType.BUNDLE_REFUSED: "The data bundle was not imported.",
    },
}

UI: dict[str, dict[str, str]] = {
    "vi": {
        "app_title": "Hỏi đáp thủ tục hành chính",
        "ask": "Bấm để hỏi",
        "ask_hint": "Bấm nút rồi nói câu hỏi",
        "mic_hint": "Micrô chưa sẵn sàng: xin bấm “Tra cứu chủ đề”",
        "examples": "Hoặc bấm một câu hỏi mẫu:",
        "browse": "Tra cứu chủ đề",
        "type": "Gõ câu hỏi",
        "hours_label": "Giờ làm việc: ",
        "hours_unknown": "Giờ làm việc: xin hỏi cán bộ tại quầy",
        "lang_vi": "Tiếng Việt",
        "lang_en": "English",
        "sample_data": "Dữ liệu mẫu — xin kiểm tra lại với cán bộ",
        "loading": "Máy đang khởi động, xin chờ một chút…",
        "stop": "Dừng",
        "you_said": "Câu hỏi: ",
        "replay": "Nghe lại",
        "stop_speaking": "Dừng đọc",
        "slower": "Nói chậm hơn",
        "new_question": "Hỏi câu khác",
        "not_right": "Chưa đúng ý tôi",
        "did_you_mean": "Có phải muốn hỏi một trong các thủ tục sau? Xin bấm chọn:",
        "no_alternatives": "Máy không có gợi ý khác. Xin mời hỏi lại cách khác, "
                           "tra cứu theo chủ đề, hoặc hỏi cán bộ tại quầy.",
        "refer_title": "Xin mời hỏi cán bộ tại quầy",
        "hedged_banner": "Có thông tin chưa chắc chắn — xin hỏi lại cán bộ tại quầy.",
        "uncertain": " (chưa chắc chắn — xin hỏi cán bộ)",
        "unsourced": "Chưa có thông tin chính thức",
        "sec_summary": "Tóm tắt",
        "sec_who": "Ai đi làm",
        "sec_documents": "Giấy tờ cần mang",
        "sec_documents_vi": "Giấy tờ (tiếng Việt)",
        "sec_steps": "Các bước",
        "sec_time": "Thời hạn giải quyết",
        "sec_fee": "Lệ phí",
        "sec_fee_details": "Chi tiết lệ phí",
        "sec_exemptions": "Miễn, giảm",
        "sec_where": "Nơi nộp hồ sơ",
        "sec_online": "Làm trực tuyến",
        "sec_notes": "Lưu ý",
        "sec_legal": "Căn cứ pháp lý",
        "sec_sources": "Nguồn",
        "updated": "Thông tin cập nhật ngày ",
        "qr_hint": "Quét mã để làm trực tuyến",
        "back": "Quay lại",
        "home": "Về trang đầu",
        "topics": "Chọn chủ đề",
        "procedures_in": "Thủ tục về ",
        "no_data": "Chưa có dữ liệu thủ tục.",
        "type_title": "Gõ câu hỏi (không cần dấu)",
        "type_placeholder": "Ví dụ: lam giay khai sinh",
        "send": "Hỏi",
        "delete": "Xoá",
        "clear": "Xoá hết",
        "space": "Dấu cách",
        "feedback_q": "Câu trả lời có giúp ích không?",
        "rate_good": "Hài lòng",
        "rate_ok": "Bình thường",
        "rate_bad": "Chưa hài lòng",
        "skip": "Bỏ qua",
        "thanks": "Cảm ơn! Chúc một ngày tốt lành.",
        "retry": "Hỏi lại",
        "error_code": "Mã lỗi cho cán bộ: ",
        "pin_title": "Mã PIN cán bộ",
        "pin_wrong": "Mã PIN không đúng.",
        "pin_locked": "Nhập sai nhiều lần. Xin chờ một phút.",
        "pin_locked_min": "Nhập sai nhiều lần. Xin chờ {n} phút rồi thử lại.",
        "pin_checking": "Đang kiểm tra…",
        "ok": "Đồng ý",
        "cancel": "Huỷ",
    },
    "en": {
        "app_title": "Ask about ward procedures",
        "ask": "Tap to ask",
        "ask_hint": "Tap, then say your question",
        "mic_hint": "The microphone is not ready: please use “Browse topics”",
        "examples": "Or press an example question:",
        "browse": "Browse topics",
        "type": "Type a question",
        "hours_label": "Opening hours: ",
        "hours_unknown": "Opening hours: ask at the counter",
        "lang_vi": "Tiếng Việt",
        "lang_en": "English",
        "sample_data": "Sample data — please check with the staff",
        "loading": "Starting up, please wait…",
        "stop": "Stop",
        "you_said": "Question: ",
        "replay": "Listen again",
        "stop_speaking": "Stop reading",
        "slower": "Speak slower",
        "new_question": "Ask another",
        "not_right": "Not what I meant",
        "did_you_mean": "Did you mean one of these procedures? Please choose:",
        "no_alternatives": "No other suggestion. Please ask another way, browse the topics, "
                           "or ask the staff at the counter.",
        "refer_title": "Please ask the staff at the counter",
        "hedged_banner": "Some information is uncertain — please check with the staff.",
        "uncertain": " (uncertain — please ask the staff)",
        "unsourced": "No official information yet",
        "sec_summary": "Summary",
        "sec_who": "Who can apply",
        "sec_documents": "Documents to bring",
        "sec_documents_vi": "The same documents in Vietnamese (show this to the staff)",
        "sec_steps": "Steps",
        "sec_time": "Processing time",
        "sec_fee": "Fee",
        "sec_fee_details": "Fee details",
        "sec_exemptions": "Exemptions",
        "sec_where": "Where to apply",
        "sec_online": "Online",
        "sec_notes": "Notes",
        "sec_legal": "Legal basis",
        "sec_sources": "Sources",
        "updated": "Information updated on ",
        "qr_hint": "Scan to apply online",
        "back": "Back",
        "home": "Home",
        "topics": "Choose a topic",
        "procedures_in": "Procedures: ",
        "no_data": "No procedure data yet.",
        "type_title": "Type your question",
        "type_placeholder": "For example: birth certificate",
        "send": "Ask",
        "delete": "Delete",
        "clear": "Clear",
        "space": "Space",
        "feedback_q": "Was the answer helpful?",
        "rate_good": "Helpful",
        "rate_ok": "OK",
        "rate_bad": "Not helpful",
        "skip": "Skip",
        "thanks": "Thank you! Have a nice day.",
        "retry": "Ask again",
        "error_code": "Error code for the staff: ",
        "pin_title": "Staff PIN",
        "pin_wrong": "Wrong PIN.",
        "pin_locked": "Too many wrong PINs. Please wait a minute.",
        "pin_locked_min": "Too many wrong PINs. Please wait {n} min and try again.",
        "pin_checking": "Checking…",
        "ok": "OK",
        "cancel": "Cancel",
    },
}

# Example questions on the home screen, as residents say them (each matches a sample procedure).
EXAMPLES: dict[str, tuple[str, ...]] = {
    "vi": ("Khai sinh cần giấy tờ gì?",
           "Đăng ký tạm trú ở đâu?",
           "Chứng thực mất bao tiền?"),
    "en": ("Birth registration papers?",
           "Where to register residence?",
           "Certified copy fee?"),
}

GROUPS_EN: dict[str, str] = {
    "hộ tịch": "Civil status (birth, marriage, death)",
    "chứng thực": "Certified copies and signatures",
    "cư trú": "Residence registration",
    "chính sách xã hội": "Social support",
    "đất đai - xây dựng": "Land and construction",
    "kinh doanh": "Business",
    "hướng dẫn chung": "General guidance",
}


def error_message(code: ErrorCode | str, language: str = "vi") -> str:
    table = ERRORS.get(language, ERRORS["vi"])
    try:
        return table[ErrorCode(code)]
    except (ValueError, KeyError):
        return table[ErrorCode.INTERNAL]


def status_line(event_type: EventType | str, language: str = "vi") -> str:
    table = STATUS.get(language, STATUS["vi"])
    try:
        return table[EventType(event_type)]
    except (ValueError, KeyError):
        return ""


def ui_text(language: str) -> dict[str, str]:
    return dict(UI.get(language, UI["vi"]))


def group_name(group: str, language: str = "vi") -> str:
    if language == "en":
        return GROUPS_EN.get(group, group)
    return group[:1].upper() + group[1:]


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
        from kiosk_app.ui.bundle_messages import staff_vi

        return staff_vi(note)
    try:
        return BUNDLE_ERRORS_VI[ErrorCode(code)]
    except (ValueError, KeyError):
        return BUNDLE_ERRORS_VI[ErrorCode.INTERNAL]
