"""Power loss at any moment of an import leaves a complete bundle active that answers questions.

The import runs as the real CLI in a subprocess (``kiosk bundle import FILE --yes``, real Chroma index)
and is SIGKILLed after a seeded random delay spread over one import's measured duration. After each
kill, ``current`` must resolve to a complete, checksum-valid bundle whose index answers its own titles,
before and after the start-up recovery (which must not change what is active).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk_app.core.settings import Settings
from knowledge.bundle import importer, version_folders
from knowledge.bundle.schema import Record, build_bundle_bytes, read_bundle_dir
from knowledge.bundle.signing import generate_keypair, load_private_key, sign, trust_key
from knowledge.service import Knowledge

REPO = Path(__file__).resolve().parents[2]
TRIALS = 20
SEED = 20261123


def _assert_active_bundle_answers(settings: Settings) -> str:
    link = settings.bundles_dir / "current"
    target = os.readlink(link)
    folder = settings.bundles_dir / target
    assert version_folders.complete(folder), f"current -> {target} is not a complete bundle"
    bundle = read_bundle_dir(folder)  # every checksum holds
    with Knowledge.open(folder, settings) as kn:
        rec = list(bundle.records.values())[-1]
        assert kn.ask(rec.title).procedure_id == rec.id
    return target


@pytest.mark.engine
@pytest.mark.slow
def test_sigkill_at_random_moments_never_breaks_the_active_bundle(
        tmp_path: Path, sample_records: list[Record], record_property: Callable[[str, object], None]) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    priv, pub = generate_keypair(tmp_path / "keys")
    trust_key(settings, pub)
    key = load_private_key(priv)
    by_id = {r.id: r for r in sample_records}
    sets = [[by_id[i] for i in ("khai-sinh", "ket-hon", "khai-tu")],
            [by_id[i] for i in ("khai-sinh", "trich-luc-ho-tich", "can-cuoc", "vneid")]]

    def bundle_file(n: int) -> Path:
        path = tmp_path / "usb" / f"t{n}.wkb"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(build_bundle_bytes(sets[n % 2], bundle_id="phuong", version=f"t{n}",
                                            signer=lambda m: sign(m, key)))
        return path

    importer.import_bundle(bundle_file(0), settings)
    env = {**os.environ, "KIOSK_DATA_DIR": str(settings.data_dir), "KIOSK_CONFIG": "",
           "PYTHONPATH": str(REPO)}

    def start(n: int) -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-m", "kiosk_app", "bundle", "import", str(bundle_file(n)),
                                 "--yes"], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)

    t0 = time.monotonic()  # one uninterrupted import sets the time scale
    assert start(1).wait(timeout=120) == 0
    duration = time.monotonic() - t0
    assert _assert_active_bundle_answers(settings) == "phuong-t1"

    rng = random.Random(SEED)
    killed = killed_mid_staging = 0
    for n in range(2, TRIALS + 2):
        before = os.readlink(settings.bundles_dir / "current")
        proc = start(n)
        try:
            proc.wait(timeout=rng.uniform(0.05, 1.1) * duration)
        except subprocess.TimeoutExpired:
            staging = any(p.name.startswith(".incoming-") for p in settings.bundles_dir.iterdir())
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
            killed += 1
            killed_mid_staging += staging
        active = _assert_active_bundle_answers(settings)
        assert active in (before, f"phuong-t{n}")  # the old bundle or the new one, nothing else
        version_folders.recover(settings)  # what the kiosk does at start-up: must not change what is active
        assert os.readlink(settings.bundles_dir / "current") == active
        assert not [p for p in settings.bundles_dir.iterdir() if p.name.startswith((".incoming-", ".trash-"))]
    record_property("import_s", round(duration, 2))
    record_property("killed", killed)
    record_property("killed_mid_staging", killed_mid_staging)
    assert killed >= TRIALS // 2, f"only {killed} of {TRIALS} imports were interrupted"
    assert killed_mid_staging >= 1, "no kill landed while the new index was being built"
