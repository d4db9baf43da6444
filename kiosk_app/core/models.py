"""Model registry: explicit paths, named errors, no downloads.

Known models are listed in ``models/manifest.toml`` of the checkout (the kiosk runs from its
checkout, installed editable). A model is resolved in this order:

1. provisioned: ``<models_path>/<name>/`` holding ``model.json`` (written by ``kiosk models install``:
   the files with size and sha256). Start-up checks presence and size; ``verify`` checks sha256.
2. package: ``source = "package:<module>/<subpath>"``: a directory inside an installed registry
   package, found with ``importlib.util.find_spec`` (the module is never imported).

Anything else raises ``ModelMissingError(name, path, expected)``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path

from kiosk_app.core.errors import ModelChecksumError, ModelMissingError
from kiosk_app.core.settings import Settings

REPO_MANIFEST = Path(__file__).resolve().parents[2] / "models" / "manifest.toml"
INSTALLED_FILE = "model.json"


@dataclass(frozen=True, slots=True)
class ModelSpec:
    name: str
    kind: str  # asr | tts | llm | embedding
    language: str
    source: str  # "provisioned" or "package:<module>[/<subpath>]"
    licence: str = ""
    file: str = ""  # main file inside the model directory, if one
    expect: str = ""  # what a technician must provide
    note: str = ""


def load_manifest(path: Path = REPO_MANIFEST) -> dict[str, ModelSpec]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    specs = [ModelSpec(**{k: v for k, v in m.items() if k in ModelSpec.__slots__}) for m in data["model"]]
    return {s.name: s for s in specs}


def package_dir(module: str) -> Path | None:
    """``<site-packages>/<module>`` of an installed package, found without importing it; None if absent."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _package_dir(source: str) -> Path | None:
    module, _, sub = source.removeprefix("package:").partition("/")
    base = package_dir(module)
    return base / sub if base is not None and sub else base


def installed_files(model_dir: Path) -> dict[str, dict[str, object]]:
    """``model.json`` of a provisioned model: {"files": {relpath: {"size": int, "sha256": str}}}."""
    meta = json.loads((model_dir / INSTALLED_FILE).read_text(encoding="utf-8"))
    files: dict[str, dict[str, object]] = meta["files"]
    return files


def require(settings: Settings, name: str, *, manifest: dict[str, ModelSpec] | None = None) -> Path:
    """Return the directory of model ``name`` or raise a named error saying what is expected where."""
    specs = manifest if manifest is not None else load_manifest()
    spec = specs.get(name)
    provisioned = settings.models_path / name
    if (provisioned / INSTALLED_FILE).is_file():
        for rel, info in installed_files(provisioned).items():
            f = provisioned / rel
            if not f.is_file():
                raise ModelMissingError(name, f, "a file listed in model.json")
            if f.stat().st_size != info.get("size"):
                raise ModelChecksumError(name, f, f"size {info.get('size')}", f"size {f.stat().st_size}")
        return provisioned
    if spec is not None and spec.source.startswith("package:"):
        pkg = _package_dir(spec.source)
        if pkg is not None and pkg.is_dir() and (not spec.file or (pkg / spec.file).is_file()):
            return pkg
        module = spec.source.removeprefix("package:").split("/")[0]
        raise ModelMissingError(name, pkg or module, f"the Python package providing '{module}'")
    expected = spec.expect if spec else "a model installed with `kiosk models install`"
    raise ModelMissingError(name, provisioned, expected)


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def verify(settings: Settings, name: str) -> Path:
    """Full check of a provisioned model: every file's sha256 (slow; provisioning/doctor only)."""
    path = require(settings, name)
    if (path / INSTALLED_FILE).is_file():
        for rel, info in installed_files(path).items():
            actual = sha256_file(path / rel)
            if actual != info.get("sha256"):
                raise ModelChecksumError(name, path / rel, str(info.get("sha256")), actual)
    return path
