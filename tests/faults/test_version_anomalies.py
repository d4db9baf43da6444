"""Issue 17, crafted bundles 67-70 as ward staff meet them at ``kiosk bundle import``: every version
anomaly is refused with its own code and a precise message, the active bundle keeps answering, and
the ones staff may confirm go through with their flag. Uses the session's real ward folder
(phuong@2 active, @1 previous, real index); the accepted imports use the fake indexer.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk_app.cli import main
from kiosk_app.core.errors import BundleVersionError, ErrorCode
from kiosk_app.core.settings import Settings
from knowledge.bundle import importer, versions
from knowledge.bundle.schema import build_bundle_bytes, load_records_dir
from knowledge.bundle.signing import load_private_key, sign
from knowledge.service import open_current
from knowledge.types import Verdict
from tests.faults.conftest import SAMPLE_RECORDS, WARD_IDS, WARD_V2_IDS, Ward
from tests.staff.staff_cases import fake_indexer

FUTURE = datetime(2099, 12, 31, 23, 59, 59, tzinfo=UTC)


def _current(s: Settings) -> str:
    return os.readlink(s.bundles_dir / "current")


def _answers(s: Settings) -> bool:
    kn = open_current(s)
    try:
        ans = kn.ask("đăng ký kết hôn cần giấy tờ gì")
    finally:
        kn.close()
    return ans.verdict is Verdict.ANSWER and ans.procedure_id == "ket-hon"


def _bundle(ward: Ward, dest: Path, *, version: str, bundle_id: str = "phuong",
            created: datetime | None = None, ids: tuple[str, ...] = WARD_V2_IDS) -> Path:
    key = load_private_key(ward.private_key)
    by_id = {r.id: r for r in load_records_dir(SAMPLE_RECORDS)}
    data = build_bundle_bytes([by_id[i] for i in ids], bundle_id=bundle_id, version=version,
                              created=created, signer=lambda m: sign(m, key))
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / f"{bundle_id}-{version}-{len(ids)}.wkb"
    path.write_bytes(data)
    return path


@pytest.fixture
def cli(ward_copy: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """``kiosk --config … bundle import FILE --yes [flags]`` → (exit code, stderr)."""
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(f'data_dir = "{ward_copy.data_dir}"\n[asr]\ndetect_english = false\n', encoding="utf-8")
    monkeypatch.setattr(importer, "_default_indexer", fake_indexer)
    monkeypatch.setattr(importer, "smoke_test", lambda *_a: None)

    def run(path: Path, *flags: str) -> tuple[int, str]:
        capsys.readouterr()
        code = main(["--config", str(cfg), "bundle", "import", str(path), "--yes", *flags])
        return code, capsys.readouterr().err
    return run


@pytest.mark.parametrize(("make", "code", "needles", "flag"), [
    (lambda w, d: _bundle(w, d, version="3", created=FUTURE), ErrorCode.BUNDLE_FUTURE_DATE,
     ["created 2099-12-31T23:59:59+00:00", "after this kiosk's clock", "real-time clock",
      "đồng hồ của máy bị sai"], "--allow-future-date"),
    (lambda w, d: _bundle(w, d, version="3", bundle_id="phuong-khac"), ErrorCode.BUNDLE_OTHER_ID,
     ["bundle id 'phuong-khac' but the active bundle is 'phuong'", "khác gói đang dùng"],
     "--allow-other-bundle"),
    (lambda w, d: _bundle(w, d, version="0.9"), ErrorCode.BUNDLE_DOWNGRADE,
     ["older than the active phuong@2", "cũ hơn gói đang dùng 2"], "--allow-downgrade"),
])
def test_a_confirmable_anomaly_is_refused_then_imported_with_its_flag(
        ward: Ward, ward_copy: Settings, tmp_path: Path, cli, make, code, needles, flag  # type: ignore[no-untyped-def]
) -> None:
    path = make(ward, tmp_path / "usb")
    rc, err = cli(path)
    assert rc == 1 and f"[{code}]" in err, err
    for needle in needles:
        assert needle in err, (needle, err)
    assert flag in err and "Muốn vẫn nhập" in err
    assert _current(ward_copy) == "phuong-2" and _answers(ward_copy)
    rc, err = cli(path, flag)
    assert rc == 0, err
    assert "importing it because of the --allow flag" in err
    assert versions.status(ward_copy).current.name != "phuong-2"  # type: ignore[union-attr]


def test_the_same_version_with_other_content_is_refused_even_with_every_flag(
        ward: Ward, ward_copy: Settings, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    changed = _bundle(ward, tmp_path / "usb", version="2", ids=WARD_IDS)  # phuong@2 with 2 more records
    rc, err = cli(changed, "--allow-downgrade", "--allow-other-bundle", "--allow-future-date")
    assert rc == 1 and "[bundle-version-reused]" in err
    assert ("phuong@2 is already on this kiosk (folder phuong-2) with different content "
            "(records/chung-thuc-ban-sao.yaml, records/dang-ky-tam-tru.yaml differ)") in err
    assert "a changed bundle needs a new version" in err and "cannot be confirmed" in err
    assert "phải mang phiên bản mới" in err
    assert _current(ward_copy) == "phuong-2" and _answers(ward_copy)
    # a kept (not active) version counts too: phuong@1 is the previous one
    rc, err = cli(_bundle(ward, tmp_path / "usb", version="1", ids=WARD_IDS[:5]), "--allow-downgrade")
    assert rc == 1 and "[bundle-version-reused]" in err and "(folder phuong-1)" in err


def test_the_very_bundle_that_is_active_again_is_a_no_op(ward: Ward, ward_copy: Settings, cli  # type: ignore[no-untyped-def]
                                                         ) -> None:
    same = ward.data_dir.parent / "usb" / "phuong-2.wkb"  # the file the session imported
    rc, err = cli(same)
    assert rc == 0, err
    assert _current(ward_copy) == "phuong-2"
    assert sorted(p.name for p in ward_copy.bundles_dir.iterdir() if not p.name.startswith(".")) == [
        "current", "phuong-1", "phuong-2", "previous"]


def test_one_confirmation_per_anomaly_and_each_is_named(ward: Ward, ward_copy: Settings, tmp_path: Path,
                                                       cli) -> None:  # type: ignore[no-untyped-def]
    path = _bundle(ward, tmp_path / "usb", version="3", bundle_id="phuong-khac", created=FUTURE)
    rc, err = cli(path, "--allow-other-bundle")
    assert rc == 1 and "[bundle-future-date]" in err and "--allow-future-date" in err
    with pytest.raises(BundleVersionError) as exc:
        importer.import_bundle(path, ward_copy)
    assert exc.value.confirmable == {ErrorCode.BUNDLE_FUTURE_DATE, ErrorCode.BUNDLE_OTHER_ID}
    assert "--allow-future-date --allow-other-bundle" in str(exc.value)
    rc, err = cli(path, "--allow-other-bundle", "--allow-future-date")
    assert rc == 0, err
    assert versions.status(ward_copy).current.label == "phuong-khac@3"  # type: ignore[union-attr]


def test_a_date_within_the_clock_skew_is_not_in_the_future(ward: Ward, ward_copy: Settings,
                                                          tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    path = _bundle(ward, tmp_path / "usb", version="3", created=datetime.now(UTC) + timedelta(hours=20))
    rc, err = cli(path)
    assert rc == 0, err


def test_verify_names_what_importing_it_here_would_meet(ward: Ward, ward_copy: Settings, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(f'data_dir = "{ward_copy.data_dir}"\n[asr]\ndetect_english = false\n', encoding="utf-8")
    path = _bundle(ward, tmp_path / "usb", version="3", created=FUTURE)
    assert main(["--config", str(cfg), "bundle", "verify", str(path)]) == 0  # the file itself is fine
    err = capsys.readouterr().err
    assert "importing it on this kiosk: [bundle-future-date]" in err and "real-time clock" in err
    assert _current(ward_copy) == "phuong-2"
