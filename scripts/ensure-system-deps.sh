#!/usr/bin/env bash
# System packages the platform needs at run time. Idempotent; needs root to install.
set -euo pipefail
need=()
command -v bwrap >/dev/null || need+=(bubblewrap)
command -v chromium >/dev/null || need+=(chromium)
{ [ -f /usr/lib/bible.data ] && command -v bible >/dev/null; } || need+=(bible-kjv-text bible-kjv)  # the KJV corpus of the attention notebook
# PostgreSQL's server binaries (initdb, pg_ctl): the competition store's tests start a
# throwaway cluster with them (tests/compete/conftest.py); SQLite is the default store
{ command -v initdb >/dev/null || compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; } || need+=(postgresql)
if ((${#need[@]})); then
  if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "missing system packages: ${need[*]} (install them as root)" >&2
  fi
fi
