#!/usr/bin/env bash
# One command for the whole benchmark: installs what it needs, then runs benchmarks/run.py.
#   bash benchmarks/run.sh [run.py options]      e.g. --quick, --only dc,cc, --no-pin
set -euo pipefail
cd "$(dirname "$0")/.."

# The load generator, from Debian.
if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq wrk >/dev/null
  else
    echo "wrk is missing: install it (Debian: apt-get install wrk)" >&2
    exit 2
  fi
fi

# dxlocal itself, in the project's .venv (the same script `make serve` uses); again when a
# dependency is missing from an older .venv.
if [ ! -x .venv/bin/dxlocal ] || ! .venv/bin/python -c "import dxlocal.server.http" 2>/dev/null; then
  scripts/bootstrap.sh
fi

# moto_server, in a venv of its own so that it never touches the project's .venv.
if [ ! -x benchmarks/.venv-moto/bin/moto_server ]; then
  "${PYTHON:-python3}" -m venv benchmarks/.venv-moto
  benchmarks/.venv-moto/bin/python -m pip install -q "moto[server]==5.2.5"
fi

exec .venv/bin/python benchmarks/run.py "$@"
