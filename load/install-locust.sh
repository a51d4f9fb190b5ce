#!/usr/bin/env bash
# Installs Locust (MIT, PyPI) at a pinned version into the project-local virtual environment
# .venv-load/, so `npm run load` and its tests need nothing installed by hand. Idempotent: a
# venv that already has this version is left as it is. k6 is the issue's choice but may not be
# used here (AGPL); see load/README.md.
#
# Usage: bash load/install-locust.sh        (prints the path of the locust executable last)
# Env:   LOCUST_VERSION (default 2.47.0), PYTHON (default python3), LOAD_VENV (default <repo>/.venv-load)
set -euo pipefail

LOCUST_VERSION="${LOCUST_VERSION:-2.47.0}"
PYTHON="${PYTHON:-python3}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${LOAD_VENV:-$ROOT/.venv-load}"
LOCUST="$VENV/bin/locust"

say() { printf 'install-locust: %s\n' "$*" >&2; }

if [ -x "$LOCUST" ] && [ "$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("locust"))' 2>/dev/null || true)" = "$LOCUST_VERSION" ]; then
  say "locust $LOCUST_VERSION is already installed in $VENV"
  echo "$LOCUST"
  exit 0
fi

if ! command -v "$PYTHON" >/dev/null 2>&1; then
  say "$PYTHON not found: Locust needs Python 3.10 or newer (set PYTHON to another interpreter)"
  exit 1
fi
if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)'; then
  say "$("$PYTHON" --version 2>&1) is too old: Locust $LOCUST_VERSION needs Python 3.10 or newer"
  exit 1
fi

if [ ! -x "$VENV/bin/python" ]; then
  say "creating the virtual environment $VENV with $("$PYTHON" --version 2>&1)"
  "$PYTHON" -m venv "$VENV"
fi
say "pip install locust==$LOCUST_VERSION into $VENV"
"$VENV/bin/python" -m pip install --disable-pip-version-check --quiet "locust==$LOCUST_VERSION" >&2
say "installed: $("$LOCUST" --version 2>&1 | head -n 1)"
echo "$LOCUST"
