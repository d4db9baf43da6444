"""Fault: the kiosk process is killed (power glitch, OOM killer, watchdog) and its service restarts it.

The real ``kiosk`` program runs headless (SDL offscreen) on a copy of the ward data folder with a
settings file, exactly as ``scripts/ward-kiosk.service`` starts it. The test waits until the kiosk
has opened its knowledge bundle (log line), SIGKILLs it, starts it again as ``Restart=always``
would, and checks it comes back with the same bundle, the same settings and its logs intact.
Killing a bundle import at random moments is tests/staff/test_power_loss.py.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from kiosk_app.core.settings import Settings

REPO = Path(__file__).resolve().parents[2]
UP = "knowledge bundle phuong@2 opened"
SETTINGS_TOML = """\
kiosk_id = "kiosk-test-restart"
log_level = "INFO"

[ui]
fullscreen = false
ward_name = "Phường Thử Nghiệm"

[asr]
detect_english = false
"""


def start(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "kiosk_app"], env=env, cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def ups(log: Path) -> int:
    return log.read_text(encoding="utf-8", errors="replace").count(UP) if log.is_file() else 0


def wait_up(proc: subprocess.Popen[bytes], log: Path, count: int, timeout: float = 120.0) -> None:
    """Until the ``count``-th start has opened its bundle; fails at once if the process dies."""
    waited = 0.0
    while waited < timeout:
        try:
            proc.wait(timeout=0.25)  # the wait primitive: returns early only if the kiosk exited
        except subprocess.TimeoutExpired:
            waited += 0.25
            if ups(log) >= count:
                return
            continue
        err = proc.stderr.read().decode("utf-8", "replace")[-3000:] if proc.stderr else ""
        raise AssertionError(f"kiosk exited with {proc.returncode} before it was up:\n{err}")
    raise AssertionError(f"kiosk not up after {timeout:.0f} s; log:\n{log.read_text()[-3000:]}")


def test_killed_kiosk_restarts_with_same_bundle_settings_and_logs(ward_copy: Settings,
                                                                  tmp_path: Path) -> None:
    data = ward_copy.data_dir
    config = tmp_path / "kiosk.toml"
    config.write_text(SETTINGS_TOML, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env.update(KIOSK_CONFIG=str(config), KIOSK_DATA_DIR=str(data), KIVY_NO_ARGS="1",
               SDL_VIDEODRIVER="offscreen", KIVY_HOME=str(tmp_path / "kivy"), ANONYMIZED_TELEMETRY="False",
               PYTHONPATH=str(REPO))
    log = data / "logs" / "kiosk.log"
    seen = ups(log)  # the copied folder may hold log lines of earlier runs
    bundle_before = os.readlink(data / "bundles" / "current")

    first = start(env)
    try:
        wait_up(first, log, seen + 1)
        first_lines = log.read_text(encoding="utf-8").splitlines()
        first.send_signal(signal.SIGKILL)
        assert first.wait(timeout=30) == -signal.SIGKILL
    finally:
        if first.poll() is None:
            first.kill()

    second = start(env)  # what systemd does after RestartSec
    try:
        wait_up(second, log, seen + 2)
        assert second.poll() is None  # still running: the restart is healthy
    finally:
        second.terminate()
        try:
            second.wait(timeout=30)
        except subprocess.TimeoutExpired:
            second.kill()
            second.wait(timeout=30)

    # same bundle, nothing half-written left in the bundle folder
    assert os.readlink(data / "bundles" / "current") == bundle_before
    status = subprocess.run([sys.executable, "-m", "kiosk_app", "bundle", "status", "--json"], env=env,
                            cwd=REPO, capture_output=True, text=True, timeout=120)
    st = json.loads(status.stdout)
    assert status.returncode == 0 and st["current"]["label"] == "phuong@2" and not st["problems"], st
    # settings untouched and still in force
    assert config.read_text(encoding="utf-8") == SETTINGS_TOML
    assert Settings.load(config, {"KIOSK_DATA_DIR": str(data)}).ui.ward_name == "Phường Thử Nghiệm"
    # logs: everything the first run wrote is still there, the second run appended after it
    lines = log.read_text(encoding="utf-8").splitlines()
    assert lines[:len(first_lines)] == first_lines
    assert sum(UP in line for line in lines) == seen + 2
    # the feedback database survived the kill (SQLite journal) and is consistent
    with sqlite3.connect(data / "feedback.sqlite3") as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert con.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0  # created at start
