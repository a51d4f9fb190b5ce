# Shared by the scripts in docker/ (sourced, not run). Which container engine serves the
# Docker API here, and the names every script agrees on. Progress goes to stderr; a script's
# stdout carries only its result line.

# The rootful podman API socket (see ../shared/containers.md: "Docker API").
readonly PODMAN_SOCKET=/run/podman/podman.sock
# The offline base: debootstrap's Debian 12 minbase plus the host's node (prepare-host.sh).
readonly BASE_IMAGE=localhost/ai-auth-harness-base:bookworm-node20
# The one image of every role; docker-compose.yml names the same tag.
readonly APP_IMAGE=localhost/ai-auth-harness:local
# The load generator of the compose `load` profile (the Dockerfile's load stage).
readonly LOAD_IMAGE=localhost/ai-auth-harness-load:local
# Exit code of "this machine cannot run containers" (not root and no engine, no apt, ...),
# distinct from 1 (a step failed) so callers can tell a missing capability from a bug.
readonly EXIT_NO_CONTAINERS=3

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { log "error: $*"; exit 1; }
cannot() { log "this machine cannot run containers: $*"; exit "$EXIT_NO_CONTAINERS"; }

# True when a Docker engine (not podman's compatible API) answers the docker CLI as configured
# (DOCKER_HOST or the default socket). A bare docker CLI without a daemon is not an engine.
docker_engine_answers() {
  command -v docker >/dev/null 2>&1 || return 1
  local version
  version=$(docker version 2>/dev/null) || return 1
  ! grep -qi podman <<<"$version"
}

# True when the podman API socket answers /_ping.
podman_socket_answers() {
  [ -S "$PODMAN_SOCKET" ] && curl -fsS --max-time 3 --unix-socket "$PODMAN_SOCKET" http://d/_ping >/dev/null 2>&1
}

# "docker" when a Docker engine answers, else "podman" when podman is installed, else "".
engine_kind() {
  if docker_engine_answers; then echo docker
  elif command -v podman >/dev/null 2>&1; then echo podman
  fi
}

# The CA bundle a build hands npm as the secret `npm_ca` (a TLS-inspecting proxy signs with a CA
# the base image does not trust): NODE_EXTRA_CA_CERTS as npm on the host uses it, else the
# system bundle. Empty when there is neither. Only ever mounted for a build step, never stored.
ca_bundle() {
  local candidate
  for candidate in "${NODE_EXTRA_CA_CERTS:-}" /etc/ssl/certs/ca-certificates.crt; do
    if [ -n "$candidate" ] && [ -s "$candidate" ]; then echo "$candidate"; return; fi
  done
}

# The compose project of the scripts: COMPOSE_PROJECT_NAME, else one fixed name (compose v1
# would take the folder's, "docker"). Several stacks at once need distinct names and ports.
compose_project() { echo "${COMPOSE_PROJECT_NAME:-ai-auth-harness}"; }

# Sets COMPOSE (the compose command as an array) and CLI (docker or podman, for inspect/ps) for
# the engine that answers; with podman, exports DOCKER_HOST for compose v1 when it is unset.
select_engine() {
  case "$(engine_kind)" in
    docker)
      CLI=docker
      if docker compose version >/dev/null 2>&1; then COMPOSE=(docker compose)
      elif command -v docker-compose >/dev/null 2>&1; then COMPOSE=(docker-compose)
      else cannot "Docker has neither \`docker compose\` nor docker-compose"; fi
      ;;
    podman)
      CLI=podman
      command -v docker-compose >/dev/null 2>&1 || cannot "docker-compose is missing: run \`bash docker/prepare-host.sh\`"
      podman_socket_answers || cannot "the podman API does not answer on $PODMAN_SOCKET: run \`bash docker/prepare-host.sh\`"
      export DOCKER_HOST=${DOCKER_HOST:-unix://$PODMAN_SOCKET}
      COMPOSE=(docker-compose)
      ;;
    *) cannot "neither a Docker engine nor podman: run \`bash docker/prepare-host.sh\` first" ;;
  esac
  COMPOSE+=(-f docker/docker-compose.yml -p "$(compose_project)")
}

# The ids of the project's containers (running or not).
project_containers() { "$CLI" ps -a -q --filter "label=com.docker.compose.project=$(compose_project)"; }
