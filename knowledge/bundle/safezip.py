"""Read a bundle zip from an untrusted place (a USB stick) safely, before anything on disk changes.

The whole file is read into memory once (size-limited), so a stick pulled out half-way, or a file
changed while we read it, cannot mix two versions. Then every member is checked *before* it is
decompressed, and decompression itself is capped:

- file size ≤ ``settings.staff.max_bundle_bytes``; must be a readable, untruncated zip;
- at most ``ZipLimits.max_members`` members; no duplicate names;
- names: relative, ``/``-separated, ASCII ``[A-Za-z0-9._-]`` components only: no absolute paths,
  drive letters, ``..``, backslashes, empty components (zip-slip);
- only regular files (symlinks, devices, FIFOs in ``external_attr`` are refused) and ``records/``
  directory entries; no encrypted members; only stored or deflated members;
- per-member and total uncompressed size caps, and a compression-ratio cap (zip bombs); declared
  sizes are not trusted: reading stops one byte past the cap, and the CRC is checked.

Every refusal is a ``BundleUnsafeError`` (or ``BundleError`` for an unreadable file) with an English
message for logs and a ``reason`` key (+ details) that the UI turns into a sentence for ward staff.
The result is the ``members`` dict that
``knowledge.bundle.schema.bundle_from_members`` validates (schema, checksums).
"""

from __future__ import annotations

import io
import logging
import re
import stat
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from kiosk_app.core.errors import BundleError, BundleUnsafeError

log = logging.getLogger(__name__)

_COMPONENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_ALLOWED_DIRS = frozenset({"records/", "recordings/"})
_CHUNK = 64 * 1024
DEFAULT_MAX_FILE_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ZipLimits:
    """Caps for one bundle. The defaults fit a 1,000-procedure bundle many times over."""

    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES  # settings.staff.max_bundle_bytes
    max_members: int = 5000
    max_member_bytes: int = 2 * 1024 * 1024  # one record YAML is ~10 kB
    max_total_bytes: int = 200 * 1024 * 1024
    max_ratio: float = 100.0  # uncompressed / compressed, checked above ratio_floor_bytes
    ratio_floor_bytes: int = 256 * 1024
    # members allowed to be larger than max_member_bytes: the precomputed vectors (float16 arrays,
    # ~15 MB for 1,000 procedures with their example questions)
    large_members: tuple[tuple[str, int], ...] = (("vectors.npz", 64 * 1024 * 1024),)

    def member_cap(self, name: str) -> int:
        return next((cap for n, cap in self.large_members if n == name), self.max_member_bytes)

    @classmethod
    def from_settings(cls, settings: object) -> ZipLimits:
        staff = getattr(settings, "staff", None)
        return cls(max_file_bytes=int(getattr(staff, "max_bundle_bytes", DEFAULT_MAX_FILE_BYTES)))


def read_file_limited(path: Path, limits: ZipLimits) -> bytes:
    """Read a bundle file into memory, refusing one larger than the limit (checked while reading)."""
    path = Path(path)
    try:
        if path.exists() and not path.is_dir() and not stat.S_ISREG(path.stat().st_mode):
            raise BundleUnsafeError(f"{path}: not a regular file (device, FIFO or socket)",
                                    "file-not-regular", name=path.name)
        with path.open("rb") as fh:
            data = fh.read(limits.max_file_bytes + 1)
    except FileNotFoundError as err:
        raise BundleError(f"{path}: file not found", "file-not-found", name=path.name) from err
    except IsADirectoryError as err:
        raise BundleError(f"{path}: is a directory, not a bundle file",
                          "file-is-dir", name=path.name) from err
    except OSError as err:
        raise BundleError(f"{path}: cannot read: {err.strerror or err}",
                          "file-unreadable", name=path.name) from err
    if len(data) > limits.max_file_bytes:
        raise BundleUnsafeError(
            f"{path}: file is larger than the limit of {limits.max_file_bytes} bytes",
            "file-too-large", limit_mb=limits.max_file_bytes / (1024 * 1024))
    return data


def check_member_name(name: str) -> None:
    """Refuse names that could escape the target directory or clash on another file system."""
    bad = (not name or "\\" in name or "\x00" in name or name.startswith("/")
           or re.match(r"^[A-Za-z]:", name) is not None)
    parts = name.rstrip("/").split("/")
    if not bad:
        bad = any(p in ("", ".", "..") or not _COMPONENT.match(p) for p in parts)
    if bad:
        raise BundleUnsafeError(f"unsafe member path {name!r} (absolute, '..', backslash or odd characters)",
                                "zip-unsafe-path")


def _check_info(info: zipfile.ZipInfo, limits: ZipLimits) -> None:
    name = info.filename
    check_member_name(name)
    mode = info.external_attr >> 16
    if info.create_system == 3 and mode and stat.S_IFMT(mode):  # unix attributes present
        if stat.S_ISLNK(mode):
            raise BundleUnsafeError(f"member {name!r} is a symbolic link",
                                    "zip-symlink")
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            raise BundleUnsafeError(f"member {name!r} is not a regular file (mode {oct(mode)})",
                                    "zip-special-file")
    if info.flag_bits & 0x1:
        raise BundleUnsafeError(f"member {name!r} is encrypted", "zip-encrypted")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise BundleUnsafeError(f"member {name!r} uses unsupported compression {info.compress_type}",
                                "zip-compression")
    if info.file_size > limits.member_cap(name):
        raise BundleUnsafeError(
            f"member {name!r} unpacks to {info.file_size} bytes (limit {limits.member_cap(name)})",
            "zip-member-too-large", name=name)
    if (info.file_size > limits.ratio_floor_bytes
            and info.file_size > limits.max_ratio * max(info.compress_size, 1)):
        raise BundleUnsafeError(
            f"member {name!r} has compression ratio {info.file_size / max(info.compress_size, 1):.0f}:1 "
            f"(limit {limits.max_ratio:.0f}:1): zip bomb?",
            "zip-ratio")


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes:
    """Decompress one member, stopping one byte past ``cap`` whatever the header claims."""
    buf = io.BytesIO()
    with zf.open(info) as fh:
        while True:
            chunk = fh.read(_CHUNK)
            if not chunk:
                break
            buf.write(chunk)
            if buf.tell() > cap:
                raise BundleUnsafeError(
                    f"member {info.filename!r} unpacks past its limit of {cap} bytes "
                    "(sizes in the header lie)",
                    "zip-member-overflow", name=info.filename)
    data = buf.getvalue()
    if len(data) != info.file_size:
        raise BundleUnsafeError(
            f"member {info.filename!r} unpacked to {len(data)} bytes, header says {info.file_size}",
            "zip-member-size-mismatch", name=info.filename)
    return data


class BundleZip:
    """A bundle zip held in memory whose directory passed every check; members are unpacked on
    demand, each capped, so the manifest and signature can be read (and the signature checked)
    before anything else is decompressed or parsed. Use as a context manager."""

    def __init__(self, data: bytes, limits: ZipLimits = ZipLimits(), *, label: str = "bundle") -> None:
        self.label = label
        self.limits = limits
        try:
            self._zf = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as err:
            raise BundleError(f"{label}: not a zip file or truncated ({err})",
                              "not-a-zip") from err
        try:
            self._infos = self._check_directory()
        except BaseException:
            self._zf.close()
            raise
        self._total = 0

    def _check_directory(self) -> dict[str, zipfile.ZipInfo]:
        label, limits = self.label, self.limits
        infos = self._zf.infolist()
        if len(infos) > limits.max_members:
            raise BundleUnsafeError(f"{label}: {len(infos)} members (limit {limits.max_members})",
                                    "zip-too-many-members")
        seen: set[str] = set()
        for info in infos:
            key = info.filename.rstrip("/").casefold()
            if key in seen:
                raise BundleUnsafeError(f"{label}: duplicate member {info.filename!r}",
                                        "zip-duplicate", name=info.filename)
            seen.add(key)
            _check_info(info, limits)
            if info.is_dir() and info.filename not in _ALLOWED_DIRS:
                raise BundleUnsafeError(f"{label}: unexpected directory {info.filename!r}",
                                        "zip-odd-dir", name=info.filename)
        if sum(i.file_size for i in infos) > limits.max_total_bytes:
            raise BundleUnsafeError(f"{label}: members unpack to more than {limits.max_total_bytes} bytes",
                                    "zip-total-too-large")
        return {i.filename: i for i in infos if not i.is_dir()}

    @property
    def names(self) -> list[str]:
        """Member file names (directory entries left out), in zip order."""
        return list(self._infos)

    def read(self, name: str, cap: int | None = None) -> bytes:
        """Unpack one member, stopping one byte past ``cap`` (default: the per-member limit)."""
        info = self._infos[name]
        member_cap = self.limits.member_cap(name)
        limit = min(cap or member_cap, member_cap, self.limits.max_total_bytes - self._total)
        if info.file_size > limit:
            raise BundleUnsafeError(f"{self.label}: member {name!r} is {info.file_size:,} bytes "
                                    f"(limit {limit:,})", "zip-member-over-limit", name=name)
        try:
            raw = _read_member(self._zf, info, limit)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, ValueError) as err:
            # BadZipFile covers "Bad CRC-32"; a damaged deflate stream raises zlib.error
            raise BundleError(f"{self.label}: member {name!r} is corrupt ({err})",
                              "zip-member-corrupt", name=name) from err
        self._total += len(raw)
        return raw

    def read_all(self, skip: Iterable[str] = ()) -> dict[str, bytes]:
        done = set(skip)
        return {name: self.read(name) for name in self._infos if name not in done}

    def close(self) -> None:
        self._zf.close()

    def __enter__(self) -> BundleZip:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_members(data: bytes, limits: ZipLimits = ZipLimits(), *, label: str = "bundle") -> dict[str, bytes]:
    """Check and unpack a bundle zip held in memory. Returns member name -> bytes (directories skipped)."""
    with BundleZip(data, limits, label=label) as bz:
        members = bz.read_all()
    log.debug("%s: %d members, %d bytes unpacked", label, len(members), sum(map(len, members.values())))
    return members


def peek_member(path: Path, name: str, cap: int) -> bytes:
    """One member read straight from the file (its central directory and that member only, at most
    ``cap`` bytes): the staff screen's preview of a stick's bundle. Nothing is trusted from it."""
    try:
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo(name)
            if info.file_size > cap:
                raise BundleUnsafeError(f"{path.name}: {name} is {info.file_size:,} bytes (limit {cap:,})",
                                        "peek-too-large", name=name)
            return _read_member(zf, info, cap)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, zlib.error, EOFError, OSError,
            ValueError) as err:
        raise BundleError(f"{path.name}: cannot read {name} ({err})",
                          "peek-unreadable") from err


def open_bundle_zip(path: Path, limits: ZipLimits = ZipLimits()) -> BundleZip:
    """Read a ``.wkb`` file safely (size-limited) and check its zip directory; nothing is unpacked."""
    path = Path(path)
    return BundleZip(read_file_limited(path, limits), limits, label=path.name)


def read_bundle_zip(path: Path, limits: ZipLimits = ZipLimits()) -> dict[str, bytes]:
    """Read a ``.wkb`` file safely: size-limited read, then ``read_members``."""
    path = Path(path)
    data = read_file_limited(path, limits)
    return read_members(data, limits, label=path.name)
