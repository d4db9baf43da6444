"""Bundle files on a mounted stick are found; links and hidden folders are not followed."""

from __future__ import annotations

import os
from pathlib import Path

from knowledge.bundle.usbwatch import UsbWatcher, find_bundles


def test_finds_bundles_on_mounted_sticks_newest_first(tmp_path: Path) -> None:
    media = tmp_path / "media"
    stick = media / "kiosk" / "USB-PHUONG"
    stick.mkdir(parents=True)
    old, new = stick / "goi-cu.wkb", stick / "DuLieu" / "goi-moi.WKB"
    new.parent.mkdir()
    old.write_bytes(b"x")
    new.write_bytes(b"yy")
    os.utime(old, (1_000_000, 1_000_000))
    (stick / "ghi-chu.txt").write_text("không phải gói")
    (stick / ".Trash-1000").mkdir()
    (stick / ".Trash-1000" / "xoa.wkb").write_bytes(b"z")
    (stick / "loop").symlink_to(media)  # a symlink loop on the stick
    (stick / "link.wkb").symlink_to("/etc/hostname")
    found = find_bundles(media)
    assert [f.name for f in found] == ["goi-moi.WKB", "goi-cu.wkb"]
    assert found[0].size == 2


def test_missing_usb_dir_is_just_empty(tmp_path: Path) -> None:
    assert find_bundles(tmp_path / "not-mounted") == []


def test_watcher_reports_plug_and_unplug(tmp_path: Path) -> None:
    w = UsbWatcher(tmp_path)
    assert w.poll() is False and w.bundles == []
    (tmp_path / "stick").mkdir()
    (tmp_path / "stick" / "a.wkb").write_bytes(b"a")
    assert w.poll() is True and [b.name for b in w.bundles] == ["a.wkb"]
    assert w.poll() is False
    (tmp_path / "stick" / "a.wkb").unlink()
    assert w.poll() is True and w.bundles == []
