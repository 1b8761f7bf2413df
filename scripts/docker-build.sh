#!/usr/bin/env bash
# Build the course images: scripts/docker-build.sh [grader] [notebook] [formgrader] [hub]
# (all four by default). grader, notebook and formgrader start from dlgrade-course:<variant>
# (docker/course: Debian, python3, the pinned course stack and PyTorch), built first.
#
#   BASE_IMAGE      base of every image (default dlgrade/debian:bookworm, built locally
#                   by docker/base/build-base.sh when it cannot be found or pulled)
#   DLGRADE_TAG     tag of the built images (default latest)
#   TORCH_VARIANT   PyTorch build of the students' and formgrader images: cuda (default)
#                   or cpu; the grading sandbox uses GRADER_TORCH_VARIANT (default cpu)
#   EXTRA_CA_CERTS  PEM file of certificates the images must trust, e.g. a TLS-
#                   intercepting proxy's (default: this host's bundle; empty: none)
#   WHEEL_DIRS      local wheel folders searched first (default: pip's find-links)
#   WHEELS_PORT     loopback port that serves the wheel cache to the builds (default 38111)
#   PIP_ARGS        extra pip arguments for the builds, e.g. --no-index (air-gapped: every
#                   wheel comes from the cache this script fills first)
#   DOCKER_CACHE    cache folder (default docker/.cache): rootfs tarball, wheels, context
set -euo pipefail
cd "$(dirname "$0")/.."
# The classic builder: works with any engine (Debian's 20.10 too) without the buildx plugin.
export DOCKER_BUILDKIT=${DOCKER_BUILDKIT:-0}
PY=${PY:-.venv/bin/python}
DOCKER_CACHE=${DOCKER_CACHE:-docker/.cache}
BASE_IMAGE=${BASE_IMAGE:-dlgrade/debian:bookworm}
DLGRADE_TAG=${DLGRADE_TAG:-latest}
TORCH_VARIANT=${TORCH_VARIANT:-cuda}
GRADER_TORCH_VARIANT=${GRADER_TORCH_VARIANT:-cpu}
EXTRA_CA_CERTS=${EXTRA_CA_CERTS-/etc/ssl/certs/ca-certificates.crt}
PIP_ARGS=${PIP_ARGS:-}
images=("$@")
[[ ${#images[@]} -gt 0 ]] || images=(grader notebook formgrader hub)
ctx="$DOCKER_CACHE/context"
WHEELS_PORT=${WHEELS_PORT:-38111}

# -- base image --------------------------------------------------------------------------
if ! docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
    if [[ $BASE_IMAGE == dlgrade/* ]] || ! timeout 120 docker pull "$BASE_IMAGE" >/dev/null 2>&1; then
        BASE_IMAGE=$BASE_IMAGE DOCKER_CACHE=$DOCKER_CACHE bash docker/base/build-base.sh
    fi
fi

# -- build context -----------------------------------------------------------------------
rm -rf "$ctx/certs" "$ctx/requirements" "$ctx/platform" "$ctx/docker"
mkdir -p "$DOCKER_CACHE/wheels"
wheels="$DOCKER_CACHE/wheels"
mkdir -p "$ctx/certs" "$ctx/platform"
if [[ -n $EXTRA_CA_CERTS ]]; then
    # one certificate per file, as update-ca-certificates wants them
    awk -v dir="$ctx/certs" '
        /-----BEGIN CERTIFICATE-----/ { n++; file = sprintf("%s/extra-%04d.crt", dir, n) }
        file { print > file }
        /-----END CERTIFICATE-----/ { close(file); file = "" }' "$EXTRA_CA_CERTS"
fi
cp -r docker/requirements "$ctx/requirements"
cp pyproject.toml "$ctx/platform/"
tar -C . --exclude=__pycache__ --exclude='*.pyc' -cf - dlgrade | tar -C "$ctx/platform" -xf -
mkdir -p "$ctx/docker"
for d in course grader notebook hub; do [[ ! -d docker/$d ]] || cp -r "docker/$d" "$ctx/docker/$d"; done

# wheels for every pinned package; offline when the cache already has them all
need=()
for image in "${images[@]}"; do
    case $image in
        grader) need+=(docker/requirements/build.txt docker/requirements/course.txt) ;;
        notebook | formgrader) need+=(docker/requirements/build.txt docker/requirements/course.txt
            docker/requirements/notebook.txt) ;;
        hub) need+=(docker/requirements/build.txt docker/requirements/hub.txt) ;;
    esac
done
find_links=(--find-links "$wheels")
for dir in ${WHEEL_DIRS:-$("$PY" -m pip config get global.find-links 2>/dev/null || true)}; do
    [[ -d $dir ]] && find_links+=(--find-links "$dir")
done
for req in $(printf '%s\n' "${need[@]}" | sort -u); do
    if ! "$PY" -m pip wheel -q --no-deps --no-index "${find_links[@]}" -w "$wheels" -r "$req" \
        >/dev/null 2>&1; then
        echo "fetching wheels for $req"
        "$PY" -m pip wheel -q --no-deps "${find_links[@]}" -w "$wheels" -r "$req" 2>&1 |
            grep -v "is ignored: it is neither" || true
        "$PY" -m pip wheel -q --no-deps --no-index "${find_links[@]}" -w "$wheels" -r "$req" >/dev/null
    fi
done

# -- images ------------------------------------------------------------------------------
# The wheels reach the builds over loopback (builds run with --network host), so they never
# become an image layer and the pip steps stay cached across images.
"$PY" -m http.server --bind 127.0.0.1 --directory "$wheels" "$WHEELS_PORT" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do
    "$PY" -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$WHEELS_PORT/')" 2>/dev/null && break
    kill -0 $server 2>/dev/null || { echo "port $WHEELS_PORT is busy: set WHEELS_PORT" >&2; exit 1; }
    sleep 0.2
done
build() { # build NAME DOCKERFILE TARGET|- TAG [build-arg...]
    local name=$1 file=$2 target=() tag=$4
    [[ $3 == - ]] || target=(--target "$3")
    shift 4
    echo "building $name:$tag"
    local start=$SECONDS
    local log="$DOCKER_CACHE/build-$name-$tag.log"
    if ! docker build -f "$ctx/docker/$file" "${target[@]}" -t "$name:$tag" \
        --network host --build-arg "WHEELS_URL=http://127.0.0.1:$WHEELS_PORT/" \
        --build-arg "BASE_IMAGE=$BASE_IMAGE" --build-arg "PIP_ARGS=$PIP_ARGS" \
        --label "org.opencontainers.image.source=dlgrade" "$@" "$ctx" >"$log" 2>&1; then
        tail -40 "$log" >&2
        echo "building $name:$tag failed; the whole log: $log" >&2
        exit 1
    fi
    echo "built $name:$tag in $((SECONDS - start)) s"
}
course_built=" "
course() { # course VARIANT: build dlgrade-course:VARIANT once per run
    [[ $course_built == *" $1 "* ]] && return
    build dlgrade-course course/Dockerfile - "$1" --build-arg "TORCH_VARIANT=$1"
    course_built+="$1 "
}
for image in "${images[@]}"; do
    case $image in
        grader)
            course "$GRADER_TORCH_VARIANT"
            build dlgrade-grader grader/Dockerfile - "$DLGRADE_TAG" \
                --build-arg "COURSE_IMAGE=dlgrade-course:$GRADER_TORCH_VARIANT" ;;
        notebook)
            course "$TORCH_VARIANT"
            build dlgrade-notebook notebook/Dockerfile student "$DLGRADE_TAG" \
                --build-arg "COURSE_IMAGE=dlgrade-course:$TORCH_VARIANT" ;;
        formgrader)
            course "$TORCH_VARIANT"
            build dlgrade-formgrader notebook/Dockerfile formgrader "$DLGRADE_TAG" \
                --build-arg "COURSE_IMAGE=dlgrade-course:$TORCH_VARIANT" ;;
        hub) build dlgrade-hub hub/Dockerfile - "$DLGRADE_TAG" ;;
        *) echo "unknown image $image" >&2; exit 2 ;;
    esac
done
