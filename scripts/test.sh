#!/usr/bin/env bash
# Set up a virtualenv (once), install claimwatch with its test extras, check the layer
# contracts, run the whole suite.
# Usage: bash scripts/test.sh [pytest args…]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/venv.sh "[test]"
# Layer contracts first (pyproject.toml [tool.importlinter]): a layering break fails the run.
"$VENV/bin/lint-imports" --no-cache >/dev/null || "$VENV/bin/lint-imports" --no-cache
# pytest exits 5 when it collected no test: that is a failure here too.
exec "$VENV/bin/python" -m pytest "$@"
