#!/usr/bin/env bash
# Set up a virtualenv (once), install claimwatch, run the offline demo of the real pipeline.
# Usage: bash scripts/demo.sh [monitor demo options…]
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${CLAIMWATCH_VENV:-.venv}"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q -e .
exec "$VENV/bin/monitor" demo "$@"
