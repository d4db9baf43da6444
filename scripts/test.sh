#!/usr/bin/env bash
# Run the test suite (installs what is missing first, the same way scripts/install.sh does).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install.sh --no-start
# Packages only the tests use (install.sh brings Xvfb): a window manager (openbox, as in Raspberry Pi
# OS's X11 desktop) and the Wayland kiosk compositor with its Xwayland, screenshot tool and xhost,
# for the display-session tests (tests/system/test_service_display.py); systemd-analyze scores the
# service unit's hardening (tests/system/test_provision_service.py).
TEST_PKGS="openbox cage xwayland grim x11-xserver-utils systemd"
if ! dpkg -s $TEST_PKGS >/dev/null 2>&1; then
  echo "==> test packages ($TEST_PKGS)"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $TEST_PKGS >/dev/null
fi
# They are installed now: a display test that would skip for a missing package fails instead.
export KIOSK_REQUIRE_SYSTEM_TESTS="${KIOSK_REQUIRE_SYSTEM_TESTS:-1}"
.venv/bin/python scripts/fetch_fixtures.py
export KIVY_NO_ARGS=1 SDL_VIDEODRIVER=offscreen KIVY_HOME="$(mktemp -d)" ANONYMIZED_TELEMETRY=False
set +e
.venv/bin/python -m pytest -q "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then echo "pytest: no tests collected: failing"; rc=1; fi
exit "$rc"
