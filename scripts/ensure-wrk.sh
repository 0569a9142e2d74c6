#!/usr/bin/env bash
# Installs Debian's wrk (the load generator of bench/bench_portal.py) when it is missing (needs root).
set -euo pipefail
if command -v wrk >/dev/null; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "Installing Debian's wrk for the portal load test..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq wrk >/dev/null
  exit 0
fi
echo "wrk is missing and cannot be installed without root: sudo apt-get install wrk" >&2
echo "(bench/bench_portal.py --no-load skips the load test)" >&2
exit 1
