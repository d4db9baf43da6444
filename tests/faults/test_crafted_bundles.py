"""Issue 17, bundles: every crafted bundle is refused within 5 s with a precise message, nothing is
written outside the staging folder, and the old bundle keeps answering.

The kiosk here is real: a signed ward bundle imported with the real index and smoke test; each crafted
file goes through ``import_bundle`` with the real indexer, as the staff screen and
``kiosk bundle import`` run it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kiosk_app.core.errors import BundleError
from kiosk_app.core.settings import Settings
from kiosk_app.ui.bundle_messages import staff_vi
from knowledge.bundle import importer
from knowledge.bundle.schema import Record, load_records_dir
from knowledge.bundle.signing import generate_keypair, load_private_key, trust_key
from knowledge.service import Knowledge
from knowledge.types import Verdict
from knowledge.understand.retrieval import Mode
from tests.faults.crafted_bundles import (
    ACTIVE_CREATED,
    ACTIVE_VERSION,
    Crafted,
    crafted_cases,
    good_members,
    pack,
)

REPO = Path(__file__).resolve().parents[2]
IDS = ("khai-sinh", "ket-hon", "khai-tu")
GENERIC_VI = "Gói dữ liệu không hợp lệ."
LIMIT_S = 5.0


@dataclass
class Kiosk:
    settings: Settings
    usb: Path
    cases: dict[str, Crafted]
    active: str  # folder name of the active bundle


def tree(root: Path) -> set[str]:
    """Every path under ``root`` (files, folders, links), relative: what a refusal must not change."""
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


def answers_khai_sinh(settings: Settings) -> bool:
    """The active bundle, opened as the kiosk opens it (lexical: fast), answers a birth question."""
    kn = Knowledge.open((settings.bundles_dir / "current").resolve(), settings, mode=Mode.LEXICAL)
    try:
        ans = kn.ask("làm giấy khai sinh cho cháu cần gì")
    finally:
        kn.close()
    return ans.verdict is Verdict.ANSWER and ans.procedure_id == "khai-sinh"


@pytest.fixture(scope="module")
def records() -> list[Record]:
    by_id = {r.id: r for r in load_records_dir(REPO / "knowledge" / "sample" / "records")}
    return [by_id[i] for i in IDS]


@pytest.fixture(scope="module")
def kiosk(tmp_path_factory: pytest.TempPathFactory, records: list[Record]) -> Iterator[Kiosk]:
    root = tmp_path_factory.mktemp("crafted")
    settings = Settings(data_dir=root / "data", asr={"detect_english": False})
    priv, pub = generate_keypair(root / "office-keys")
    trust_key(settings, pub)
    key = load_private_key(priv)
    usb = root / "usb"
    usb.mkdir()
    good = usb / "phuong-good.wkb"
    good.write_bytes(pack(good_members(records), key, version=ACTIVE_VERSION, created=ACTIVE_CREATED))
    res = importer.import_bundle(good, settings)  # real index, real smoke test
    cases = {c.name: c for c in crafted_cases(records, key)}
    for c in cases.values():
        (usb / f"{c.name.replace('/', '_').replace(':', '_')}.wkb").write_bytes(c.data)
    yield Kiosk(settings, usb, cases, res.info.name)


def _path(k: Kiosk, name: str) -> Path:
    return k.usb / f"{name.replace('/', '_').replace(':', '_')}.wkb"


def test_the_set_covers_every_bundle_finding_of_issue_17(kiosk: Kiosk) -> None:
    names = set(kiosk.cases)
    assert len(names) >= 30
    for needed in ("unsigned-alias-bomb", "listed-unread:records/README.txt", "listed-unread:LICENSE",
                   "listed-unread:import.json", "listed-unread:records/khai-tu.YAML", "url-3026-chars",
                   "title-200000", "downgrade-version", "online-url:lookalike-http", "source-url:javascript",
                   "nfd-duplicate-title", "duplicate-fee-key", "hidden-char:bidi-rlo",
                   "hidden-char:zero-width-space", "chat-token:<|im_start|>sy", "manifest-2mb-brackets"):
        assert needed in names, needed


def test_every_crafted_bundle_is_refused_fast_precisely_and_the_old_one_answers(
        kiosk: Kiosk) -> None:
    data_dir = kiosk.settings.data_dir
    before_data, before_usb = tree(data_dir), tree(kiosk.usb)
    timings: dict[str, float] = {}
    for name, case in kiosk.cases.items():
        t0 = time.perf_counter()
        with pytest.raises(BundleError) as exc:
            importer.import_bundle(_path(kiosk, name), kiosk.settings)
        timings[name] = time.perf_counter() - t0
        err = exc.value
        assert err.code is case.code, f"{name}: [{err.code}] {err}"
        assert case.needle.lower() in str(err).lower(), f"{name}: {err}"
        assert staff_vi(err) and staff_vi(err) != GENERIC_VI, name
        assert timings[name] < LIMIT_S, f"{name} took {timings[name]:.2f} s"
        assert tree(data_dir) == before_data, f"{name} changed the data folder"
        assert tree(kiosk.usb) == before_usb, f"{name} wrote next to the bundle file"
        assert (data_dir / "bundles" / "current").resolve().name == kiosk.active, name
        assert answers_khai_sinh(kiosk.settings), name
    slowest = max(timings, key=lambda n: timings[n])
    print(f"\n{len(timings)} crafted bundles refused; slowest {slowest} {timings[slowest] * 1000:.0f} ms; "
          + ", ".join(f"{n} {t * 1000:.0f} ms" for n, t in timings.items()))


def test_the_optional_members_pass_when_well_formed(kiosk: Kiosk, records: list[Record]) -> None:
    """Room for the format's additions: out_of_scope.yaml and a real vectors.npz are read, not refused."""
    import numpy as np

    from knowledge.bundle.signing import load_private_key
    from knowledge.understand.vectors import pack as pack_vectors

    key = load_private_key(kiosk.settings.data_dir.parent / "office-keys" / "bundle-signing.key")
    oos = "kinds:\n  chitchat_advice:\n    examples: [hôm nay trời thế nào]\n"
    members = {**good_members(records), "out_of_scope.yaml": oos.encode(),
               "vectors.npz": pack_vectors(["khai-sinh#title"], ["Đăng ký khai sinh"],
                                           np.ones((1, 384), dtype=np.float32))}
    path = kiosk.usb / "with-extras.wkb"
    path.write_bytes(pack(members, key))
    _m, bundle, signed_by, _lint = importer.check_bundle(path, kiosk.settings)
    assert signed_by and bundle.vectors == members["vectors.npz"]
    assert bundle.out_of_scope.kinds


def test_an_unsigned_alias_bomb_is_refused_in_milliseconds_by_verify_too(kiosk: Kiosk) -> None:
    t0 = time.perf_counter()
    with pytest.raises(BundleError, match="not signed"):
        importer.check_bundle(_path(kiosk, "unsigned-alias-bomb"), kiosk.settings)  # kiosk bundle verify
    assert time.perf_counter() - t0 < 0.5


def test_the_old_bundle_still_answers_with_its_semantic_index(kiosk: Kiosk) -> None:
    kn = Knowledge.open((kiosk.settings.bundles_dir / "current").resolve(), kiosk.settings)
    try:
        ans = kn.ask("đăng ký kết hôn cần giấy tờ gì")
    finally:
        kn.close()
    assert ans.verdict is Verdict.ANSWER and ans.procedure_id == "ket-hon"
