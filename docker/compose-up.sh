#!/usr/bin/env bash
# Starts docker/docker-compose.yml and waits until every service is healthy.
#
# Runs docker/prepare-host.sh and docker/build-image.sh first (both idempotent; fast once done),
# then `compose up -d`, and reports each service's health until all are healthy. Under podman
# without systemd, prepare-host.sh's health ticker (docker/health-ticker.sh) is what runs the
# healthchecks that `depends_on: service_healthy` waits for (../shared/containers.md, "compose").
#
# Usage: bash docker/compose-up.sh [SERVICE...]
# Environment: COMPOSE_PROJECT_NAME (ai-auth-harness), COMPOSE_HEALTHY_TIMEOUT_S (240),
# HARNESS_CONTROL_TOKEN and *_HOST_PORT as docker-compose.yml reads them.
# Stdout: `DOCKER_HOST=...` then `COMPOSE_PROJECT_NAME=...` as its last line.
# Exit: 0 every service healthy; 1 a service failed or timed out (its logs on stderr; the stack
# is left for inspection: docker/compose-down.sh removes it); 3 this machine cannot run containers.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=docker/lib.sh
. docker/lib.sh

readonly TIMEOUT_S=${COMPOSE_HEALTHY_TIMEOUT_S:-240}

host_line=$(bash docker/prepare-host.sh | tail -n 1)
[ -n "${host_line#DOCKER_HOST=}" ] && export DOCKER_HOST="${host_line#DOCKER_HOST=}"
bash docker/build-image.sh >/dev/null
select_engine

# One line per container: service, state, health (empty when it has no healthcheck).
project_status() {
  local ids
  ids=$(project_containers)
  [ -n "$ids" ] || return 0
  # shellcheck disable=SC2086
  "$CLI" inspect --format '{{index .Config.Labels "com.docker.compose.service"}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}' $ids
}

# The services a plain `up` starts: every one without `profiles:` (compose v1's `config
# --services` also lists the profiled load generator, which `up` leaves alone).
default_services() {
  "${COMPOSE[@]}" config | awk '
    /^services:/ { in_services = 1; next }
    in_services && /^[^ ]/ { in_services = 0 }
    in_services && /^  [A-Za-z0-9_.-]+:$/ { name = substr($1, 1, length($1) - 1); names[++n] = name; next }
    in_services && /^    profiles:/ { profiled[name] = 1 }
    END { for (i = 1; i <= n; i++) if (!profiled[names[i]]) print names[i] }'
}

fail() {
  log "error: $*"
  "${COMPOSE[@]}" ps >&2 || true
  "${COMPOSE[@]}" logs --no-color --tail 40 >&2 || true
  exit 1
}

started=$SECONDS
mapfile -t services < <(if [ $# -gt 0 ]; then printf '%s\n' "$@"; else default_services; fi)
[ ${#services[@]} -gt 0 ] || die "docker/docker-compose.yml names no service to start"
log "up: project $(compose_project), ${services[*]}"
# compose v1 itself waits for service_healthy dependencies (under podman, the ticker runs the checks).
timeout "$TIMEOUT_S" "${COMPOSE[@]}" up -d --no-build "$@" >&2 || fail "compose up failed or took over $TIMEOUT_S s"

last_report=
while :; do
  status=$(project_status)
  healthy=$(grep -c ' running healthy$' <<<"$status" || true)
  report=$(sort <<<"$status" | awk '{ printf "%s%s=%s", (NR > 1 ? ", " : ""), $1, ($3 == "" ? $2 : $3) }')
  if [ "$report" != "$last_report" ]; then log "$((SECONDS - started)) s: $report"; last_report=$report; fi
  [ "$healthy" -ge "${#services[@]}" ] && break
  grep -qE ' (exited|dead) | unhealthy$' <<<"$status" && fail "a service stopped or became unhealthy"
  [ $((SECONDS - started)) -lt "$TIMEOUT_S" ] || fail "not every service was healthy within $TIMEOUT_S s"
  sleep 1
done
log "all ${#services[@]} services healthy in $((SECONDS - started)) s"
echo "DOCKER_HOST=${DOCKER_HOST:-}"
echo "COMPOSE_PROJECT_NAME=$(compose_project)"
