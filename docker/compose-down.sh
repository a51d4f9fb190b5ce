#!/usr/bin/env bash
# Stops and removes the compose project's containers and network (docker/compose-up.sh's),
# and checks that none is left. Idempotent: a project that is not running is fine.
#
# Usage: bash docker/compose-down.sh     Environment: COMPOSE_PROJECT_NAME (ai-auth-harness)
# Exit: 0 nothing of the project is left; 1 containers remain; 3 no engine.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=docker/lib.sh
. docker/lib.sh

select_engine
"${COMPOSE[@]}" down --remove-orphans --volumes --timeout 5 >&2 || log "compose down failed; removing the containers directly"
left=$(project_containers)
# shellcheck disable=SC2086
[ -z "$left" ] || "$CLI" rm -f $left >&2 || true
[ -z "$(project_containers)" ] || die "containers of project $(compose_project) remain: $(project_containers | tr '\n' ' ')"
log "project $(compose_project) removed"
