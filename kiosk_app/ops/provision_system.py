"""The system half of provisioning: the service user and its groups, who owns what, and the hardened
systemd unit for the chosen display session. Used by ``kiosk_app.ops.provision``; no Kivy, no engines.

Ownership (``permissions_step``):

* ``/etc/ward-kiosk`` root:<kiosk group> 0750 and ``kiosk.toml`` root:<kiosk group> 0640: the
  service reads its settings and the PIN hash, nobody else does, and it cannot change them;
* the data folder (bundles, models, keys, logs, feedback, PIN lockout state) <user>:<group>, 0700:
  the only place the service may write (``ReadWritePaths=`` in the unit).
"""

from __future__ import annotations

import grp
import os
import pwd
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from kiosk_app.core.errors import PermissionDeniedError, SettingsError

REPO = Path(__file__).resolve().parents[2]
UNIT_NAME = "ward-kiosk.service"
DEVICE_GROUPS = ("audio", "video", "input", "render")
TTY = "tty7"
RUNTIME_DIR = "/run/ward-kiosk"  # RuntimeDirectory= in the unit: created for the service user, 0700


@dataclass(frozen=True, slots=True)
class Session:
    name: str
    exec_start: str  # {kiosk} = the kiosk entry point, {vt} = the virtual terminal number
    env: tuple[tuple[str, str], ...]
    packages: str  # Debian packages scripts/provision.sh installs for it
    doc: str


SESSIONS: dict[str, Session] = {
    # cage needs a writable XDG_RUNTIME_DIR for its Wayland socket ("Unable to open Wayland socket"
    # otherwise); logind's /run/user/UID, which PAM puts there over any Environment= line, is hidden
    # by ProtectHome, so cage gets the unit's RuntimeDirectory.
    "cage": Session("cage", f"/usr/bin/env XDG_RUNTIME_DIR={RUNTIME_DIR} /usr/bin/cage -s -- {{kiosk}}",
                    (("XDG_SESSION_TYPE", "wayland"),),
                    "cage xwayland",
                    "cage (Wayland kiosk compositor) on tty7; the kiosk draws through Xwayland, "
                    "full screen at the output's size"),
    "xinit": Session("xinit", "/usr/bin/xinit {kiosk} -- :0 vt{vt} -nolisten tcp -nocursor -keeptty",
                     (("XDG_SESSION_TYPE", "x11"),), "xserver-xorg-core xserver-xorg-input-libinput xinit",
                     "Xorg without a window manager (xinit) on tty7; the kiosk sizes its borderless "
                     "window to the X screen"),
    "kmsdrm": Session("kmsdrm", "{kiosk}", (("SDL_VIDEODRIVER", "kmsdrm"),), "",
                      "no display server: SDL's KMS/DRM driver on the console (tty7), full screen on "
                      "the first connected output"),
}


class Options(Protocol):
    @property
    def root(self) -> Path: ...
    @property
    def user(self) -> str: ...
    @property
    def session(self) -> str: ...
    @property
    def config_path(self) -> Path: ...
    @property
    def data_dir(self) -> Path: ...
    @property
    def unit_path(self) -> Path: ...


@dataclass(frozen=True, slots=True)
class Account:
    name: str
    uid: int
    gid: int
    group: str
    groups: frozenset[str]


def lookup_account(name: str) -> Account | None:
    try:
        pw = pwd.getpwnam(name)
    except KeyError:
        return None
    try:
        group = grp.getgrgid(pw.pw_gid).gr_name
    except KeyError:
        group = str(pw.pw_gid)
    member_of = frozenset(g.gr_name for g in grp.getgrall() if name in g.gr_mem) | {group}
    return Account(name, pw.pw_uid, pw.pw_gid, group, member_of)


def existing_groups(names: tuple[str, ...] = DEVICE_GROUPS) -> list[str]:
    found = []
    for g in names:
        try:
            grp.getgrnam(g)
        except KeyError:
            continue
        found.append(g)
    return found


def refuse_root(user: str) -> None:
    if user == "root" or (lookup_account(user) or Account("", -1, -1, "", frozenset())).uid == 0:
        raise SettingsError("the kiosk must not run as root (a public machine): provision it with "
                            "--user kiosk (the default), a dedicated service user")


def user_commands(user: str, data_dir: Path, account: Account | None, groups: list[str]) -> list[list[str]]:
    """The useradd/usermod commands that make ``user`` a system user in ``groups`` (pure)."""
    cmds: list[list[str]] = []
    if account is None:
        cmds.append(["useradd", "--system", "--user-group", "--home-dir", str(data_dir), "--no-create-home",
                     "--shell", "/usr/sbin/nologin", "--comment", "Ward Kiosk service", user])
    missing = [g for g in groups if account is None or g not in account.groups]
    if missing:
        cmds.append(["usermod", "--append", "--groups", ",".join(missing), user])
    return cmds


def readable_by(path: Path, account: Account) -> list[Path]:
    """The folders on the way to ``path`` (and to the file a symlink points to: a venv's python
    lives in the interpreter's install) that ``account`` cannot enter (empty: it can)."""
    blocked: list[Path] = []
    real = path.resolve()
    for p in dict.fromkeys([*reversed(path.parents), path, *reversed(real.parents), real]):
        try:
            st = p.stat()
        except OSError:
            continue
        if account.uid == st.st_uid:
            ok = bool(st.st_mode & stat.S_IXUSR)
        elif st.st_gid == account.gid or _group_name(st.st_gid) in account.groups:
            ok = bool(st.st_mode & stat.S_IXGRP)
        else:
            ok = bool(st.st_mode & stat.S_IXOTH)
        if p.is_dir() and not ok:
            blocked.append(p)
    return blocked


def _group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def chown_tree(top: Path, uid: int, gid: int, dir_mode: int = 0o700) -> int:
    """Give ``top`` and everything in it to uid:gid; folders ``dir_mode``, files not group/world
    readable. Returns how many entries changed."""
    changed = 0
    for dirpath, dirnames, filenames in os.walk(top):
        for name in [*dirnames, *filenames]:
            changed += _own(Path(dirpath) / name, uid, gid, None)
    return changed + _own(top, uid, gid, dir_mode)


def _own(p: Path, uid: int, gid: int, mode: int | None) -> int:
    st = p.lstat()
    if stat.S_ISLNK(st.st_mode):
        return 0
    want = mode if mode is not None else (
        0o700 if stat.S_ISDIR(st.st_mode) else (0o700 if st.st_mode & stat.S_IXUSR else 0o600))
    did = 0
    if (st.st_uid, st.st_gid) != (uid, gid):
        os.chown(p, uid, gid)
        did = 1
    if stat.S_IMODE(st.st_mode) != want:
        os.chmod(p, want)
        did = 1
    return did


def own_config(config_path: Path, gid: int) -> bool:
    """kiosk.toml root:<gid> 0640 in a root:<gid> 0750 folder: the service reads, cannot write."""
    changed = False
    for p, mode in ((config_path.parent, 0o750), (config_path, 0o640)):
        st = p.stat()
        if (st.st_uid, st.st_gid) != (0, gid):
            os.chown(p, 0, gid)
            changed = True
        if stat.S_IMODE(st.st_mode) != mode:
            os.chmod(p, mode)
            changed = True
    return changed


def unit_text(opts: Options, usb_dir: Path, *, repo: Path = REPO,
              groups: list[str] | None = None) -> str:
    """The unit for ``opts.session`` with every placeholder filled in (``repo``: the checkout the
    service runs from; the template is always this checkout's)."""
    session = SESSIONS.get(opts.session)
    if session is None:
        raise SettingsError(f"unknown display session {opts.session!r}; one of: {', '.join(SESSIONS)}")
    template = (REPO / "scripts" / UNIT_NAME).read_text(encoding="utf-8")
    kiosk = f"{repo}/.venv/bin/kiosk"
    in_home = any(repo.is_relative_to(h) for h in (Path("/home"), Path("/root")))
    account = lookup_account(opts.user)
    group = account.group if account is not None else opts.user
    groups = existing_groups() if groups is None else groups
    env = "\n".join(f"Environment={k}={v}" for k, v in session.env)
    data, config = opts.data_dir, opts.config_path
    values = {
        "@SESSION_DOC@": session.doc, "@USER@": opts.user, "@GROUP@": group,
        "@GROUPS@": " ".join(groups), "@TTY@": TTY, "@CONFIG@": str(config), "@DATA@": str(data),
        "@SESSION_ENV@": env, "@EXEC@": session.exec_start.format(kiosk=kiosk, vt=TTY.removeprefix("tty")),
        "@PROTECT_HOME@": "tmpfs" if in_home else "yes",
        "@BIND_REPO@": f"BindReadOnlyPaths={repo}" if in_home else "",
        "@USB_ACCESS@": "ReadWritePaths" if getattr(opts, "usb_writable", False) else "ReadOnlyPaths",
        "@USB@": str(usb_dir), "@REPO@": str(repo),
    }
    for key, value in values.items():
        template = template.replace(key, value)
    return template


def service_enable(opts: Options, changed: bool, run: Callable[[list[str]], None]) -> str:
    systemd_up = opts.root == Path("/") and Path("/run/systemd/system").is_dir()
    if not systemd_up:
        return (f"{opts.unit_path} written ({opts.session} session); systemd is not running here, so "
                f"it starts at the next boot (or: systemctl enable --now {UNIT_NAME})")
    if changed:
        run(["systemctl", "daemon-reload"])
    run(["systemctl", "enable", UNIT_NAME])
    return f"{UNIT_NAME} enabled ({opts.session} session; starts at boot, restarts on crash)"


def need_root(what: str, err: OSError) -> PermissionDeniedError:
    return PermissionDeniedError(f"cannot {what}: {err.strerror}; run provisioning with sudo")
