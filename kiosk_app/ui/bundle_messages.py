"""Vietnamese sentences for ward staff about bundles, keyed by the ``reason`` of an error or finding.

The engines (``knowledge.bundle``, ``knowledge.recordings``, ``speech.tts.take_check``) never build a
staff sentence: a ``BundleError``/``NoRollbackError``, a lint ``Issue``, a ``VersionProblem`` or a
``StaffNote`` carries a stable kebab-case ``reason`` and the values the sentence needs (``details``).
``staff_vi`` renders any of them (and take findings, ``recording_messages``) with ``str.format``
templates: ``{name}``, ``{limit:,}``, ``{created:%d/%m/%Y}``; a nested ``StaffNote`` (or a tuple of
them, joined by spaces) renders in turn; ``field`` also gives ``field_vi`` (the field's Vietnamese name).
An unknown reason (or a template its details cannot fill) falls back to a generic sentence.
No Kivy, no engine import (the CLI uses it too).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Protocol

from kiosk_app.core.errors import Detail, DiskFullError, NoRollbackError, StaffNote
from kiosk_app.ui.recording_messages import RECORDING_VI, TakeFindingLike, take_vi

log = logging.getLogger(__name__)

FALLBACK_VI = "Gói dữ liệu không hợp lệ."
NO_ROLLBACK_VI = "Không có phiên bản trước để quay lại."
DISK_FULL_VI = "Máy hết dung lượng ổ đĩa; gói dữ liệu chưa được nhập, dữ liệu cũ vẫn dùng bình thường."
FAILED_VI = "Không nhập được gói dữ liệu; dữ liệu cũ vẫn dùng bình thường. Xin mời liên hệ kỹ thuật viên."

# Vietnamese names of record fields (``field`` detail of record-missing-field / record-bad-field).
FIELD_VI: dict[str, str] = {
    "id": "mã thủ tục", "title": "tên thủ tục", "group": "nhóm", "aliases": "tên gọi thường dùng",
    "summary": "tóm tắt", "who": "người đi làm", "where": "nơi giải quyết", "documents": "giấy tờ",
    "steps": "các bước", "processing_time": "thời hạn", "fee": "lệ phí", "online": "nộp trực tuyến",
    "online_url": "địa chỉ trực tuyến", "legal_basis": "căn cứ pháp lý", "sources": "nguồn",
    "updated": "ngày cập nhật", "text": "nội dung", "status": "mức chắc chắn",
}

BUNDLE_VI: dict[str, str] = {
    "invalid": FALLBACK_VI,
    # knowledge/bundle/safezip.py
    "file-not-regular": "{name} không phải tệp gói dữ liệu thông thường; không nhập.",
    "file-not-found": "Không tìm thấy tệp {name}.",
    "file-is-dir": "{name} là thư mục, không phải tệp gói dữ liệu.",
    "file-unreadable": "Không đọc được tệp {name} (USB bị rút ra hoặc hỏng?).",
    "file-too-large": "Tệp gói dữ liệu quá lớn (trên {limit_mb:.1f} MB).",
    "zip-unsafe-path": "Gói dữ liệu chứa đường dẫn tệp không an toàn; không nhập.",
    "zip-symlink": "Gói dữ liệu chứa liên kết (symlink); không nhập.",
    "zip-special-file": "Gói dữ liệu chứa tệp đặc biệt không được phép; không nhập.",
    "zip-encrypted": "Gói dữ liệu có tệp bị mã hoá; không nhập.",
    "zip-compression": "Gói dữ liệu dùng kiểu nén không hỗ trợ; không nhập.",
    "zip-member-too-large": "Tệp {name} trong gói quá lớn khi giải nén (nghi ngờ gói độc hại); không nhập.",
    "zip-ratio": "Gói dữ liệu có tỉ lệ nén bất thường (nghi ngờ zip bomb); không nhập.",
    "zip-member-overflow": "Tệp {name} trong gói lớn bất thường khi giải nén (nghi ngờ zip bomb); không "
                           "nhập.",
    "zip-member-size-mismatch": "Tệp {name} trong gói bị hỏng hoặc bị sửa; không nhập.",
    "not-a-zip": "Tệp không phải gói dữ liệu hợp lệ hoặc bị chép thiếu; không nhập.",
    "zip-too-many-members": "Gói dữ liệu có quá nhiều tệp; không nhập.",
    "zip-duplicate": "Gói dữ liệu có hai tệp trùng tên {name}; không nhập.",
    "zip-odd-dir": "Gói dữ liệu có thư mục lạ {name}; không nhập.",
    "zip-total-too-large": "Gói dữ liệu quá lớn khi giải nén (nghi ngờ zip bomb); không nhập.",
    "zip-member-over-limit": "Tệp {name} trong gói quá lớn; không nhập.",
    "zip-member-corrupt": "Tệp {name} trong gói bị hỏng; không nhập.",
    "peek-too-large": "Tệp {name} trong gói quá lớn.",
    "peek-unreadable": "Không đọc được tệp gói dữ liệu.",
    # knowledge/bundle/limits.py (every one has ``member``)
    "text-invisible-char": "Tệp {member}, mục {where}: có ký tự ẩn hoặc ký tự đảo chiều chữ ({char}); xin "
                           "gõ lại đoạn này.",
    "text-chat-token": "Tệp {member}, mục {where}: có chuỗi điều khiển mô hình ngôn ngữ ({token}); không "
                       "được phép trong nội dung.",
    "manifest-too-large": "Tệp mô tả gói dữ liệu quá lớn (nghi ngờ gói độc hại); không nhập.",
    "manifest-corrupt": "Tệp mô tả gói dữ liệu bị hỏng.",
    "manifest-too-deep": "Tệp mô tả gói dữ liệu bị hỏng (cấu trúc lồng nhau bất thường); không nhập.",
    "npz-corrupt": "Tệp {member} trong gói bị hỏng.",
    "npz-odd-content": "Tệp {member} trong gói có nội dung lạ; không nhập.",
    "npz-too-large": "Tệp {member} trong gói lớn bất thường; không nhập.",
    "yaml-too-large": "Tệp {member} quá lớn; không nhập.",
    "yaml-unreadable": "Tệp {member} bị lỗi định dạng, không đọc được.",
    "yaml-too-many-nodes": "Tệp {member} quá phức tạp (nghi ngờ gói độc hại); không nhập.",
    "yaml-tag": "Tệp {member} dùng kiểu YAML đặc biệt ({tag}); không nhập.",
    "yaml-bad-key": "Tệp {member} có khóa YAML không hợp lệ.",
    "yaml-too-deep": "Tệp {member} lồng nhau quá sâu (nghi ngờ gói độc hại); không nhập.",
    "yaml-several-docs": "Tệp {member} chứa nhiều bản ghi.",
    "yaml-bad-value": "Tệp {member} có giá trị không đọc được.",
    "yaml-too-much-text": "Tệp {member} có quá nhiều chữ (trên {limit:,} ký tự); không nhập.",
    "yaml-alias": "Tệp {member} dùng tham chiếu YAML (& hoặc *), không được phép; không nhập.",
    "yaml-key-too-long": "Tệp {member} có khóa YAML quá dài.",
    "yaml-duplicate-key": "Tệp {member}: trường \"{key}\" được ghi hai lần; xin chỉ ghi một lần.",
    "text-too-long": "Tệp {member}, mục {where}: nội dung quá dài ({length:,} ký tự, tối đa {limit:,}).",
    "yaml-list-too-long": "Tệp {member}: danh sách {list} quá dài; không nhập.",
    # knowledge/bundle/schema.py
    "out-of-scope-field": "Tệp {member} (câu hỏi ngoài phạm vi) sai ở trường {loc}.",
    "record-not-mapping": "Tệp {member} không phải một bản ghi.",
    "record-missing-field": "Bản ghi {rid} thiếu trường {field_vi}.",
    "record-bad-field": "Bản ghi {rid}: trường {field_vi} không hợp lệ ({loc}).",
    "records-dir-empty": "Thư mục {dir} không có bản ghi nào.",
    "duplicate-id": "Mã thủ tục {rid} bị trùng.",
    "manifest-field": "Tệp mô tả gói dữ liệu sai ở trường {loc}.",
    "manifest-odd-member": "Gói dữ liệu có tệp {name} mà máy không dùng tới; không nhập.",
    "too-many-records": "Gói dữ liệu có quá nhiều thủ tục; không nhập.",
    "manifest-missing": "Gói dữ liệu thiếu tệp mô tả (manifest).",
    "checksum": "Tệp {name} bị thay đổi hoặc hỏng (sai mã kiểm tra).",
    "record-name-mismatch": "Tệp {name} không khớp mã thủ tục {rid}.",
    "too-much-text": "Gói dữ liệu có quá nhiều chữ; không nhập.",
    "record-count": "Số bản ghi trong gói không khớp với tệp mô tả.",
    "member-not-listed": "Tệp {name} không có trong danh sách của gói.",
    "member-missing": "Gói dữ liệu thiếu tệp {name}.",
    # knowledge/bundle/excel.py (``where`` is the row label, e.g. "Dòng 5 (khai-sinh)")
    "excel-bad-date": "{where}, cột Ngày cập nhật: \"{value}\" không đúng dạng 2026-11-23.",
    "excel-side-lines": "{where}, cột {column} ({side}): số dòng nhiều hơn cột chính.",
    "excel-unreadable": "Không mở được tệp Excel {name}.",
    "excel-no-sheet": "Tệp Excel {name} không có trang \"{sheet}\".",
    "excel-no-header": "Trang \"{sheet}\" thiếu dòng tiêu đề.",
    "excel-missing-columns": "Dòng {row} của trang \"{sheet}\" thiếu cột: {columns} (không được sửa dòng "
                             "này).",
    "excel-empty": "Trang \"{sheet}\" chưa có thủ tục nào.",
    # knowledge/bundle/build.py, version_folders.py
    "build-source-kind": "{name} không phải thư mục bản ghi hoặc tệp Excel (.xlsx).",
    "busy": "Đang nhập một gói dữ liệu khác; xin chờ một chút.",
    # knowledge/bundle/signing.py
    "key-exists": "Tệp khóa {name} đã có; không ghi đè.",
    "key-unreadable": "Không đọc được tệp khóa {name}.",
    "key-not-pem": "Tệp {name} không phải khóa ký hợp lệ.",
    "key-not-ed25519": "Tệp {name} không phải khóa Ed25519.",
    "pubkey-unreadable": "Không đọc được tệp khóa công khai {name}.",
    "pubkey-not-pem": "Tệp {name} không phải khóa công khai hợp lệ.",
    "pubkey-not-ed25519": "Tệp {name} không phải khóa công khai Ed25519.",
    "sig-not-base64": "Chữ ký của gói dữ liệu bị hỏng.",
    "sig-wrong-length": "Chữ ký của gói dữ liệu bị hỏng.",
    "no-trusted-key": "Máy chưa được cài khóa công khai để kiểm tra chữ ký. Xin mời liên hệ kỹ thuật viên.",
    "sig-mismatch": "Chữ ký của gói dữ liệu không hợp lệ (gói đã bị sửa hoặc ký bằng khóa khác); không nhập.",
    "unsigned": "Gói dữ liệu chưa được ký.",
    "model-pack-unsigned": "Gói mô hình chưa được ký.",
    "sig-too-large": "Chữ ký bị hỏng.",
    # knowledge/bundle/importer.py
    "smoke-cannot-open": "Kiểm tra thử thất bại: máy không mở được gói dữ liệu vừa nhập; dữ liệu cũ vẫn "
                         "dùng bình thường.",
    "smoke-title-not-found": "Kiểm tra thử thất bại: không tìm thấy thủ tục {rid} theo tên của nó.",
    "smoke-no-answer": "Kiểm tra thử thất bại: máy không trả lời được câu hỏi thử.",
    "smoke-failed": "Kiểm tra thử thất bại: máy lỗi khi trả lời câu hỏi thử; dữ liệu cũ vẫn dùng bình "
                    "thường.",
    "index-failed": "Không tạo được chỉ mục tìm kiếm cho gói dữ liệu này.",
    "write-failed": "Không ghi được dữ liệu lên máy; dữ liệu cũ vẫn dùng bình thường.",
    "activate-failed": "Không chuyển được sang gói dữ liệu mới; dữ liệu cũ vẫn dùng bình thường.",
    # knowledge/bundle/version_policy.py (VersionProblem: keyed by its ErrorCode)
    "bundle-version-reused": "Gói có phiên bản {version} giống gói đã có trên máy nhưng nội dung khác. Gói "
                             "đã sửa phải mang phiên bản mới: xin tạo lại gói với phiên bản mới hơn. Máy "
                             "vẫn dùng dữ liệu hiện tại.",
    "bundle-future-date": "Gói {version} ghi ngày tạo {created:%d/%m/%Y}, sau ngày giờ của máy "
                          "({now:%d/%m/%Y}). Có thể đồng hồ của máy bị sai (máy không có pin giữ giờ khi "
                          "tắt): xin kiểm tra ngày giờ của máy. Nếu ngày giờ của máy sai mà gói đúng là "
                          "gói mới, xin xác nhận để vẫn nhập.",
    "bundle-other-id": "Gói này mang tên \"{bundle_id}\", khác gói đang dùng \"{active_id}\" (có thể là "
                       "gói của đơn vị khác). Nếu đúng là muốn đổi sang gói này, xin xác nhận.",
    "bundle-downgrade": "Gói {version} (tạo ngày {created:%d/%m/%Y}) cũ hơn gói đang dùng "
                        "{active_version}; chưa nhập. Nếu đúng là muốn quay về gói cũ, xin xác nhận lại.",
    "version-problems": "{problems}",
    # knowledge/bundle/version_check.py (a kept version folder's damage)
    "kept-sample-changed": "Dữ liệu mẫu trên máy đã bị thay đổi.",
    "kept-signature-removed": "Chữ ký của gói dữ liệu trên máy đã bị xoá.",
    "kept-member-changed": "Tệp {name} trên máy đã bị thay đổi hoặc hỏng.",
    "kept-unreadable": "Không đọc được dữ liệu của phiên bản này trên thẻ nhớ của máy.",
    "kept-folder-missing": "Thư mục của phiên bản này không còn trên máy.",
    "kept-incomplete": "Phiên bản này thiếu tệp (nhập chưa xong hoặc mất chỉ mục tìm kiếm).",
    "kept-manifest-changed": "Tệp mô tả gói (manifest.json) đã bị thay đổi sau khi nhập.",
    "kept-index-damaged": "Chỉ mục tìm kiếm của phiên bản này bị hỏng.",
    # knowledge/bundle/versions.py (NoRollbackError, BundleDamagedError)
    "no-previous": "Không có phiên bản trước để quay lại.",
    "version-ambiguous": "Có nhiều phiên bản khớp với {wanted}: {matches}. Xin ghi đúng tên thư mục.",
    "no-such-version": "Không có phiên bản {wanted} trên máy. Các phiên bản đang lưu: {versions}.",
    "no-such-version-none-kept": "Không có phiên bản {wanted} trên máy. Các phiên bản đang lưu: (không có).",
    "kept-damaged": "Phiên bản {label} trên máy bị hỏng. {problem} Máy vẫn dùng {active} như cũ; muốn dùng "
                    "lại phiên bản đó thì nhập lại tệp gói của nó từ USB.",
    "kept-damaged-no-active": "Phiên bản {label} trên máy bị hỏng. {problem} Máy vẫn dùng dữ liệu hiện "
                              "tại; muốn dùng lại phiên bản đó thì nhập lại tệp gói của nó từ USB.",
    "active-damaged": "Gói dữ liệu đang dùng trên máy đã bị thay đổi ({problem}) và không có phiên bản cũ "
                      "nào dùng được. Xin mời nhập lại gói dữ liệu có chữ ký từ USB.",
    "vectors-corrupt": "Tệp {name} trong gói bị hỏng.",
    # knowledge/bundle/lint.py (every issue has ``rid``)
    "duplicate-title": "Bản ghi {rid}: tên thủ tục \"{title}\" trùng với bản ghi khác.",
    "duplicate-alias": "Bản ghi {rid}: tên gọi \"{alias}\" trùng với bản ghi {other}; máy có thể nhầm.",
    "few-examples": "Bản ghi {rid} chỉ có {count} câu hỏi mẫu; nên có ít nhất {min} câu người dân hay hỏi "
                    "để máy nhận ra thủ tục.",
    "online-url-host": "Bản ghi {rid}: địa chỉ trực tuyến (mã QR) không được phép: phải là https:// trên "
                       "trang {hosts}.",
    "source-url": "Bản ghi {rid}: địa chỉ của nguồn {source} không hợp lệ.",
    "fee-missing": "Bản ghi {rid} thiếu trường lệ phí.",
    "fee-no-amount": "Bản ghi {rid}: lệ phí không có số tiền cũng không ghi \"miễn\"; xin kiểm tra lại.",
    "empty-fact": "Bản ghi {rid} có một mục để trống.",
    "time-no-duration": "Bản ghi {rid}: thời hạn giải quyết không có số ngày; xin kiểm tra lại.",
    "source-uncited": "Bản ghi {rid}: nguồn {source} có trong danh sách nhưng không mục nào dùng.",
    "say-numbers": "Bản ghi {rid}, mục {path}: câu đọc ({form}) nói số {numbers} mà nội dung của mục không "
                   "có. Câu đọc chỉ được dùng đúng các con số có trong nội dung; xin sửa lại.",
    "updated-future": "Bản ghi {rid}: ngày cập nhật {updated:%d/%m/%Y} ở tương lai.",

    # kiosk_app/commands (the CLI's own refusals)
    "cli-not-found": "Không tìm thấy {path}.",
    "cli-unreadable": "Không đọc được {path}.",
    "cli-write-failed": "Không ghi được tệp {path}.",
    "cli-export-failed": "Không ghi được tệp xuất ra.",
    "cli-no-active-bundle": "Máy chưa có gói dữ liệu nào đang dùng.",
}

STAFF_VI: dict[str, str] = {**BUNDLE_VI, **RECORDING_VI}  # every reason key; test: no key in both


class Keyed(Protocol):
    """An error or finding that says why by key: ``BundleError``, ``Issue``, ``VersionProblem``, …"""

    @property
    def reason(self) -> str: ...

    @property
    def details(self) -> Mapping[str, Detail]: ...


def _value(v: Detail) -> object:
    if isinstance(v, StaffNote):
        return render(v.reason, v.details)
    if isinstance(v, tuple):
        return " ".join(render(n.reason, n.details) for n in v)
    return v


def render(reason: str, details: Mapping[str, Detail], fallback: str = FALLBACK_VI) -> str:
    """The sentence for ``reason`` filled with ``details``; ``fallback`` for an unknown reason."""
    template = STAFF_VI.get(reason)
    if template is None:
        return fallback
    values = {k: _value(v) for k, v in details.items()}
    field = details.get("field")
    if isinstance(field, str):
        values["field_vi"] = FIELD_VI.get(field, field)
    try:
        return template.format_map(values)
    except (KeyError, ValueError, IndexError, AttributeError) as err:  # a detail missing or of another type
        log.warning("staff sentence %s cannot be filled (%s: %s)", reason, type(err).__name__, err)
        return fallback


def staff_vi(item: Keyed | TakeFindingLike | StaffNote | BaseException) -> str:
    """The Vietnamese sentence for ward staff for any bundle/recording error or finding."""
    if isinstance(item, DiskFullError):
        return DISK_FULL_VI
    if isinstance(item, StaffNote):
        return render(item.reason, item.details)
    if hasattr(item, "differing") and hasattr(item, "heard"):
        return take_vi(item)  # type: ignore[arg-type]
    reason, details = getattr(item, "reason", None), getattr(item, "details", None)
    if isinstance(reason, str) and isinstance(details, Mapping):
        return render(reason, details, NO_ROLLBACK_VI if isinstance(item, NoRollbackError) else FALLBACK_VI)
    return FAILED_VI
