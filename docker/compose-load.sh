#!/usr/bin/env bash
# Runs the compose `load` profile: the keystroke scenario (Locust, the project's load/locust
# files) against the gateway from inside the compose network, gated by the scenario's
# thresholds. Starts the stack first when it is not up (docker/compose-up.sh: idempotent), builds
# the load image (docker/build-image.sh load), then `compose --profile load run --rm load`.
#
# Usage: bash docker/compose-load.sh
# Environment: LOAD_RUN_TIME_S (30), LOAD_USERS (16), and what compose-up.sh reads.
# Stdout: Locust's statistics and each threshold, pass or FAIL.
# Exit: Locust's: 0 every threshold held, 1 one did not; 3 this machine cannot run containers.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=docker/lib.sh
. docker/lib.sh

bash docker/compose-up.sh >/dev/null
bash docker/build-image.sh load >/dev/null
select_engine
# --no-deps: compose-up.sh brought the services to healthy (with podman's health ticker).
exec "${COMPOSE[@]}" --profile load run --rm --no-deps load
