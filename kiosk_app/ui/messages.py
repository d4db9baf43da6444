"""Everything the kiosk says on screen to residents, in Vietnamese and English. No Kivy import (tests
read it). What the staff screens say (Vietnamese only) is in ``kiosk_app.ui.staff_messages``.

* ``ERRORS``: ErrorCode → a calm sentence saying what happened and what to do next.
* ``STATUS``: EventType → the status line shown while the kiosk works.
* ``UI``: labels of buttons and headings.
"""

from __future__ import annotations

from kiosk_app.core.errors import ErrorCode
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
