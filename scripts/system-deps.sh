#!/usr/bin/env bash
# Installs the Debian packages lienthong uses, once. Idempotent: does nothing when
# every package is already installed. Needs root (or sudo) on a fresh machine.
set -euo pipefail
PACKAGES=(poppler-utils libnss3-tools xmlsec1 fonts-dejavu-core fonts-liberation2 chromium)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "Installing Debian packages: ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
