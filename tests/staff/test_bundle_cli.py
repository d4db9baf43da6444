"""``kiosk bundle …`` as a clerk and a technician use it: exit codes, messages, what changes on disk."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk_app.cli import main
from knowledge import importer
from tests.staff.staff_cases import fake_indexer, no_smoke

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "knowledge" / "sample" / "records"
Kiosk = Callable[..., tuple[int, str, str]]  # run("import", FILE, stdin="y\n") -> (exit code, stdout, stderr)


@pytest.fixture
def kiosk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Kiosk:
    monkeypatch.setenv("KIOSK_DATA_DIR", str(tmp_path / "kiosk"))
    monkeypatch.setenv("KIOSK_CONFIG", "")
    monkeypatch.setattr(importer, "_default_indexer", fake_indexer)  # the real index: test_import_real.py
    monkeypatch.setattr(importer, "smoke_test", no_smoke)

    def run(*argv: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = main(["bundle", *argv])
        got = capsys.readouterr()
        return code, got.out, got.err
    return run


def test_clerk_workflow_build_sign_trust_import_rollback(kiosk: Kiosk, tmp_path: Path) -> None:
    keys, usb = tmp_path / "office", tmp_path / "usb"
    code, out, _ = kiosk("keygen", "--out", str(keys))
    assert code == 0 and "bundle-signing.key" in out
    code, out, _ = kiosk("build", str(SAMPLE), "--out", str(usb / "v1.wkb"), "--sign",
                         str(keys / "bundle-signing.key"), "--version", "1")
    assert code == 0 and "Đã tạo gói ward@1" in out and "signed by key" in out
    code, _, err = kiosk("import", str(usb / "v1.wkb"), "--yes")  # key not trusted yet
    assert code == 1 and "[bundle-signature]" in err and "kiosk bundle trust" in err
    assert kiosk("trust", str(keys / "bundle-signing.pub"))[0] == 0
    code, out, _ = kiosk("verify", str(usb / "v1.wkb"))
    assert code == 0 and out.strip().splitlines()[-1].startswith("OK: ward@1")
    code, out, _ = kiosk("import", str(usb / "v1.wkb"), "--yes")
    assert code == 0 and "Đã nhập và kích hoạt ward@1" in out
    kiosk("build", str(SAMPLE), "--out", str(usb / "v2.wkb"), "--sign", str(keys / "bundle-signing.key"),
          "--version", "2")
    code, _, err = kiosk("import", str(usb / "v2.wkb"), stdin="n\n")  # the clerk says no
    assert code == 1 and "cancelled" in err
    code, out, _ = kiosk("import", str(usb / "v2.wkb"), stdin="y\n")
    assert code == 0 and "Phiên bản trước: ward@1" in out
    code, out, _ = kiosk("status", "--json")
    st = json.loads(out)
    assert code == 0 and st["current"]["label"] == "ward@2" and st["previous"]["label"] == "ward@1"
    assert st["current"]["signed_by"] and st["problems"] == []
    code, out, _ = kiosk("rollback", "--yes")
    assert code == 0 and "Đã quay lại ward@1" in out
    assert json.loads(kiosk("status", "--json")[1])["current"]["label"] == "ward@1"


def test_build_refuses_a_folder_with_a_broken_record_and_writes_nothing(kiosk: Kiosk, tmp_path: Path) -> None:
    src = tmp_path / "records"
    shutil.copytree(SAMPLE, src)
    text = (src / "khai-sinh.yaml").read_text(encoding="utf-8")
    start = text.index("\nfee:")
    end = text.index("\nonline:")
    (src / "khai-sinh.yaml").write_text(text[:start] + text[end:], encoding="utf-8")
    code, out, err = kiosk("build", str(src), "--out", str(tmp_path / "x.wkb"))
    assert code == 1
    assert "Bản ghi khai-sinh thiếu trường lệ phí." in out  # the report names the record and field
    assert "no bundle written" in err
    assert not (tmp_path / "x.wkb").exists()


def test_excel_template_build(kiosk: Kiosk, tmp_path: Path) -> None:
    xlsx = tmp_path / "thu-tuc.xlsx"
    code, out, _ = kiosk("template", "--out", str(xlsx))
    assert code == 0 and xlsx.is_file()
    code, out, _ = kiosk("build", str(xlsx), "--out", str(tmp_path / "x.wkb"), "--bundle-id", "phuong")
    assert code == 0 and "NOT signed" in out
    code, out, _ = kiosk("verify", str(tmp_path / "x.wkb"), "--json")
    assert code == 1 and json.loads(out)["code"] == "bundle-unsigned"


def test_refusals_exit_non_zero_with_the_reason(kiosk: Kiosk, tmp_path: Path) -> None:
    junk = tmp_path / "junk.wkb"
    junk.write_bytes(b"PK\x03\x04 not really")
    code, _, err = kiosk("import", str(junk), "--yes")
    assert code == 1 and "[bundle-invalid]" in err and "không nhập" in err
    code, _, err = kiosk("import", str(tmp_path / "missing.wkb"), "--yes")
    assert code == 1 and "not found" in err
    code, _, err = kiosk("rollback", "--yes")
    assert code == 1 and "[no-rollback]" in err
    code, out, _ = kiosk("status", "--json")
    assert code == 1 and json.loads(out)["current"] is None
    assert kiosk("import", "--sample", "--yes")[0] == 0
    code, out, _ = kiosk("status")
    assert code == 0 and "Đang dùng: sample@" in out
