#!/usr/bin/env bash
# Technicians: turn a fresh Debian / Raspberry Pi OS machine into a kiosk, in one command. Idempotent.
#   sudo ./scripts/provision.sh --kiosk-id cg-01 --ward "Phường Cầu Giấy" \
#        --models /media/usb/model-pack --trust /media/usb/ward-bundle.pub
# The staff PIN is asked for on the terminal (or --pin-file FILE); never on the command line.
# Installs system packages and the Python environment (scripts/install.sh) and the display session
# (--session cage|xinit|kmsdrm, default cage), then `kiosk provision` creates the service user
# (--user, default kiosk), writes /etc/ward-kiosk/kiosk.toml, installs the model pack, trusts the
# bundle key, activates the sample bundle, gives the data folder to the service user and installs the
# hardened systemd service. Finishes with `kiosk doctor` run AS THE SERVICE USER.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install.sh --no-start

root="/"; user="kiosk"; session="cage"; prev=""
for a in "$@"; do
  case "$prev" in --root) root="$a" ;; --user) user="$a" ;; --session) session="$a" ;; esac
  prev="$a"
done
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
if [ "$root" = "/" ]; then
  case "$session" in
    cage) pkgs="cage xwayland" ;;
    xinit) pkgs="xserver-xorg-core xserver-xorg-input-libinput xinit" ;;
    *) pkgs="" ;;
  esac
  if [ -n "$pkgs" ] && ! dpkg -s $pkgs >/dev/null 2>&1; then
    echo "==> display session: $session ($pkgs)"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pkgs >/dev/null
  fi
fi

$SUDO .venv/bin/kiosk provision "$@"

config="${root%/}/etc/ward-kiosk/kiosk.toml"
echo "==> kiosk doctor as $user (what the service sees)"
if id "$user" >/dev/null 2>&1; then
  $SUDO runuser -u "$user" -- env HOME="${root%/}/var/lib/ward-kiosk" KIOSK_CONFIG="$config" \
    KIVY_HOME="${root%/}/var/lib/ward-kiosk/kivy" .venv/bin/kiosk doctor || {
    echo "provision: kiosk doctor (as $user) reports problems (above); fix them and run this script again" >&2
    exit 1; }
else
  echo "provision: user $user does not exist (a --root test tree): doctor runs as $(id -un)" >&2
  KIOSK_CONFIG="$config" .venv/bin/kiosk doctor || exit 1
fi
