#!/usr/bin/env bash
# Stop the single-node cluster started by scripts/slurm-up.sh (its state and logs stay).
# Usage: slurm-down.sh [slurmd] [slurmctld] [munged] (default: all three, in that order).
set -euo pipefail
stop() {
  local pidfile=$1 name=$2 pid
  pid=$(cat "$pidfile" 2>/dev/null || true)
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || pid=$(pgrep -o -x "$name" || true)
  [ -n "$pid" ] || return 0
  kill "$pid"
  for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  echo "$name ($pid) did not stop" >&2
  return 1
}
declare -A pidfile=([slurmd]=/run/slurmd.pid [slurmctld]=/run/slurmctld.pid
  [munged]=/run/munge/munged.pid)
(($#)) || set -- slurmd slurmctld munged
for name in "$@"; do
  [ -n "${pidfile[$name]:-}" ] || { echo "slurm-down: no daemon '$name'" >&2; exit 2; }
  stop "${pidfile[$name]}" "$name"
done
