# Sourced by demo.sh and test.sh: create the virtualenv once and install claimwatch into it.
# Usage: . scripts/venv.sh EXTRAS   (EXTRAS: "" or "[test]"); sets $VENV.
VENV="${CLAIMWATCH_VENV:-.venv}"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q -e ".$1"
