#!/usr/bin/env bash
# Run the test suite (installs what is missing first, the same way scripts/install.sh does).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install.sh --no-start
.venv/bin/python scripts/fetch_fixtures.py
export KIVY_NO_ARGS=1 SDL_VIDEODRIVER=offscreen KIVY_HOME="$(mktemp -d)" ANONYMIZED_TELEMETRY=False
set +e
.venv/bin/python -m pytest -q "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then echo "pytest: no tests collected: failing"; rc=1; fi
exit "$rc"
