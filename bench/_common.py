"""What every bench script sets up before it imports the kiosk packages.

Bench scripts run as ``python bench/<name>.py``, so their folder, not the repository, is first on
``sys.path``: importing this module puts the repository there too, and turns off Chroma's telemetry
and Kivy's command-line parsing (a bench script's own arguments are not Kivy's).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("KIVY_NO_ARGS", "1")
