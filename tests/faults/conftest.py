"""Fault-injection fixtures: a real ward data folder (signed bundle, real index), real engines, and a
pipeline wired like the kiosk's with only the broken part swapped.

The data folder is built once per session (two imports of a small signed ward bundle, so a previous
version exists for rollback) and copied for every test that changes it. Engines (viet-asr, espeak-ng,
the knowledge store) are loaded once per session; each test gets a fresh ``Pipeline`` around them.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from kiosk_app.core.events import Event
from kiosk_app.core.settings import Settings
from kiosk_app.pipeline import Pipeline
from knowledge.bundle.schema import build_bundle_bytes, load_records_dir
from speech.audio import WavSource
from tests.faults.fault_kit import recording

REPO = Path(__file__).resolve().parents[2]
SAMPLE_RECORDS = REPO / "knowledge" / "sample" / "records"
# A ward bundle of realistic size: the refusal kinds are learned against the procedures, and a bundle
# of three procedures would make them outweigh everything. Version 2 drops two procedures.
WARD_IDS = tuple(sorted(p.stem for p in SAMPLE_RECORDS.glob("*.yaml") if p.stem != "out_of_scope"))
WARD_V2_IDS = tuple(i for i in WARD_IDS if i not in ("dang-ky-tam-tru", "chung-thuc-ban-sao"))


@dataclass
class Ward:
    """The session's ward data folder (do not modify: use ``ward_copy``) and its signing key."""

    data_dir: Path
    private_key: Path

    def settings(self, data_dir: Path | None = None, **sections: Any) -> Settings:
        base = {"asr": {"detect_english": False}}  # Whisper detection is benchmarked, not faulted
        base.update(sections)
        return Settings(data_dir=data_dir or self.data_dir, **base)

    def bundle_file(self, dest: Path, version: str, ids: tuple[str, ...] = WARD_IDS) -> Path:
        from knowledge.bundle.signing import load_private_key, sign

        key = load_private_key(self.private_key)
        by_id = {r.id: r for r in load_records_dir(SAMPLE_RECORDS)}
        data = build_bundle_bytes([by_id[i] for i in ids], bundle_id="phuong", version=version,
                                  signer=lambda m: sign(m, key))
        dest.mkdir(parents=True, exist_ok=True)
        path = dest / f"phuong-{version}.wkb"
        path.write_bytes(data)
        return path


@pytest.fixture(scope="session")
def ward(tmp_path_factory: pytest.TempPathFactory) -> Ward:
    """phuong-1 (27 procedures) then phuong-2 (25) imported for real (signature, index, smoke test):
    current = 2, previous = 1."""
    from knowledge.bundle.importer import import_bundle
    from knowledge.bundle.signing import generate_keypair, trust_key

    root = tmp_path_factory.mktemp("ward")
    priv, pub = generate_keypair(root / "office-keys")
    w = Ward(root / "data", priv)
    s = w.settings()
    trust_key(s, pub)
    import_bundle(w.bundle_file(root / "usb", "1"), s)
    import_bundle(w.bundle_file(root / "usb", "2", WARD_V2_IDS), s)
    return w


@pytest.fixture
def ward_copy(ward: Ward, tmp_path: Path) -> Settings:
    """A private copy of the ward data folder (symlinks kept) for a test that changes it."""
    dst = tmp_path / "data"
    shutil.copytree(ward.data_dir, dst, symlinks=True)
    return ward.settings(dst)


@dataclass
class Engines:
    settings: Settings
    knowledge: Any
    recognizer: Any
    synthesizer: Any
    vad_factory: Callable[[], Any]


@pytest.fixture(scope="session")
def engines(ward: Ward) -> Iterator[Engines]:
    from kiosk_app import wiring
    from knowledge.service import open_current

    s = ward.settings()
    kn = open_current(s)
    rec = wiring.build_recognizer(s)
    syn = wiring.build_synthesizer(s)
    yield Engines(s, kn, rec, syn, lambda: wiring.build_vad(s))
    kn.close()
    rec.close()
    syn.close()


@dataclass
class Run:
    """One kiosk pipeline around the session engines; ``events`` is what the screen receives."""

    pipeline: Pipeline
    spoken: Path
    events: list[Event] = field(default_factory=list)

    def types(self) -> list[str]:
        return [str(e.type) for e in self.events if str(e.type) not in ("audio-level", "partial-transcript")]

    def of(self, cls: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, cls)]


@pytest.fixture
def make_run(engines: Engines, tmp_path: Path) -> Callable[..., Run]:
    from speech.audio.playback import WavFilePlayer

    def make(**overrides: Any) -> Run:
        spoken = tmp_path / "spoken.wav"
        events: list[Event] = []
        settings = overrides.pop("settings", engines.settings)
        kw: dict[str, Any] = {
            "source_factory": lambda: WavSource(recording(), tail_silence_s=1.5),
            "vad": engines.vad_factory(), "recognizer": engines.recognizer,
            "knowledge": engines.knowledge, "synthesizer": engines.synthesizer,
            "player": WavFilePlayer(spoken), "on_event": events.append}
        kw.update(overrides)
        return Run(Pipeline(settings, **kw), spoken, events)
    return make

