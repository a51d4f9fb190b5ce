#!/usr/bin/env bash
# Installs the pinned Schemathesis (requirements.txt beside this file) into a local venv for the
# OpenAPI contract tests, and prints the path of its `schemathesis` executable on stdout.
#
#   bash test/tools/schemathesis/install.sh            # -> <repo>/.venv/schemathesis/bin/schemathesis
#
# Idempotent: a venv whose stamp matches requirements.txt and the Python version is reused as
# is; anything else (no venv, an interrupted install, new pins) is rebuilt from scratch. Runs
# under a lock, so concurrent callers install once. Needs python3 (>= 3.10, with venv) and a
# reachable package index (pip's own configuration applies); nothing else from the internet.
#
# Environment: PYTHON (default python3), SCHEMATHESIS_VENV (default <repo>/.venv/schemathesis).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
requirements="$here/requirements.txt"
python="${PYTHON:-python3}"
venv="${SCHEMATHESIS_VENV:-$root/.venv/schemathesis}"
exe="$venv/bin/schemathesis"
stamp="$venv/.installed"

log() { printf 'schemathesis install: %s\n' "$*" >&2; }

if ! command -v "$python" >/dev/null 2>&1; then
  log "$python not found: install Python 3.10 or newer (with the venv module) or set PYTHON"
  exit 2
fi
if ! "$python" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null; then
  log "$python is $("$python" --version 2>&1) or lacks the venv module: Schemathesis 4 needs Python 3.10 or newer with venv"
  exit 2
fi

# What the venv was built from: the pins and the exact interpreter.
want="$( { sha256sum "$requirements" | cut -d' ' -f1; "$python" -c 'import sys; print(sys.version)'; } )"

mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
flock 9

if [[ -x "$exe" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "$exe"
  exit 0
fi

log "creating $venv"
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --disable-pip-version-check --no-input --quiet --requirement "$requirements" >&2
"$exe" --version >&2
printf '%s' "$want" >"$stamp"
echo "$exe"
