"""``kiosk bundle …`` as a clerk and a technician use it: exit codes, messages, what changes on disk."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk_app.cli import main
from knowledge.bundle import importer, version_check
from tests.staff.staff_cases import fake_index_check, fake_indexer, no_smoke

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "knowledge" / "sample" / "records"
Kiosk = Callable[..., tuple[int, str, str]]  # run("import", FILE, stdin="y\n") -> (exit code, stdout, stderr)


@pytest.fixture
def kiosk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Kiosk:
    monkeypatch.setenv("KIOSK_DATA_DIR", str(tmp_path / "kiosk"))
    monkeypatch.setenv("KIOSK_CONFIG", "")
    monkeypatch.setattr(importer, "_default_indexer", fake_indexer)  # the real index: test_import_real.py
    monkeypatch.setattr(importer, "smoke_test", no_smoke)
    monkeypatch.setattr(version_check, "open_index_check", fake_index_check)

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


def _three_versions(kiosk: Kiosk, tmp_path: Path) -> Path:
    keys, usb = tmp_path / "office", tmp_path / "usb"
    kiosk("keygen", "--out", str(keys))
    kiosk("trust", str(keys / "bundle-signing.pub"))
    for v in ("1", "2", "3"):
        kiosk("build", str(SAMPLE), "--out", str(usb / f"v{v}.wkb"), "--sign",
              str(keys / "bundle-signing.key"), "--version", v, "--bundle-id", "phuong")
        assert kiosk("import", str(usb / f"v{v}.wkb"), "--yes")[0] == 0
    return tmp_path / "kiosk" / "bundles"


def test_rollback_to_a_damaged_previous_is_refused_and_status_shows_it(kiosk: Kiosk, tmp_path: Path) -> None:
    bundles = _three_versions(kiosk, tmp_path)
    rec = bundles / "phuong-2" / "records" / "khai-sinh.yaml"
    rec.write_bytes(rec.read_bytes() + b"\n# edited by hand\n")
    code, out, err = kiosk("rollback", "--yes")
    assert code == 1
    assert "[bundle-damaged]" in err and "records/khai-sinh.yaml: sha256 does not match" in err
    assert "Phiên bản phuong@2 trên máy bị hỏng" in err and "Máy vẫn dùng phuong@3" in err
    assert "Đã quay lại" not in out
    assert (bundles / "current").readlink().name == "phuong-3"
    code, out, err = kiosk("status")
    assert code == 0
    lines = {ln.split()[0]: ln for ln in out.splitlines() if ln.startswith("  ")}
    assert "ok" in lines["phuong-3"] and "đang dùng" in lines["phuong-3"]
    assert "damaged" in lines["phuong-2"] and "HỎNG" in lines["phuong-2"]
    assert "ok" in lines["phuong-1"]
    st = json.loads(kiosk("status", "--json")[1])
    assert [(v["name"], v["state"]) for v in st["versions"]] == [
        ("phuong-3", "ok"), ("phuong-2", "damaged"), ("phuong-1", "ok")]
    # the clerk picks the older, intact version instead
    code, out, _ = kiosk("rollback", "--to", "1", "--yes")
    assert code == 0 and "Đã quay lại phuong@1" in out
    assert (bundles / "current").readlink().name == "phuong-1"
    code, _, err = kiosk("rollback", "--to", "9", "--yes")
    assert code == 1 and "[no-rollback]" in err and "Không có phiên bản 9" in err
