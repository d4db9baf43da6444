#!/usr/bin/env bash
# Technicians: turn a fresh Debian / Raspberry Pi OS machine into a kiosk, in one command. Idempotent.
#   sudo ./scripts/provision.sh --kiosk-id cg-01 --ward "Phường Cầu Giấy" --pin 2468 \
#        --models /media/usb/model-pack --trust /media/usb/ward-bundle.pub
# Installs system packages and the Python environment (scripts/install.sh), then `kiosk provision`
# writes /etc/ward-kiosk/kiosk.toml, installs the model pack, trusts the bundle key, activates the
# sample bundle and installs the systemd service. Finishes with `kiosk doctor`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install.sh --no-start
.venv/bin/kiosk provision "$@"
root="/"; prev=""
for a in "$@"; do [ "$prev" = "--root" ] && root="$a"; prev="$a"; done
KIOSK_CONFIG="${root%/}/etc/ward-kiosk/kiosk.toml" .venv/bin/kiosk doctor || {
  echo "provision: kiosk doctor reports problems (above); fix them and run this script again" >&2; exit 1; }
