"""Real Unix accounts for the hub: created, checked and removed only when they are ours."""

from __future__ import annotations

import os
import pwd
import signal
import subprocess
import time
from pathlib import Path

from dlgrade.hub.roster import check_username

MARKER = "dlgrade-hub"


class HubUserError(RuntimeError):
    """An account cannot be created or removed safely."""


def lookup(name: str) -> pwd.struct_passwd | None:
    try:
        return pwd.getpwnam(name)
    except KeyError:
        return None


def owned_by(entry: pwd.struct_passwd, tag: str) -> bool:
    """Whether the account was created by the hub tooling for `tag`."""
    return entry.pw_gecos == f"{MARKER} {tag}"


def ensure_user(name: str, tag: str, password: str | None = None) -> pwd.struct_passwd:
    """Create the Unix user `name` (home 0700) unless it exists; set its password if given.

    An existing account that the hub tooling did not create for `tag` is never touched.
    """
    check_username(name)
    entry = lookup(name)
    if entry is None:
        subprocess.run(
            ["useradd", "--create-home", "--user-group", "--shell", "/bin/bash",
             "--comment", f"{MARKER} {tag}", name],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        entry = pwd.getpwnam(name)
    elif not owned_by(entry, tag):
        raise HubUserError(
            f"user {name!r} already exists and was not created for {tag!r}; "
            "rename it in the roster or remove the account"
        )
    os.chmod(entry.pw_dir, 0o700)
    if password is not None:
        subprocess.run(
            ["chpasswd"], input=f"{name}:{password}\n", check=True, capture_output=True, text=True
        )
    return entry


def processes_of(uid: int) -> list[int]:
    """Process ids whose real uid is `uid`."""
    pids = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            for line in status.read_text().splitlines():
                if line.startswith("Uid:"):
                    if int(line.split()[1]) == uid:
                        pids.append(int(status.parent.name))
                    break
        except (OSError, ValueError):
            continue
    return pids


def kill_processes_of(uid: int, grace: float = 5.0) -> None:
    """SIGTERM every process of `uid`, then SIGKILL what is left after `grace` seconds."""
    if uid == 0:
        raise HubUserError("refusing to kill root's processes")
    for sig in (signal.SIGTERM, signal.SIGKILL):
        pids = processes_of(uid)
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + grace
        while pids and time.monotonic() < deadline:
            time.sleep(0.1)
            pids = processes_of(uid)
        if not pids:
            return


def remove_user(name: str, tag: str) -> bool:
    """Stop the processes of and delete the account `name` (with its home) if it is ours."""
    entry = lookup(name)
    if entry is None:
        return False
    if not owned_by(entry, tag):
        raise HubUserError(f"user {name!r} was not created for {tag!r}; not removing it")
    kill_processes_of(entry.pw_uid)
    subprocess.run(["userdel", "--remove", name], check=False, capture_output=True, text=True)
    if lookup(name) is not None:
        raise HubUserError(f"could not remove user {name!r}")
    return True


def run_as(
    name: str,
    argv: list[str],
    cwd: str | os.PathLike | None = None,
    env: dict[str, str] | None = None,
    check: bool = True,
    timeout: float | None = None,
) -> subprocess.CompletedProcess:
    """Run `argv` as the Unix user `name` with a clean environment (HOME, USER, PATH, + env)."""
    entry = pwd.getpwnam(name)
    base = {
        "HOME": entry.pw_dir,
        "USER": name,
        "LOGNAME": name,
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
    }
    return subprocess.run(
        argv,
        cwd=cwd or entry.pw_dir,
        env={**base, **(env or {})},
        user=entry.pw_uid,
        group=entry.pw_gid,
        extra_groups=[],
        check=check,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
