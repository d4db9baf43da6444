"""Rollback never switches to a damaged version; ``--to VERSION``; status shows each version's state.

The index is the fast fake (tests/staff/staff_cases.py), so its check is the fake one too; a damaged
*real* index is refused in tests/faults/test_fault_store.py.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kiosk_app.core.errors import BundleDamagedError, ErrorCode, NoRollbackError
from kiosk_app.core.settings import Settings
from kiosk_app.ui.bundle_messages import staff_vi
from knowledge.bundle import importer, versions


@pytest.fixture
def three(settings: Settings, make_bundle: Callable[..., Path], fast: dict[str, Any]) -> Path:
    """Versions 1, 2, 3 imported (3 active, 2 previous); ``fast`` makes the index check the fake one."""
    for v in ("1", "2", "3"):
        importer.import_bundle(make_bundle(v), settings, **fast)
    return settings.bundles_dir


def current(root: Path) -> str:
    return os.readlink(root / "current")


def tamper(folder: Path) -> None:  # a changed byte in a record (bad SD-card sector, hand edit)
    rec = folder / "records" / "khai-sinh.yaml"
    rec.write_bytes(rec.read_bytes().replace(b"khai sinh", b"khai xinh", 1))


DAMAGE: dict[str, Callable[[Path], None]] = {
    "tampered-record": tamper,
    "missing-record": lambda f: (f / "records" / "ket-hon.yaml").unlink(),
    "garbled-manifest": lambda f: (f / "manifest.json").write_bytes(b"\x00\x01 not json"),
    "broken-index": lambda f: (f / "index" / "index.json").write_text("{", encoding="utf-8"),
    "no-index": lambda f: (f / "index" / "index.json").unlink(),
}


@pytest.mark.parametrize("how", sorted(DAMAGE))
def test_rollback_refuses_a_damaged_previous_and_keeps_the_current_bundle(
        settings: Settings, three: Path, how: str) -> None:
    DAMAGE[how](three / "phuong-2")
    with pytest.raises(BundleDamagedError) as exc:
        versions.rollback(settings)
    e = exc.value
    assert e.code is ErrorCode.BUNDLE_DAMAGED
    assert "phuong-2" in str(e) and "phuong@3 stays active" in str(e)
    assert "bị hỏng" in staff_vi(e) and "Máy vẫn dùng phuong@3" in staff_vi(e)
    assert current(three) == "phuong-3"
    assert versions.status(settings).current is not None


def test_damage_is_named_precisely(settings: Settings, three: Path) -> None:
    tamper(three / "phuong-2")
    with pytest.raises(BundleDamagedError) as exc:
        versions.rollback(settings)
    assert "records/khai-sinh.yaml: sha256 does not match the manifest" in str(exc.value)
    assert "Tệp records/khai-sinh.yaml bị thay đổi hoặc hỏng" in staff_vi(exc.value)


def test_a_good_previous_still_rolls_back_and_back_again(settings: Settings, three: Path) -> None:
    assert versions.rollback(settings).label == "phuong@2"
    assert versions.rollback(settings).label == "phuong@3"


@pytest.mark.parametrize("name", ["1", "phuong@1", "phuong-1"])
def test_rollback_to_an_older_kept_version(settings: Settings, three: Path, name: str) -> None:
    assert versions.rollback(settings, to=name).label == "phuong@1"
    assert current(three) == "phuong-1" and os.readlink(three / "previous") == "phuong-3"
    assert versions.rollback(settings).label == "phuong@3"  # undo with a plain rollback


def test_rollback_to_a_damaged_or_unknown_version_is_refused(settings: Settings, three: Path) -> None:
    tamper(three / "phuong-1")
    with pytest.raises(BundleDamagedError):
        versions.rollback(settings, to="1")
    with pytest.raises(NoRollbackError) as exc:
        versions.rollback(settings, to="7")
    assert "phuong@2" in str(exc.value) and "Không có phiên bản 7" in staff_vi(exc.value)
    assert current(three) == "phuong-3"


def test_rollback_to_the_active_version_changes_nothing(settings: Settings, three: Path) -> None:
    assert versions.rollback(settings, to="3").label == "phuong@3"
    assert current(three) == "phuong-3" and os.readlink(three / "previous") == "phuong-2"


def test_status_lists_each_kept_version_with_its_state(settings: Settings, three: Path) -> None:
    tamper(three / "phuong-1")
    st = versions.status(settings, verify=True)
    assert {v.name: v.state for v in st.versions} == {"phuong-1": "damaged", "phuong-2": "ok",
                                                       "phuong-3": "ok"}
    assert [v.name for v in st.versions] == ["phuong-3", "phuong-2", "phuong-1"]  # newest first
    js = json.loads(json.dumps(st.to_json()))
    bad = next(v for v in js["versions"] if v["name"] == "phuong-1")
    assert bad["label"] == "phuong@1" and bad["state"] == "damaged" and "sha256" in bad["problem"]
    (three / "phuong-2" / "manifest.json").write_bytes(b"garbage")  # unreadable manifest: listed, damaged
    st = versions.status(settings, verify=True)
    assert {v.name: v.state for v in st.versions}["phuong-2"] == "damaged"
    assert any("phuong-2" in p for p in st.problems)
