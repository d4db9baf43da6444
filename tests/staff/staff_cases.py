"""Generator of corrupted and malicious bundle files (used by tests/staff and bench/bench_import.py).

Each case is what a stick could carry: a broken copy, a tampered record, an unsigned or foreign-signed
bundle, or a zip crafted to escape the folder, exhaust the disk or memory, or smuggle a symlink.
Every case must be refused before the active bundle changes.
"""

from __future__ import annotations

import io
import json
import stat
import struct
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk_app.core.errors import ErrorCode, StoreCorruptError
from knowledge.bundle.schema import Bundle, Record, build_bundle_bytes, record_yaml, sha256_bytes
from knowledge.bundle.signing import sign

SMALL_MAX_BYTES = 2 * 1024 * 1024  # settings.staff.max_bundle_bytes used with the "too large" case
CASE_NAMES = (
    "not-a-zip", "empty-file", "truncated", "corrupt-payload", "too-large", "zip-slip-dotdot",
    "zip-slip-absolute", "zip-slip-backslash", "drive-letter", "symlink-member", "fifo-member",
    "duplicate-member", "zip-bomb", "ratio-bomb", "lying-size", "too-many-members", "odd-directory",
    "unsigned", "foreign-key", "garbage-signature", "tampered-record", "tampered-record-and-manifest",
    "missing-fee", "empty-fee", "bad-yaml", "extra-member", "missing-member", "no-manifest",
    "wrong-schema-version", "record-count-lie", "duplicate-title")


@dataclass(frozen=True)
class Case:
    name: str
    data: bytes
    code: ErrorCode  # the refusal's stable code
    needle: str = ""  # a word the English message must contain


Member = tuple[str | zipfile.ZipInfo, bytes]


def _zip(members: list[Member], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buf, "w", compression=compression) as zf:
        warnings.simplefilter("ignore")  # "Duplicate name": made on purpose
        for name, data in members:
            zf.writestr(name, data)
    return buf.getvalue()


def _unpack(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [(i.filename, zf.read(i)) for i in zf.infolist()]


def _with_manifest(members: list[tuple[str, bytes]], key: Ed25519PrivateKey | None,
                   edit: Callable[[dict[str, object]], None] | None = None) -> bytes:
    """Recompute checksums for the given members (a consistent bundle), optionally edit, re-sign."""
    data = dict(members)
    manifest = json.loads(data["manifest.json"])
    manifest["files"] = {n: sha256_bytes(d) for n, d in members if n.startswith("records/")}
    if edit:
        edit(manifest)
    raw = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
    out = [("manifest.json", raw)]
    if key is not None:
        out.append(("manifest.sig", sign(raw, key)))
    out += [(n, d) for n, d in members if n not in ("manifest.json", "manifest.sig")]
    return _zip(out)


def _symlink_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def _fifo_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFIFO | 0o644) << 16
    return info


def _lying_size(data: bytes) -> bytes:
    """Make the central directory claim a smaller uncompressed size for the first record."""
    buf = bytearray(data)
    at = buf.find(b"PK\x01\x02", 0)
    while at >= 0:
        name_len = struct.unpack_from("<H", buf, at + 28)[0]
        name = bytes(buf[at + 46:at + 46 + name_len])
        if name.startswith(b"records/"):
            struct.pack_into("<I", buf, at + 24, 10)  # uncompressed size
            break
        at = buf.find(b"PK\x01\x02", at + 4)
    return bytes(buf)


def _flip_payload(data: bytes) -> bytes:
    """Corrupt the compressed bytes of the first record (a bad copy to the stick)."""
    buf = bytearray(data)
    at = buf.find(b"PK\x03\x04")
    while at >= 0:
        name_len, extra_len = struct.unpack_from("<HH", buf, at + 26)
        if bytes(buf[at + 30:at + 30 + name_len]).startswith(b"records/"):
            start = at + 30 + name_len + extra_len
            for i in range(start + 5, start + 25):
                buf[i] ^= 0x55
            break
        at = buf.find(b"PK\x03\x04", at + 4)
    return bytes(buf)


def make_cases(records: list[Record], key: Ed25519PrivateKey, *, version: str = "9.9.9",
               max_bundle_bytes: int = SMALL_MAX_BYTES) -> list[Case]:
    """Bundles that must all be refused, given good records and the trusted signing key.

    ``max_bundle_bytes`` must equal the kiosk's ``settings.staff.max_bundle_bytes`` (the "too large" case).
    """
    def good(**kw: object) -> bytes:
        return build_bundle_bytes(records, bundle_id="bad", version=version,
                                  signer=lambda m: sign(m, key), **kw)  # type: ignore[arg-type]

    ok = good()
    members = _unpack(ok)
    first = next(n for n, _ in members if n.startswith("records/"))
    rid = first.removeprefix("records/").removesuffix(".yaml")
    rec_data = yaml.safe_load(dict(members)[first])
    cases: list[Case] = []
    add = cases.append

    # --- not a bundle / broken copy
    add(Case("not-a-zip", b"This is a text file, not a bundle.\n" * 20, ErrorCode.BUNDLE_INVALID,
             "not a zip"))
    add(Case("empty-file", b"", ErrorCode.BUNDLE_INVALID, "not a zip"))
    add(Case("truncated", ok[: len(ok) // 2], ErrorCode.BUNDLE_INVALID, "not a zip"))
    add(Case("corrupt-payload", _flip_payload(ok), ErrorCode.BUNDLE_INVALID, "corrupt"))
    add(Case("too-large", ok + b"\0" * (max_bundle_bytes + 1), ErrorCode.BUNDLE_UNSAFE, "larger than"))
    # --- zip tricks
    add(Case("zip-slip-dotdot", _zip([*members, ("records/../../evil.yaml", b"x")]),
             ErrorCode.BUNDLE_UNSAFE, "unsafe member path"))
    add(Case("zip-slip-absolute", _zip([*members, ("/etc/cron.d/evil", b"x")]),
             ErrorCode.BUNDLE_UNSAFE, "unsafe member path"))
    add(Case("zip-slip-backslash", _zip([*members, ("records\\..\\..\\evil.yaml", b"x")]),
             ErrorCode.BUNDLE_UNSAFE, "unsafe member path"))
    add(Case("drive-letter", _zip([*members, ("C:/evil.yaml", b"x")]), ErrorCode.BUNDLE_UNSAFE, "unsafe"))
    add(Case("symlink-member", _zip([*members, (_symlink_info("records/link.yaml"), b"/etc/passwd")]),
             ErrorCode.BUNDLE_UNSAFE, "symbolic link"))
    add(Case("fifo-member", _zip([*members, (_fifo_info("records/fifo.yaml"), b"")]),
             ErrorCode.BUNDLE_UNSAFE, "not a regular file"))
    add(Case("duplicate-member", _zip([*members, (first, b"id: other\n")]),
             ErrorCode.BUNDLE_UNSAFE, "duplicate member"))
    add(Case("zip-bomb", _zip([*members, ("records/bomb.yaml", b"\0" * (3 * 1024 * 1024))]),
             ErrorCode.BUNDLE_UNSAFE, "unpacks to"))
    add(Case("ratio-bomb", _zip([*members, ("records/ratio.yaml", b"a" * (1024 * 1024))]),
             ErrorCode.BUNDLE_UNSAFE, "compression ratio"))
    add(Case("lying-size", _lying_size(ok), ErrorCode.BUNDLE_INVALID, "corrupt"))  # header says 10 bytes
    add(Case("too-many-members", _zip([*members, *[(f"records/x{i}.yaml", b"") for i in range(5001)]],
                                      compression=zipfile.ZIP_STORED), ErrorCode.BUNDLE_UNSAFE, "members"))
    add(Case("odd-directory", _zip([*members, ("evil/", b"")]), ErrorCode.BUNDLE_UNSAFE, "directory"))
    # --- signature
    add(Case("unsigned", build_bundle_bytes(records, bundle_id="bad", version=version),
             ErrorCode.BUNDLE_UNSIGNED, "not signed"))
    other = Ed25519PrivateKey.generate()
    add(Case("foreign-key", build_bundle_bytes(records, bundle_id="bad", version=version,
                                               signer=lambda m: sign(m, other)),
             ErrorCode.BUNDLE_SIGNATURE, "matches none"))
    add(Case("garbage-signature",
             _zip([(n, b"!!not base64!!" if n == "manifest.sig" else d) for n, d in members]),
             ErrorCode.BUNDLE_SIGNATURE, "base64"))
    tampered = [(n, d + "\n# sửa lén\n".encode() if n == first else d) for n, d in members]
    add(Case("tampered-record", _zip(tampered), ErrorCode.BUNDLE_INVALID, "sha256"))
    retold = _unpack(_with_manifest(tampered, None))  # checksums fixed up, old signature kept
    add(Case("tampered-record-and-manifest",
             _zip([retold[0], ("manifest.sig", dict(members)["manifest.sig"]), *retold[1:]]),
             ErrorCode.BUNDLE_SIGNATURE, "matches none"))
    # --- content (properly signed, so only the content check can refuse them)
    no_fee = {k: v for k, v in rec_data.items() if k != "fee"}
    add(Case("missing-fee", _with_manifest([(first, yaml.safe_dump(no_fee, allow_unicode=True).encode())
                                            if n == first else (n, d) for n, d in members], key),
             ErrorCode.BUNDLE_INVALID, "fee"))
    empty_fee = {**rec_data, "fee": {**rec_data["fee"], "text": "   "}}
    add(Case("empty-fee", _with_manifest([(first, yaml.safe_dump(empty_fee, allow_unicode=True).encode())
                                          if n == first else (n, d) for n, d in members], key),
             ErrorCode.BUNDLE_INVALID, "fee"))
    add(Case("bad-yaml", _with_manifest([(first, b"id: [unclosed\n  - : :") if n == first else (n, d)
                                         for n, d in members], key), ErrorCode.BUNDLE_INVALID, "YAML"))
    add(Case("extra-member", _zip([*members, ("records/extra.yaml", record_yaml(records[0]))]),
             ErrorCode.BUNDLE_INVALID, "not listed"))
    add(Case("missing-member", _zip([(n, d) for n, d in members if n != first]), ErrorCode.BUNDLE_INVALID,
             "missing"))
    add(Case("no-manifest", _zip([(n, d) for n, d in members if not n.startswith("manifest")]),
             ErrorCode.BUNDLE_INVALID, "manifest.json is missing"))
    add(Case("wrong-schema-version", _with_manifest(members, key, lambda m: m.update(schema_version=99)),
             ErrorCode.BUNDLE_INVALID, "schema_version"))
    add(Case("record-count-lie", _with_manifest(members, key, lambda m: m.update(record_count=999)),
             ErrorCode.BUNDLE_INVALID, "records"))
    if len(records) > 1:
        dup_title = {**rec_data, "id": "ban-sao-" + rid}
        second = ("records/ban-sao-" + rid + ".yaml", yaml.safe_dump(dup_title, allow_unicode=True).encode())
        add(Case("duplicate-title", _with_manifest([*members, second], key,
                                                   lambda m: m.update(record_count=len(records) + 1)),
                 ErrorCode.BUNDLE_INVALID, "title"))
    return cases


def write_cases(cases: list[Case], out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for c in cases:
        p = out_dir / f"{c.name}.wkb"
        p.write_bytes(c.data)
        paths.append(p)
    return paths


def fake_indexer(bundle: Bundle, index_dir: Path, progress: Callable[[int, int], None] | None) -> None:
    """Stands in for knowledge.understand.store.build_index where the index content does not matter."""
    index_dir.mkdir(parents=True)
    if progress:
        progress(len(bundle.records), len(bundle.records))
    (index_dir / "index.json").write_text(json.dumps({"records": list(bundle.records)}), encoding="utf-8")


def no_smoke(bundle_dir: Path, bundle: Bundle, settings: object = None) -> None:
    assert (bundle_dir / "index" / "index.json").is_file()


def fake_index_check(index_dir: Path) -> None:
    """Stands in for knowledge.bundle.version_check.open_index_check on an index made by ``fake_indexer``."""
    try:
        json.loads((index_dir / "index.json").read_text(encoding="utf-8"))["records"]
    except (OSError, ValueError, KeyError) as err:
        raise StoreCorruptError(f"knowledge index at {index_dir} is damaged ({err})") from err
