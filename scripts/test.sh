#!/usr/bin/env bash
# Set up a virtualenv (once), install claimwatch with its test extras, run the whole suite.
# Usage: bash scripts/test.sh [pytest args…]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/venv.sh "[test]"
# pytest exits 5 when it collected no test: that is a failure here too.
exec "$VENV/bin/python" -m pytest "$@"
