"""Provisioning as a technician runs it, and the service it installs: a dedicated non-root user in the
device groups, private secrets, a hardened unit per display session (``systemd-analyze security``
<= 4.5), the PIN never on the command line; then that user really starts the kiosk tools (doctor,
ask) and another user is refused with one precise line."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk_app.core.errors import ErrorCode, PinWeakError, SettingsError
from kiosk_app.ops.provision import ProvisionOptions, service_step
from kiosk_app.ops.provision_system import (
    SESSIONS,
    Account,
    lookup_account,
    readable_by,
    refuse_root,
    unit_text,
    user_commands,
)
from tests.needs import missing

REPO = Path(__file__).resolve().parents[2]
MAX_EXPOSURE = 4.5


def _opts(root: Path, **kw: object) -> ProvisionOptions:
    return ProvisionOptions(**{"root": root, "user": "kiosk", **kw})  # type: ignore[arg-type]


def _exposure(unit: Path) -> float:
    """``systemd-analyze security --offline=true`` overall exposure; skips (fails under
    scripts/test.sh, which installs systemd) where it cannot run."""
    if shutil.which("systemd-analyze") is None:
        missing("systemd-analyze is not installed (the systemd package)")
    res = subprocess.run(["systemd-analyze", "security", "--offline=true", str(unit)], cwd=unit.parent,
                         capture_output=True, text=True, timeout=60)
    m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", res.stdout)
    if m is None:
        missing(f"systemd-analyze security --offline gave no exposure level (systemd < 250?): "
                f"{(res.stdout + res.stderr)[-300:]}")
    return float(m.group(1))


@pytest.mark.parametrize("session", sorted(SESSIONS))
def test_unit_is_hardened_for_each_display_session(session: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    opts = _opts(tmp_path, session=session)
    step = service_step(opts, lambda cmd: pytest.fail(f"ran {cmd} outside the real root"))
    unit = opts.unit_path.read_text()
    assert step.changed and not re.search(r"@[A-Z_]+@", unit)
    for line in ("User=kiosk", "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=",
                 f"ReadWritePaths={opts.data_dir}", "PrivateTmp=yes", "PrivateNetwork=yes",
                 "CapabilityBoundingSet=\n", "SystemCallFilter=@system-service", "UMask=0077",
                 "ProtectKernelTunables=yes", "RestrictNamespaces=yes", "LockPersonality=yes",
                 "DevicePolicy=closed", "DeviceAllow=char-alsa rw", "DeviceAllow=char-drm rw",
                 "DeviceAllow=char-input r", "ReadOnlyPaths=-/media", "KillSignal=SIGTERM", "PAMName=login"):
        assert line in unit, line
    assert SESSIONS[session].exec_start.split()[0].replace("{kiosk}", str(REPO / ".venv/bin/kiosk")) in unit
    score = _exposure(opts.unit_path)
    with capsys.disabled():
        print(f"\n  systemd-analyze security ({session}): {score}")
    assert score <= MAX_EXPOSURE


def test_usb_stick_is_read_only_unless_export_is_wanted(tmp_path: Path) -> None:
    assert "\nReadOnlyPaths=-/media\n" in unit_text(_opts(tmp_path), Path("/media"))
    writable = unit_text(_opts(tmp_path, usb_writable=True), Path("/media"))
    assert "\nReadWritePaths=-/media\n" in writable and "ReadOnlyPaths=-/media" not in writable


def test_checkout_in_a_home_folder_is_bound_read_only(tmp_path: Path) -> None:
    unit = unit_text(_opts(tmp_path), Path("/media"), repo=Path("/home/pi/ward-kiosk"))
    assert "ProtectHome=tmpfs" in unit and "BindReadOnlyPaths=/home/pi/ward-kiosk" in unit
    assert ("ExecStart=/usr/bin/env XDG_RUNTIME_DIR=/run/ward-kiosk /usr/bin/cage -s -- "
            "/home/pi/ward-kiosk/.venv/bin/kiosk") in unit
    # cage's Wayland socket needs a writable runtime directory; /run/user is hidden by ProtectHome
    assert "RuntimeDirectory=ward-kiosk\n" in unit
    assert "ProtectHome=yes" in unit_text(_opts(tmp_path), Path("/media"), repo=Path("/opt/ward-kiosk"))


@pytest.mark.parametrize(("account", "groups", "want"), [
    (None, ["audio", "video"],
     [["useradd", "--system", "--user-group", "--home-dir", "/d", "--no-create-home", "--shell",
       "/usr/sbin/nologin", "--comment", "Ward Kiosk service", "kiosk"],
      ["usermod", "--append", "--groups", "audio,video", "kiosk"]]),
    (Account("kiosk", 990, 990, "kiosk", frozenset({"kiosk", "audio"})), ["audio", "video", "render"],
     [["usermod", "--append", "--groups", "video,render", "kiosk"]]),
    (Account("kiosk", 990, 990, "kiosk", frozenset({"kiosk", "audio", "video"})), ["audio", "video"], []),
])
def test_user_and_groups(account: Account | None, groups: list[str], want: list[list[str]]) -> None:
    assert user_commands("kiosk", Path("/d"), account, groups) == want


def test_root_is_refused_as_the_service_user() -> None:
    with pytest.raises(SettingsError, match="must not run as root"):
        refuse_root("root")


def test_pin_never_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from kiosk_app.cli import main

    rc = main(["provision", "--root", str(tmp_path), "--no-service", "--pin", "246813"])
    err = capsys.readouterr().err
    assert rc == 1 and "--pin on the command line is refused" in err and "--pin-file" in err
    assert not (tmp_path / "etc").exists()  # nothing written
    weak = tmp_path / "pin.txt"
    weak.write_text("123456\n")
    rc = main(["provision", "--root", str(tmp_path), "--no-service", "--pin-file", str(weak)])
    assert rc == 1 and "[pin-weak]" in capsys.readouterr().err


def test_pin_prompt_asks_twice_and_refuses_trivial_pins(capsys: pytest.CaptureFixture[str]) -> None:
    from kiosk_app.commands.provision import prompt_pin

    answers = iter(["1234", "246813", "246831", "246813", "246813"])
    assert prompt_pin(lambda _prompt: next(answers)) == "246813"
    out = capsys.readouterr().out
    assert "6 to 12 digits" in out and "differ" in out
    with pytest.raises(PinWeakError):
        prompt_pin(lambda _prompt: "000000")


# ---- a real non-root service user ------------------------------------------------------------------
def _service_python(account: Account) -> tuple[str, dict[str, str]] | None:
    """A Python the service user can run with this environment's packages: the venv's own, or the
    system's python of the same version with the venv's site-packages (when the venv's interpreter
    lives in root's home, as with pyenv)."""
    site = sysconfig.get_paths()["purelib"]
    env = {"PYTHONPATH": str(REPO)}
    if not readable_by(Path(sys.executable), account):
        return sys.executable, env
    system = Path(f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}")
    if system.is_file() and not readable_by(Path(site), account):
        return str(system), {"PYTHONPATH": f"{REPO}:{site}"}
    return None


@pytest.fixture(scope="module")
def service_user() -> Iterator[str]:
    if os.geteuid() != 0 or shutil.which("useradd") is None or shutil.which("runuser") is None:
        pytest.skip("needs root with useradd/runuser to create a real service user")
    name = f"wkt{os.getpid() % 100000}"
    subprocess.run(["useradd", "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin",
                    name], check=True)
    try:
        yield name
    finally:
        subprocess.run(["userdel", name], check=False)


@pytest.fixture(scope="module")
def provisioned_root(service_user: str) -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="kiosk-root-"))
    root.chmod(0o755)  # like / : every user may traverse it
    pin = root / "pin.txt"
    pin.write_text("246813\n")
    env = {**os.environ, "KIOSK_CONFIG": "", "KIVY_NO_ARGS": "1", "KIVY_HOME": str(root / "kivy-root")}
    res = subprocess.run([sys.executable, "-m", "kiosk_app", "provision", "--root", str(root), "--pin-file",
                          str(pin), "--user", service_user, "--kiosk-id", "t-01", "--session", "xinit"],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout + res.stderr
    pin.unlink()
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _as_user(user: str, root: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    account = lookup_account(user)
    assert account is not None
    found = _service_python(account)
    if found is None:
        pytest.skip(f"no Python that user {user} may run (the venv's interpreter is closed to it)")
    python, extra = found
    data = root / "var" / "lib" / "ward-kiosk"
    env = [f"HOME={data}", f"KIOSK_CONFIG={root}/etc/ward-kiosk/kiosk.toml", f"KIVY_HOME={data}/kivy",
           "KIVY_NO_ARGS=1", "ANONYMIZED_TELEMETRY=False", *(f"{k}={v}" for k, v in extra.items())]
    return subprocess.run(["runuser", "-u", user, "--", "env", "-i", "PATH=/usr/bin:/bin", *env, python, "-m",
                           "kiosk_app", *args], cwd="/", capture_output=True, text=True, timeout=timeout)


def test_the_service_user_owns_its_data_and_only_reads_its_secrets(service_user: str,
                                                                   provisioned_root: Path) -> None:
    account = lookup_account(service_user)
    assert account is not None and account.uid != 0
    config = provisioned_root / "etc" / "ward-kiosk" / "kiosk.toml"
    data = provisioned_root / "var" / "lib" / "ward-kiosk"
    st = config.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (0, account.gid, 0o640)
    assert stat.S_IMODE(config.parent.stat().st_mode) == 0o750
    for p in [data, *data.rglob("*")]:
        if p.is_symlink():
            continue
        pst = p.lstat()
        assert pst.st_uid == account.uid, p
        assert not pst.st_mode & 0o077, f"{p} is open to others: {stat.S_IMODE(pst.st_mode):04o}"
    unit = (provisioned_root / "etc" / "systemd" / "system" / "ward-kiosk.service").read_text()
    assert f"User={service_user}" in unit and "xinit" in unit


def test_the_service_user_runs_doctor_and_answers(service_user: str, provisioned_root: Path) -> None:
    doctor = _as_user(service_user, provisioned_root, "doctor", "--json")
    import json

    checks = {c["name"]: c for c in json.loads(doctor.stdout)["checks"]}
    assert checks["disk"]["level"] == "ok", checks["disk"]  # it writes its logs and PIN state
    assert checks["access"]["level"] == "ok", checks["access"]  # not root; secrets private
    assert checks["bundle"]["level"] in ("ok", "warn") and checks["python"]["level"] == "ok"
    ask = _as_user(service_user, provisioned_root, "ask", "làm giấy khai sinh cần giấy tờ gì")
    assert ask.returncode == 0, ask.stderr
    assert "procedure: khai-sinh" in ask.stdout


def test_another_user_gets_one_precise_line_not_a_traceback(provisioned_root: Path) -> None:
    res = _as_user("nobody", provisioned_root, "doctor", timeout=60)
    assert res.returncode == 1
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr
    assert lines[0].startswith(f"kiosk: [{ErrorCode.PERMISSION_DENIED}] settings file ")
    assert "not readable by user nobody" in lines[0] and "kiosk provision --user nobody" in lines[0]

