#!/bin/bash
# Entry point of the students' and the formgrader's containers.
#
# Started as root by DockerSpawner (or compose) with NB_USER, NB_UID and NB_GID: creates
# that account (its own name and uid, never a shared "jovyan"), makes its home folder
# (a per-user volume) its own, then drops to it for good and runs the command. Started as
# any other user, it just runs the command.
set -euo pipefail
if [[ $(id -u) != 0 ]]; then
    exec "$@"
fi
: "${NB_USER:?NB_USER is not set}"
: "${NB_UID:?NB_UID is not set}"
NB_GID=${NB_GID:-$NB_UID}
NB_HOME=${NB_HOME:-/home/$NB_USER}
[[ $NB_UID != 0 && $NB_USER =~ ^[a-z_][a-z0-9_.-]*$ ]] || { echo "bad user $NB_USER:$NB_UID" >&2; exit 1; }
getent group "$NB_GID" >/dev/null || groupadd --gid "$NB_GID" "$NB_USER"
if ! getent passwd "$NB_USER" >/dev/null; then
    useradd --uid "$NB_UID" --gid "$NB_GID" --home-dir "$NB_HOME" --no-create-home \
        --shell /bin/bash "$NB_USER"
fi
install -d -o "$NB_UID" -g "$NB_GID" -m 0700 "$NB_HOME"
# a fresh volume belongs to root: hand its top folder to the user (not recursive)
[[ $(stat -c %u "$NB_HOME") == "$NB_UID" ]] || chown "$NB_UID:$NB_GID" "$NB_HOME"
if [[ -d ${NBGRADER_EXCHANGE:-} && $(stat -c %a "$NBGRADER_EXCHANGE") != 1777 ]]; then
    chmod 1777 "$NBGRADER_EXCHANGE" || true
fi
if [[ -n ${NBGRADER_COURSE_ROOT:-} && -d ${NBGRADER_EXCHANGE:-} ]]; then
    # a formgrader: its course's folder of the exchange is the grader account's (nbgrader's
    # release makes inbound/ there writable, not readable, by others); one that somebody
    # else created first is refused, never adopted
    : "${NBGRADER_COURSE_ID:?NBGRADER_COURSE_ID is not set}"
    folder=$NBGRADER_EXCHANGE/$NBGRADER_COURSE_ID
    [[ -e $folder ]] || install -d -o "$NB_UID" -g "$NB_GID" -m 0755 "$folder"
    if [[ -L $folder || $(stat -c %u "$folder") != "$NB_UID" ]]; then
        echo "$folder belongs to somebody else: refusing to serve the course" >&2
        exit 1
    fi
fi
cd "$NB_HOME"
export HOME=$NB_HOME USER=$NB_USER LOGNAME=$NB_USER SHELL=/bin/bash
exec setpriv --reuid="$NB_UID" --regid="$NB_GID" --init-groups --inh-caps=-all \
    --bounding-set=-all -- "$@"
