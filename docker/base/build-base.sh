#!/usr/bin/env bash
# Build the base image locally: debootstrap a minimal Debian root filesystem and
# `docker import` it, for hosts that cannot pull images from a registry.
#
#   BASE_IMAGE     tag to create            (default dlgrade/debian:bookworm)
#   DEBIAN_SUITE   Debian release           (default bookworm; its python3 is 3.11)
#   DEBIAN_MIRROR  apt mirror               (default http://deb.debian.org/debian)
#   DOCKER_CACHE   cache folder             (default docker/.cache); the root filesystem
#                  tarball is kept there, so a rebuild skips debootstrap
#   FORCE=1        rebuild even if the tag exists
set -euo pipefail

BASE_IMAGE=${BASE_IMAGE:-dlgrade/debian:bookworm}
DEBIAN_SUITE=${DEBIAN_SUITE:-bookworm}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
DOCKER_CACHE=${DOCKER_CACHE:-docker/.cache}
DOCKER=${DOCKER:-docker}

if [[ -z ${FORCE:-} ]] && $DOCKER image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
    echo "base image $BASE_IMAGE exists"
    exit 0
fi

mkdir -p "$DOCKER_CACHE"
tarball="$DOCKER_CACHE/rootfs-$DEBIAN_SUITE.tar"
if [[ ! -s $tarball ]]; then
    command -v debootstrap >/dev/null || {
        echo "debootstrap is missing: apt-get install debootstrap" >&2
        exit 1
    }
    root=$(mktemp -d "${TMPDIR:-/tmp}/dlgrade-rootfs.XXXXXX")
    trap 'rm -rf "$root"' EXIT
    echo "debootstrap $DEBIAN_SUITE from $DEBIAN_MIRROR (about a minute)"
    debootstrap --variant=minbase --include=ca-certificates "$DEBIAN_SUITE" "$root" "$DEBIAN_MIRROR" \
        >"$DOCKER_CACHE/debootstrap.log" 2>&1 || {
        tail -20 "$DOCKER_CACHE/debootstrap.log" >&2
        exit 1
    }
    security=${DEBIAN_MIRROR%/debian}/debian-security
    cat >"$root/etc/apt/sources.list" <<SOURCES
deb $DEBIAN_MIRROR $DEBIAN_SUITE main
deb $DEBIAN_MIRROR $DEBIAN_SUITE-updates main
deb $security $DEBIAN_SUITE-security main
SOURCES
    cat >"$root/etc/apt/apt.conf.d/90dlgrade" <<'APT'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb || true"; };
APT
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
        "$root"/var/log/* "$root"/tmp/* "$root"/usr/share/doc/* "$root"/usr/share/man/*
    tar --numeric-owner -C "$root" -cf "$tarball.tmp" .
    mv "$tarball.tmp" "$tarball"
fi

$DOCKER import \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/bash"]' \
    --message "debootstrap $DEBIAN_SUITE (minbase)" \
    "$tarball" "$BASE_IMAGE" >/dev/null
echo "imported $BASE_IMAGE from $tarball"
