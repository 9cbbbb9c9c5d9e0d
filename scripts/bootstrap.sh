#!/usr/bin/env bash
# Create .venv (Python 3.11+) and install dxlocal into it, with the given extras.
#   scripts/bootstrap.sh            -> the service only
#   scripts/bootstrap.sh test       -> plus what the test suite needs (incl. BIRD when root)
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
py="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$py" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
if [ "$extras" = "test" ]; then
  .venv/bin/python -m pip install -q -e ".[test,lab]"
  # BIRD 2 is the independent BGP implementation the live-BGP interop tests peer with.
  if ! command -v bird >/dev/null 2>&1 && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends bird2 >/dev/null \
      || echo "warning: could not install bird2; BIRD interop tests will be skipped" >&2
  fi
else
  .venv/bin/python -m pip install -q -e .
fi
