#!/usr/bin/env bash
# Set up a virtualenv (once), install claimwatch, run the offline demo of the real pipeline.
# Usage: bash scripts/demo.sh [monitor demo options…]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/venv.sh ""
exec "$VENV/bin/monitor" demo "$@"
