#!/usr/bin/env bash
# Stands in for podman's healthcheck timers where systemd does not run (docker/prepare-host.sh
# installs it and starts it detached, one per machine). podman runs a container's HEALTHCHECK
# from systemd timers; without them a container stays `starting` forever, and compose's
# `depends_on: condition: service_healthy` never starts what depends on it
# (../shared/containers.md, "compose"). Every HEALTH_TICK_S (1) seconds this runs the healthcheck
# of each container still `starting`; a container that became healthy is left alone, as compose
# needs only the first verdict. It prints nothing and never stops on its own.
set -uo pipefail
readonly TICK_S=${HEALTH_TICK_S:-1}
while sleep "$TICK_S"; do
  for container in $(podman ps -q --filter health=starting 2>/dev/null); do
    podman healthcheck run "$container" >/dev/null 2>&1 || true
  done
done
