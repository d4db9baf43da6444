"""Model packs: how technicians bring models onto a kiosk (a folder on a USB stick).

A pack is a folder with ``pack.toml`` and the model files::

    [[model]]
    name = "piper-vi"            # the name settings refer to (tts.piper_voice, asr.vosk_model, ...)
    kind = "tts"                 # asr | tts | llm | embedding
    language = "vi"
    licence = "CC-BY-4.0"
    source = "where it came from (URL or package)"
    [[model.files]]
    path = "piper-vi/vi_VN-voice.onnx"     # relative to the pack folder
    sha256 = "…"
    size = 63201294

``pack.sig`` (next to ``pack.toml``) is signed like a bundle (``knowledge.bundle.signing``, the same keys):
an Ed25519 signature, base64, of ``pack.toml``'s exact bytes; since ``pack.toml`` holds every file's
size and sha256, one signature covers the pack. The policy is the bundles' one
(``staff.require_signature``, default true): an unsigned pack is refused (``bundle-unsigned``), a
signature that matches no trusted key always (``bundle-signature``). The signature is checked on
the bytes read once, before ``pack.toml`` is parsed.

``install_pack`` verifies the signature, then every file's size and sha256, before anything changes,
copies the model into ``<models_path>/.incoming-<name>/`` on the same filesystem, writes ``model.json``
and renames it into place (the previous version is kept as ``<name>.previous`` until the new one is in
place). ``make_pack`` writes (and with ``sign_key`` signs) a pack from model folders.
"""

from __future__ import annotations

import json
import os
import shutil
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kiosk_app.core.errors import DiskFullError, KioskError, ModelChecksumError, ModelMissingError
from kiosk_app.core.models import INSTALLED_FILE, sha256_file
from kiosk_app.core.settings import Settings

PACK_FILE = "pack.toml"
PACK_SIG = "pack.sig"
MAX_PACK_FILE_BYTES = 1024 * 1024
Progress = Callable[[str, int, int], None]  # (file, bytes done, bytes total)


class PackError(KioskError):
    """A model pack is malformed (the code says a model is missing: the kiosk can't use it)."""

    code = ModelMissingError.code


class PackFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    path: str = Field(min_length=1)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=0)


class PackModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")
    kind: str = Field(pattern=r"^(asr|tts|llm|embedding)$")
    language: str
    licence: str = Field(min_length=1)
    source: str = ""
    files: tuple[PackFile, ...] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class Installed:
    name: str
    path: Path
    files: int
    bytes: int
    changed: bool  # False when the identical model was already installed (idempotent)


def read_pack(pack_dir: Path, settings: Settings | None = None) -> list[PackModel]:
    """Parse ``pack.toml``; with ``settings``, verify ``pack.sig`` on the same bytes first."""
    f = Path(pack_dir) / PACK_FILE
    if not f.is_file():
        raise PackError(f"{f} not found: a model pack is a folder with {PACK_FILE} and the model files")
    with f.open("rb") as fh:
        raw = fh.read(MAX_PACK_FILE_BYTES + 1)
    if len(raw) > MAX_PACK_FILE_BYTES:
        raise PackError(f"{f} is larger than {MAX_PACK_FILE_BYTES} bytes")
    if settings is not None:
        verify_pack_signature(Path(pack_dir), raw, settings)
    return _parse_pack(f, raw)


def verify_pack_signature(pack_dir: Path, raw: bytes, settings: Settings) -> str | None:
    """The bundles' signature policy on ``pack.toml``'s bytes; returns the key fingerprint or None."""
    from knowledge.bundle.signing import verify_manifest

    sig_path = pack_dir / PACK_SIG
    sig = sig_path.read_bytes()[:4096] if sig_path.is_file() else None
    return verify_manifest(str(pack_dir / PACK_FILE), raw, sig, settings, kind="model pack")


def _parse_pack(f: Path, raw: bytes) -> list[PackModel]:
    try:
        data = tomllib.loads(raw.decode("utf-8"))
        models = [PackModel.model_validate(m) for m in data.get("model", [])]
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise PackError(f"{f} is not valid TOML: {err}") from err
    except ValidationError as err:
        e = err.errors()[0]
        raise PackError(f"{f}: model field {'.'.join(map(str, e['loc']))}: {e['msg']}") from err
    if not models:
        raise PackError(f"{f} lists no [[model]]")
    for m in models:
        for pf in m.files:
            p = Path(pf.path)
            if p.is_absolute() or ".." in p.parts:
                raise PackError(f"{f}: model {m.name}: unsafe file path {pf.path!r}")
    return models


def _rel_in_model(pf: PackFile, name: str) -> str:
    """Path of a pack file inside the installed model dir (drops a leading '<name>/')."""
    parts = Path(pf.path).parts
    return Path(*parts[1:]).as_posix() if len(parts) > 1 and parts[0] == name else Path(pf.path).name


def _same_as_installed(dest: Path, model: PackModel) -> bool:
    meta = dest / INSTALLED_FILE
    if not meta.is_file():
        return False
    try:
        have = json.loads(meta.read_text(encoding="utf-8"))["files"]
    except (ValueError, KeyError):
        return False
    want = {_rel_in_model(pf, model.name): {"size": pf.size, "sha256": pf.sha256} for pf in model.files}
    return bool(have == want) and all((dest / rel).is_file() for rel in want)


def install_pack(pack_dir: Path, settings: Settings, *, only: Iterable[str] = (),
                 progress: Progress | None = None) -> list[Installed]:
    """Verify then install every model of a pack (or only the named ones). Idempotent."""
    pack_dir = Path(pack_dir)
    wanted = set(only)
    models = [m for m in read_pack(pack_dir, settings) if not wanted or m.name in wanted]
    if wanted - {m.name for m in models}:
        raise PackError(f"not in the pack: {', '.join(sorted(wanted - {m.name for m in models}))}")
    # 1. verify everything before changing anything
    for m in models:
        for pf in m.files:
            src = pack_dir / pf.path
            if not src.is_file():
                raise ModelMissingError(m.name, src, f"file listed in {PACK_FILE}")
            damaged = "the model pack is damaged: copy it onto the stick again"
            if src.stat().st_size != pf.size:
                raise ModelChecksumError(m.name, src, f"size {pf.size}", f"size {src.stat().st_size}",
                                         damaged)
            actual = sha256_file(src)
            if actual != pf.sha256:
                raise ModelChecksumError(m.name, src, pf.sha256, actual, damaged)
    root = settings.models_path
    root.mkdir(parents=True, exist_ok=True)
    need = sum(pf.size for m in models for pf in m.files)
    free = shutil.disk_usage(root).free
    if need > free:
        raise DiskFullError(f"models need {need} bytes, {root} has {free} free")
    # 2. copy into staging, then swap
    done: list[Installed] = []
    for m in models:
        dest = root / m.name
        total = sum(pf.size for pf in m.files)
        if _same_as_installed(dest, m):
            done.append(Installed(m.name, dest, len(m.files), total, changed=False))
            continue
        staging = root / f".incoming-{m.name}"
        shutil.rmtree(staging, ignore_errors=True)
        try:
            files: dict[str, dict[str, object]] = {}
            for pf in m.files:
                rel = _rel_in_model(pf, m.name)
                target = staging / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                _copy(pack_dir / pf.path, target, progress)
                files[rel] = {"size": pf.size, "sha256": pf.sha256}
            meta = {"name": m.name, "kind": m.kind, "language": m.language, "licence": m.licence,
                    "source": m.source, "files": files}
            (staging / INSTALLED_FILE).write_text(json.dumps(meta, indent=2, ensure_ascii=False),
                                                  encoding="utf-8")
            old = root / f"{m.name}.previous"
            shutil.rmtree(old, ignore_errors=True)
            if dest.exists():
                os.replace(dest, old)
            os.replace(staging, dest)
            shutil.rmtree(old, ignore_errors=True)
        except OSError as err:
            shutil.rmtree(staging, ignore_errors=True)
            if err.errno == 28:  # ENOSPC
                raise DiskFullError(f"disk full while installing {m.name} into {root}") from err
            raise
        done.append(Installed(m.name, dest, len(m.files), total, changed=True))
    return done


def _copy(src: Path, dst: Path, progress: Progress | None, block: int = 4 << 20) -> None:
    size = src.stat().st_size
    done = 0
    with src.open("rb") as fi, dst.open("wb") as fo:
        while chunk := fi.read(block):
            fo.write(chunk)
            done += len(chunk)
            if progress:
                progress(src.name, done, size)
        fo.flush()
        os.fsync(fo.fileno())


@dataclass(frozen=True, slots=True)
class PackEntry:
    name: str
    kind: str
    language: str
    licence: str
    source: str = ""


def make_pack(out_dir: Path, entries: Iterable[PackEntry], sign_key: Path | None = None) -> Path:
    """Write ``pack.toml`` for model folders already copied to ``out_dir/<name>/``; with ``sign_key``
    (a private key made by ``kiosk bundle keygen``) also ``pack.sig``."""
    lines: list[str] = []
    for spec in entries:
        folder = Path(out_dir) / spec.name
        if not folder.is_dir():
            raise PackError(f"{folder} not found: copy the model files there first")
        lines += ["[[model]]", f'name = "{spec.name}"', f'kind = "{spec.kind}"',
                  f'language = "{spec.language}"', f"licence = {json.dumps(spec.licence)}",
                  f"source = {json.dumps(spec.source)}"]
        for f in sorted(p for p in folder.rglob("*") if p.is_file()):
            rel = f.relative_to(Path(out_dir)).as_posix()
            lines += ["[[model.files]]", f"path = {json.dumps(rel)}", f'sha256 = "{sha256_file(f)}"',
                      f"size = {f.stat().st_size}"]
        lines.append("")
    out = Path(out_dir) / PACK_FILE
    data = "\n".join(lines).encode("utf-8")
    out.write_bytes(data)
    sig = Path(out_dir) / PACK_SIG
    sig.unlink(missing_ok=True)  # a stale signature of an older pack.toml would only confuse
    if sign_key is not None:
        from knowledge.bundle.signing import signer_from_file

        sig.write_bytes(signer_from_file(sign_key)(data))
    read_pack(out_dir)  # what we wrote must read back
    return out
