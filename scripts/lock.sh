#!/usr/bin/env bash
# Regenerates the lock files from requirements/*.in in fresh temporary venvs (pip freeze).
# Run after changing a requirements/*.in; commit the changed *.lock files.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source <(sed -n '/^runs_as()/,/^}/p; /^find_python()/,/^}/p; /^log()/p; /^die()/p' scripts/setup.sh)

lock() {  # lock NAME PYVERSION
  local name="$1" pyv="$2" tmp py
  py="$(find_python "$pyv")" || die "Python $pyv nicht gefunden"
  tmp="$(mktemp -d)"
  "$py" -m venv "$tmp/venv"
  "$tmp/venv/bin/python" -m pip install -q --upgrade "pip==24.0"
  "$tmp/venv/bin/python" -m pip install -q -r "requirements/$name.in"
  { echo "# Generated from requirements/$name.in with pip freeze (Python $pyv). Regenerate: make lock"
    "$tmp/venv/bin/python" -m pip freeze --all | grep -vE "^pip=="; } > "requirements/$name.lock"
  rm -rf "$tmp"
  log "requirements/$name.lock neu geschrieben"
}

lock rasa 3.10
lock core 3.11
[ -f requirements/matrix.in ] && lock matrix 3.11
