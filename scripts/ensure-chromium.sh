#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests when it is missing (needs root for apt-get).
set -euo pipefail
CHROMIUM="${SUIJI_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "Installing Debian's chromium for the browser tests..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "chromium is missing at $CHROMIUM and cannot be installed without root:" >&2
echo "  sudo apt-get install chromium   (or set SUIJI_SKIP_BROWSER=1 to skip the browser tests)" >&2
[ "${SUIJI_SKIP_BROWSER:-0}" = "1" ] && exit 0
exit 1
