#!/usr/bin/env bash
# Prepares this machine to run docker/docker-compose.yml, idempotently.
#
# - A Docker engine answers: nothing is changed; the engine is checked and its DOCKER_HOST printed.
# - Otherwise (Debian without Docker, as root): podman with the settings that work on these
#   machines (../shared/containers.md), its Docker-compatible API socket, and an offline base
#   image (debootstrap minbase + the host's node), built once and cached.
#
# Usage: bash docker/prepare-host.sh
# Stdout: only the last line, `DOCKER_HOST=<url>` (empty value: the engine's default socket).
# Exit: 0 ready; 1 a step failed; 3 this machine cannot run containers (not root and no engine).
# Environment: DEBIAN_MIRROR (http://deb.debian.org/debian), HARNESS_CACHE_DIR
# (/var/cache/ai-auth-harness: the debootstrap tree, reused when the base image is removed).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=docker/lib.sh
. docker/lib.sh

readonly PACKAGES=(podman runc docker-compose debootstrap uidmap slirp4netns netavark aardvark-dns curl)
readonly CONF_DROP_IN=/etc/containers/containers.conf.d/50-ai-auth-harness.conf
readonly CACHE_DIR=${HARNESS_CACHE_DIR:-/var/cache/ai-auth-harness}
readonly ROOTFS=$CACHE_DIR/rootfs-bookworm-minbase
readonly MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

if docker_engine_answers; then
  log "a Docker engine answers: nothing to prepare"
  docker version --format 'engine {{.Server.Version}}' >&2
  echo "DOCKER_HOST=${DOCKER_HOST:-}"
  exit 0
fi

host_node_version() { node --version 2>/dev/null; }

# The base image exists and carries the host's node (rebuilt when the host's node changed).
base_image_current() {
  local label
  label=$(podman image inspect --format '{{index .Labels "ai-auth-harness.node"}}' "$BASE_IMAGE" 2>/dev/null) || return 1
  [ "$label" = "$(host_node_version)" ]
}

if [ "$(id -u)" != 0 ]; then
  # Rootful podman needs root; a user may still use what root prepared before.
  if podman_socket_answers && curl -fsS --max-time 3 --unix-socket "$PODMAN_SOCKET" \
      "http://d/v4.0.0/libpod/images/${BASE_IMAGE}/exists" >/dev/null 2>&1; then
    log "the podman API answers and the base image exists (prepared by root)"
    echo "DOCKER_HOST=unix://$PODMAN_SOCKET"
    exit 0
  fi
  cannot "no Docker engine answers and preparing podman needs root: run \`sudo bash docker/prepare-host.sh\`, or install Docker"
fi

install_packages() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return
  command -v apt-get >/dev/null 2>&1 || cannot "no Docker engine, and no apt-get to install podman (${missing[*]} missing)"
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=300 update -qq >&2
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${missing[@]}" >&2
}

# runc, not crun (crun: "cgroups in hybrid mode not supported"); no default ulimits
# (`setrlimit RLIMIT_NOFILE: Operation not permitted`). A drop-in leaves the admin's file alone.
configure_podman() {
  local wanted
  wanted=$'# Written by ai-auth-harness docker/prepare-host.sh.\n[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = "runc"'
  if [ "$(cat "$CONF_DROP_IN" 2>/dev/null)" != "$wanted" ]; then
    log "writing $CONF_DROP_IN"
    mkdir -p "$(dirname "$CONF_DROP_IN")"
    printf '%s\n' "$wanted" >"$CONF_DROP_IN"
  fi
  local runtime
  runtime=$(podman info --format '{{.Host.OCIRuntime.Name}}')
  [ "$runtime" = runc ] || die "podman uses $runtime, not runc: does this podman read $CONF_DROP_IN?"
}

# The Docker-compatible API (docker-compose, testcontainers). systemd's socket unit where
# systemd runs; otherwise the service in its own session, so it outlives this script.
start_api_socket() {
  podman_socket_answers && return
  if [ -d /run/systemd/system ] && systemctl enable --now podman.socket >&2 2>&1; then
    log "started podman.socket (systemd)"
  else
    log "starting podman system service on $PODMAN_SOCKET (log: /var/log/podman-api.log)"
    mkdir -p "$(dirname "$PODMAN_SOCKET")"
    rm -f "$PODMAN_SOCKET"
    # 9>&-: the service outlives this script and must not hold its lock. `env -C /`: nor its
    # working directory, the checkout, which may be deleted (conmon then fails every start with
    # "Failed to get working directory", seen as compose's "write child: broken pipe").
    setsid nohup env -C / podman system service --time=0 "unix://$PODMAN_SOCKET" >>/var/log/podman-api.log 2>&1 </dev/null 9>&- &
  fi
  local i
  for i in $(seq 1 50); do podman_socket_answers && return; sleep 0.2; done
  die "the podman API did not answer on $PODMAN_SOCKET within 10 s (see /var/log/podman-api.log)"
}

# Without systemd, podman runs no healthchecks: the health ticker (docker/health-ticker.sh) runs
# them for starting containers, so a plain `docker-compose up` gets past `service_healthy`. It is
# installed outside the checkout (a clone may go away) and started once per machine.
readonly TICKER=/usr/local/lib/ai-auth-harness/health-ticker.sh
readonly TICKER_PID=/run/ai-auth-harness-health-ticker.pid
start_health_ticker() {
  [ -d /run/systemd/system ] && return
  if ! cmp -s docker/health-ticker.sh "$TICKER"; then
    install -D -m 0755 docker/health-ticker.sh "$TICKER"
    [ -s "$TICKER_PID" ] && kill "$(cat "$TICKER_PID")" 2>/dev/null || true
  fi
  if [ -s "$TICKER_PID" ] && kill -0 "$(cat "$TICKER_PID")" 2>/dev/null; then return; fi
  log "starting the health ticker ($TICKER): podman runs no healthchecks without systemd"
  setsid nohup env -C / "$TICKER" >/dev/null 2>&1 </dev/null 9>&- &
  echo $! >"$TICKER_PID"
}

# Docker's clients (docker-compose, testcontainers, the docker CLI) look for the engine at
# /run/docker.sock unless DOCKER_HOST says otherwise: where no engine has it, point it at podman's
# API (as Debian's podman-docker does), so `docker-compose up` works without DOCKER_HOST.
link_docker_socket() {
  [ -e /run/docker.sock ] || [ -L /run/docker.sock ] && return
  log "linking /run/docker.sock to $PODMAN_SOCKET"
  ln -s "$PODMAN_SOCKET" /run/docker.sock
}

# No registry serves images here: Debian's minbase from the mirror, plus the host's node and npm.
build_base_image() {
  base_image_current && return
  local node_bin npm_dir version
  node_bin=$(readlink -f "$(command -v node)") || die "no node on PATH"
  version=$(host_node_version)
  case "$version" in v20.*) ;; *) log "warning: the host's node is $version; $BASE_IMAGE is named for Node 20";; esac
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")") || die "no npm on PATH"
  [ -f "$npm_dir/package.json" ] || die "cannot find npm's folder (tried $npm_dir)"
  if [ ! -x "$ROOTFS/usr/bin/env" ]; then
    log "debootstrap --variant=minbase bookworm from $MIRROR (about 2 min, once)"
    rm -rf "$ROOTFS.partial"
    mkdir -p "$CACHE_DIR"
    debootstrap --variant=minbase bookworm "$ROOTFS.partial" "$MIRROR" >&2
    # Package caches and lists serve nothing in an image that never runs apt.
    rm -rf "$ROOTFS.partial"/var/cache/apt/archives/*.deb "$ROOTFS.partial"/var/lib/apt/lists/*
    mv "$ROOTFS.partial" "$ROOTFS"
  fi
  log "importing $BASE_IMAGE (node $version)"
  install -D -m 0755 "$node_bin" "$ROOTFS/usr/local/bin/node"
  rm -rf "$ROOTFS/usr/local/lib/node_modules/npm"
  mkdir -p "$ROOTFS/usr/local/lib/node_modules"
  cp -a "$npm_dir" "$ROOTFS/usr/local/lib/node_modules/npm"
  ln -sfn ../lib/node_modules/npm/bin/npm-cli.js "$ROOTFS/usr/local/bin/npm"
  ln -sfn ../lib/node_modules/npm/bin/npx-cli.js "$ROOTFS/usr/local/bin/npx"
  tar -C "$ROOTFS" -c . | podman import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "LABEL ai-auth-harness.node=$version" \
    --change 'CMD ["node"]' \
    - "$BASE_IMAGE" >&2
}

# One container end to end: the runtime, the ulimits and the base's node.
smoke_container() {
  local out
  out=$(podman run --rm --network none "$BASE_IMAGE" node -p 'process.version' 2>&1) ||
    die "a container of $BASE_IMAGE did not run: $out"
  [ "$out" = "$(host_node_version)" ] || die "the base image's node says '$out'"
}

# Two callers at once (test files in parallel) would debootstrap into the same folder: one at a time.
mkdir -p /run/lock
exec 9>/run/lock/ai-auth-harness-prepare-host.lock
flock 9

install_packages
configure_podman
start_api_socket
link_docker_socket
start_health_ticker
build_base_image
smoke_container
log "ready: podman $(podman version --format '{{.Client.Version}}'), $BASE_IMAGE"
echo "DOCKER_HOST=unix://$PODMAN_SOCKET"
