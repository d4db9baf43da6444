"""``mypy --strict`` passes on the pydantic modules (settings, bundle format) with the pydantic plugin.

Without ``plugins = ["pydantic.mypy"]`` in pyproject.toml mypy reads every ``Field(default, ...)`` as a
required argument (18 false errors in settings.py), which hid the real ones in bundle.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.needs import needs_modules

REPO = Path(__file__).resolve().parents[2]
FILES = ("kiosk_app/core/settings.py", "knowledge/bundle/schema.py")


@needs_modules("mypy", hint="the [dev] extra")
def test_mypy_strict_is_clean_on_the_pydantic_modules(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path), *FILES],
                          cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
