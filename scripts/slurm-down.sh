#!/usr/bin/env bash
# Stop the single-node cluster started by scripts/slurm-up.sh (its state and logs stay).
set -euo pipefail
stop() {
  local pidfile=$1 name=$2 pid
  pid=$(cat "$pidfile" 2>/dev/null || true)
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill "$pid"
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  echo "$name ($pid) did not stop" >&2
  return 1
}
stop /run/slurmd.pid slurmd
stop /run/slurmctld.pid slurmctld
stop /run/munge/munged.pid munged
