#!/usr/bin/env bash
# Create .venv (Python 3.11+) and install dxlocal into it, with the given extras.
#   scripts/bootstrap.sh            -> the service only
#   scripts/bootstrap.sh test       -> plus what the test suite needs (incl. BIRD, FRR and
#                                      PostgreSQL and Chromium when root)
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
py="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$py" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
if [ "$extras" = "test" ]; then
  .venv/bin/python -m pip install -q -e ".[test,lab,postgres]"
  # BIRD 2 and FRR are the independent BGP implementations the live-BGP interop tests peer
  # with; PostgreSQL is the shared store's database (the tests initdb a throwaway cluster
  # unless DXLOCAL_TEST_PG names one). The tests start their own daemons; the packages'
  # services stay off.
  pkgs=""
  command -v bird >/dev/null 2>&1 || pkgs="$pkgs bird2"
  [ -x /usr/lib/frr/bgpd ] || pkgs="$pkgs frr"
  if [ -z "${DXLOCAL_TEST_PG:-}" ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    pkgs="$pkgs postgresql"
  fi
  # Debian's Chromium for the console's browser tests (Playwright drives it; it downloads none).
  command -v chromium >/dev/null 2>&1 || pkgs="$pkgs chromium"
  if [ -n "$pkgs" ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    log="$(mktemp)"
    guard=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      # Exit 101 = "not allowed": the maintainer scripts must not start bird or frr now.
      printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
      chmod 755 /usr/sbin/policy-rc.d
      guard=1
    fi
    if apt-get update -qq >"$log" 2>&1 \
      && apt-get install -y -qq --no-install-recommends $pkgs >>"$log" 2>&1; then
      # Nor at boot: frr's package enables its unit (zebra would run in the host namespace).
      case "$pkgs" in *frr*)
        if [ -d /run/systemd/system ]; then systemctl disable --now frr >/dev/null 2>&1 || true; fi
      esac
    else
      tail -n 5 "$log" >&2
      echo "warning: could not install$pkgs; their tests will be skipped" >&2
    fi
    if [ -n "$guard" ]; then rm -f /usr/sbin/policy-rc.d; fi
    rm -f "$log"
  fi
else
  .venv/bin/python -m pip install -q -e .
fi
