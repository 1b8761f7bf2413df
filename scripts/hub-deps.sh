#!/usr/bin/env bash
# What the course hub and its browser test need besides the Python venv: Debian's Chromium,
# Node.js, and configurable-http-proxy (JupyterHub's proxy, installed into the venv).
# --proxy: only Node.js and the proxy (what `make test`'s throwaway hubs need).
# Idempotent; installing needs root. Usage: scripts/hub-deps.sh [--proxy] [VENV]
set -euo pipefail
proxy_only=
if [ "${1:-}" = --proxy ]; then proxy_only=1; shift; fi
venv=${1:-.venv}
need=()
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
if [ -z "$proxy_only" ]; then
  [ -x /usr/bin/chromium ] || need+=(chromium)
  command -v useradd >/dev/null || need+=(passwd)
fi
if ((${#need[@]})); then
  if [ "$(id -u)" != 0 ]; then
    echo "missing system packages: ${need[*]} (install them as root)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi
if [ ! -x "$venv/bin/configurable-http-proxy" ]; then
  # 4.6.x runs on any Node.js >= 10 (Debian 12 ships 18).
  npm install --global --prefix "$venv" --no-audit --no-fund --loglevel=error \
    configurable-http-proxy@4.6.3
fi
