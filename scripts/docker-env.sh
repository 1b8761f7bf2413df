#!/usr/bin/env bash
# Write docker/.env (the compose stack's settings and secrets) unless it exists:
#   scripts/docker-env.sh [ENV_FILE]      (default docker/.env; mode 0600)
# Any DLGRADE_* variable set in the environment is written as given; secrets that are not
# set are generated. Edit the file afterwards for the authenticator, limits or GPUs.
set -euo pipefail
cd "$(dirname "$0")/.."
file=${1:-docker/.env}
if [[ -s $file ]]; then
    echo "$file exists; not touching it"
    exit 0
fi
secret() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
umask 077
cat >"$file" <<ENV
# Settings of the course stack (docker/compose.yaml). Keep this file secret.
DLGRADE_STACK=${DLGRADE_STACK:-dlgrade}
# the two courses' nbgrader ids (the repository's courses/<name>/nbgrader_config.py)
DLGRADE_COURSE_ID=${DLGRADE_COURSE_ID:-dl-advanced}
DLGRADE_INTRO_COURSE_ID=${DLGRADE_INTRO_COURSE_ID:-dl-intro}
DLGRADE_TAG=${DLGRADE_TAG:-latest}
DLGRADE_BIND=${DLGRADE_BIND:-127.0.0.1}
DLGRADE_PORT=${DLGRADE_PORT:-8000}
# dummy: every roster user logs in with this password (local trial only);
# generic-oauth (OAUTH_*) or lti13 (LTI13_*) for a real course, see README "Deployment"
DLGRADE_AUTHENTICATOR=${DLGRADE_AUTHENTICATOR:-dummy}
DLGRADE_HUB_PASSWORD=${DLGRADE_HUB_PASSWORD:-$(secret | head -c 16)}
DLGRADE_ADMIN_TOKEN=${DLGRADE_ADMIN_TOKEN:-$(secret)}
DLGRADE_COURSE_TOKEN=${DLGRADE_COURSE_TOKEN:-$(secret)}
DLGRADE_INTRO_COURSE_TOKEN=${DLGRADE_INTRO_COURSE_TOKEN:-$(secret)}
DLGRADE_ROSTER_FILE=${DLGRADE_ROSTER_FILE:-./hub/roster.csv}
DLGRADE_MEM_LIMIT=${DLGRADE_MEM_LIMIT:-8G}
DLGRADE_CPU_LIMIT=${DLGRADE_CPU_LIMIT:-4}
DLGRADE_SHM_SIZE=${DLGRADE_SHM_SIZE:-2g}
DLGRADE_GPUS=${DLGRADE_GPUS:-}
DLGRADE_GPU_PER_USER=${DLGRADE_GPU_PER_USER:-0}
DLGRADE_CULL_TIMEOUT=${DLGRADE_CULL_TIMEOUT:-3600}
ENV
echo "wrote $file (the trial password is DLGRADE_HUB_PASSWORD in it)"
