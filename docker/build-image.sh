#!/usr/bin/env bash
# Builds localhost/ai-auth-harness:local (every role's image; docker-compose.yml runs that tag)
# from docker/Dockerfile. Idempotent: unchanged inputs reuse every cached layer.
#
# - podman (after docker/prepare-host.sh): the offline base localhost/ai-auth-harness-base:
#   bookworm-node20 as NODE_IMAGE, and the docker image format, which keeps HEALTHCHECK.
# - Docker: the Dockerfile's default base (node:20-bookworm-slim) unless NODE_IMAGE is set.
# Both pass the host's CA bundle (NODE_EXTRA_CA_CERTS, else the system bundle) as the build
# secret `npm_ca`: mounted for the npm steps only, never stored in a layer.
#
# Usage: bash docker/build-image.sh [app|load]   (load: the Locust image of the compose `load`
# profile, localhost/ai-auth-harness-load:local, from the Dockerfile's load stage)
# Stdout: only the last line, the image name. Exit: 0 built; 1 the build failed;
# 3 no engine (run docker/prepare-host.sh first).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=docker/lib.sh
. docker/lib.sh

case "${1:-app}" in
  app) image=$APP_IMAGE; args=(build -f docker/Dockerfile -t "$image") ;;
  load) image=$LOAD_IMAGE; args=(build -f docker/Dockerfile --target load -t "$image") ;;
  *) die "usage: build-image.sh [app|load] (got '$1')" ;;
esac
ca=$(ca_bundle)
[ -n "$ca" ] && args+=(--secret "id=npm_ca,src=$ca")

case "$(engine_kind)" in
  docker)
    [ -n "${NODE_IMAGE:-}" ] && args+=(--build-arg "NODE_IMAGE=$NODE_IMAGE")
    export DOCKER_BUILDKIT=1 # build secrets need BuildKit (the default builder since Docker 23)
    cli=docker
    ;;
  podman)
    [ "$(id -u)" = 0 ] || cannot "the podman build must run as root (the stack runs under rootful podman)"
    podman image exists "$BASE_IMAGE" || cannot "$BASE_IMAGE is missing: run \`bash docker/prepare-host.sh\` first"
    # --jobs 2: the dependency and compile stages are independent, and CI has two cores.
    args+=(--format docker --jobs 2 --build-arg "NODE_IMAGE=${NODE_IMAGE:-$BASE_IMAGE}")
    cli=podman
    ;;
  *) cannot "neither a Docker engine nor podman: run \`bash docker/prepare-host.sh\` first" ;;
esac

started=$SECONDS
log "$cli ${args[*]} ."
"$cli" "${args[@]}" . >&2 || die "$cli build failed (exit $?)"
log "built $image in $((SECONDS - started)) s"
echo "$image"
