#!/usr/bin/env bash
# Installs the two tools that render and check deploy/k8s without a cluster, at pinned versions,
# into the project-local folder .venv-k8s/ (ignored by git), so `npm test` needs nothing installed
# by hand:
#   - kustomize (Apache-2.0), built from its Go module with `go install` into .venv-k8s/bin/;
#   - kubernetes-validate (Apache-2.0, PyPI), which bundles the JSON schemas of each Kubernetes
#     release, into the Python virtual environment .venv-k8s/.
# Idempotent: a tool already at its pinned version is left as it is (the second run takes well
# under a second). A cold install took 42 s on an idle 2-core machine (kustomize 35 s, most of it
# compiling; kubernetes-validate 7 s) and 2 min 11 s while other builds shared the cores.
#
# Usage: bash deploy/k8s/install-tools.sh
#        prints two lines last: the path of kustomize, then the path of kubernetes-validate
# Env:   KUSTOMIZE_VERSION (default v5.8.2), KUBERNETES_VALIDATE_VERSION (default 1.37.0),
#        PYTHON (default python3), K8S_TOOLS_DIR (default <repo>/.venv-k8s)
set -euo pipefail

# v5.8.2 is the newest kustomize that builds with this machine's Go 1.26 (v5.8.3 needs Go 1.27,
# a toolchain every new machine would have to fetch first).
KUSTOMIZE_VERSION="${KUSTOMIZE_VERSION:-v5.8.2}"
KUBERNETES_VALIDATE_VERSION="${KUBERNETES_VALIDATE_VERSION:-1.37.0}"
PYTHON="${PYTHON:-python3}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIR="${K8S_TOOLS_DIR:-$ROOT/.venv-k8s}"
KUSTOMIZE="$DIR/bin/kustomize"
VALIDATE="$DIR/bin/kubernetes-validate"

say() { printf 'install-tools: %s\n' "$*" >&2; }

installed_kustomize() { "$KUSTOMIZE" version 2>/dev/null || true; }
installed_validate() { "$DIR/bin/python" -c 'import importlib.metadata as m; print(m.version("kubernetes-validate"))' 2>/dev/null || true; }

# kubernetes-validate first: it creates the folder as a virtual environment, which kustomize joins.
if [ -x "$VALIDATE" ] && [ "$(installed_validate)" = "$KUBERNETES_VALIDATE_VERSION" ]; then
  say "kubernetes-validate $KUBERNETES_VALIDATE_VERSION is already installed in $DIR"
else
  if ! command -v "$PYTHON" >/dev/null 2>&1; then
    say "$PYTHON not found: kubernetes-validate needs Python 3.9 or newer (set PYTHON to another interpreter)"
    exit 1
  fi
  if [ ! -x "$DIR/bin/python" ]; then
    say "creating the virtual environment $DIR with $("$PYTHON" --version 2>&1)"
    "$PYTHON" -m venv "$DIR"
  fi
  say "pip install kubernetes-validate==$KUBERNETES_VALIDATE_VERSION into $DIR"
  "$DIR/bin/python" -m pip install --disable-pip-version-check --quiet "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" >&2
fi

if [ -x "$KUSTOMIZE" ] && [ "$(installed_kustomize)" = "$KUSTOMIZE_VERSION" ]; then
  say "kustomize $KUSTOMIZE_VERSION is already installed in $DIR/bin"
else
  if ! command -v go >/dev/null 2>&1; then
    say "go not found: kustomize is built from its Go module (sigs.k8s.io/kustomize/kustomize/v5); install Go 1.24 or newer"
    exit 1
  fi
  say "go install sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION into $DIR/bin"
  # GOTOOLCHAIN=local: build with the Go that is here, never download another toolchain.
  GOBIN="$DIR/bin" GOTOOLCHAIN=local go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION" >&2
  if [ "$(installed_kustomize)" != "$KUSTOMIZE_VERSION" ]; then
    say "$KUSTOMIZE reports '$(installed_kustomize)', not $KUSTOMIZE_VERSION"
    exit 1
  fi
fi

say "ready: kustomize $(installed_kustomize), kubernetes-validate $(installed_validate)"
echo "$KUSTOMIZE"
echo "$VALIDATE"
