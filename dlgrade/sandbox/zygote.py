"""A warm template process that forks one fresh sandbox per submission.

It starts inside the same bubblewrap jail as a cold sandbox (no network, hidden course,
unprivileged uid, rlimits), imports torch, numpy and IPython once, and then, for every
request on its control socket, forks a child that isolates itself further (new user,
mount, pid, ipc and network namespaces, fresh size-capped tmpfs mounts at /tmp and
/dev/shm, no capabilities) and becomes
the worker. The child cannot see or signal the template, which is also non-dumpable, so
one submission cannot affect the next. The template never runs student code itself.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import struct
import sys

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_NOSUID, MS_NODEV, MS_BIND, MS_REC, MS_PRIVATE = 2, 4, 0x1000, 0x4000, 1 << 18
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS, PR_CAPBSET_DROP = 1, 4, 38, 24
SCRATCH = "/tmp/sandbox"
_libc = ctypes.CDLL(None, use_errno=True)


def _check(ret: int, what: str) -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _write(path: str, text: str) -> None:
    with open(path, "w") as fh:
        fh.write(text)


def _drop_capabilities() -> None:
    for cap in range(64):
        _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
    header = struct.pack("II", 0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = ctypes.create_string_buffer(24)
    _libc.capset(ctypes.c_char_p(header), data)
    _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)


def runtime_paths() -> list[str]:
    """What every sandbox must still see: the interpreter's environment (sys.prefix,
    sys.base_prefix, the interpreter's own prefix) and this package, as real paths."""
    package = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    interpreter = os.path.dirname(os.path.dirname(os.path.realpath(sys.executable)))
    prefixes = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, interpreter)}
    return sorted({*prefixes, package}, key=len)


def _tmpfs(target: bytes, size: int) -> None:
    options = f"mode=0700,size={int(size)}".encode()
    _check(_libc.mount(b"tmpfs", target, b"tmpfs", MS_NOSUID | MS_NODEV, options), "tmpfs")


def isolate_child(tmp_bytes: int, shm_bytes: int) -> str:
    """Called in the forked child: namespaces, fresh /tmp and /dev/shm of `tmp_bytes` and
    `shm_bytes`, no capabilities.

    Returns how far isolation went ("namespaces" or "process"), for the logs.
    """
    uid, gid = os.getuid(), os.getgid()
    _libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)  # else /proc/self/uid_map is root's, not ours
    try:
        _check(
            _libc.unshare(
                CLONE_NEWUSER
                | CLONE_NEWNS
                | CLONE_NEWPID
                | CLONE_NEWIPC
                | CLONE_NEWNET
                | CLONE_NEWUTS
            ),
            "unshare",
        )
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")
        _check(_libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "mount private")
        # the fresh /tmp would cover a checkout or venv that lives under /tmp: keep those
        keep = {
            p: os.open(p, os.O_PATH | os.O_DIRECTORY)
            for p in runtime_paths()
            if p.startswith("/tmp/")
        }
        _tmpfs(b"/tmp", tmp_bytes)
        if os.path.isdir("/dev/shm"):  # shared by every child of the template otherwise
            _tmpfs(b"/dev/shm", shm_bytes)
        for path, fd in keep.items():
            os.makedirs(path, exist_ok=True)
            source = f"/proc/self/fd/{fd}".encode()
            _check(_libc.mount(source, path.encode(), None, MS_BIND | MS_REC, None), "bind")
            os.close(fd)
        level = "namespaces"
    except OSError:
        level = "process"
    if level == "namespaces":
        pid = os.fork()  # the grandchild is pid 1 of the new pid namespace
        if pid:
            _, status = os.waitpid(pid, 0)
            os._exit(os.waitstatus_to_exitcode(status) & 0xFF)
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        _libc.mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV, None)
    else:
        shutil.rmtree(SCRATCH, ignore_errors=True)
    os.makedirs(SCRATCH, exist_ok=True)
    os.chdir(SCRATCH)
    _drop_capabilities()
    return level


def _spawn(ctrl: socket.socket, fds: list[int], sizes: tuple[int, int]) -> int:
    pid = os.fork()
    if pid == 0:
        try:
            ctrl.close()
            os.setsid()
            os.dup2(fds[0], 0)
            os.dup2(fds[1], 1)
            for fd in fds:
                os.close(fd)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            isolate_child(*sizes)
            from dlgrade.sandbox.worker import main

            main()
        finally:
            os._exit(70)
    for fd in fds:
        os.close(fd)
    return pid


def probe_isolation(sizes: tuple[int, int]) -> bool:
    """Whether a forked child can build its own namespaces here."""
    pid = os.fork()
    if pid == 0:
        os._exit(0 if isolate_child(*sizes) == "namespaces" else 1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def serve(ctrl_fd: int, sizes: tuple[int, int]) -> None:
    """Answer ``spawn`` (with two fds) and ``kill <pid>`` until the socket closes; each
    child gets a /tmp and a /dev/shm of ``sizes`` bytes.

    The first line sent is ``ready`` if children get their own namespaces, else
    ``unisolated`` (the backend then falls back to cold starts).
    """
    ctrl = socket.socket(fileno=ctrl_fd)
    if not probe_isolation(sizes):
        ctrl.sendall(b"unisolated\n")
        return
    _libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    signal.signal(signal.SIGCHLD, lambda *_: _reap())
    ctrl.sendall(b"ready\n")
    while True:
        try:
            msg, fds, _, _ = socket.recv_fds(ctrl, 256, 2)
        except InterruptedError:
            continue
        if not msg:
            return
        words = msg.decode().split()
        if words[0] == "spawn" and len(fds) == 2:
            ctrl.sendall(f"{_spawn(ctrl, fds, sizes)}\n".encode())
        elif words[0] == "kill" and len(words) == 2:
            try:
                os.kill(int(words[1]), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
            ctrl.sendall(b"ok\n")
        else:
            for fd in fds:
                os.close(fd)
            ctrl.sendall(b"error\n")


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def warm_up() -> None:
    """Import what nearly every submission imports, before any student code exists."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    import numpy  # noqa: F401
    import torch  # noqa: F401
    from IPython.core.interactiveshell import InteractiveShell  # noqa: F401
    from IPython.utils.capture import capture_output  # noqa: F401

    import dlgrade.sandbox.builtins  # noqa: F401
    import dlgrade.sandbox.worker  # noqa: F401

    dlgrade.sandbox.worker.warm_torch(torch)

    try:
        import matplotlib.pyplot  # noqa: F401
    except ImportError:
        pass


if __name__ == "__main__":
    warm_up()
    serve(int(sys.argv[1]), (int(sys.argv[2]), int(sys.argv[3])))
