"""The `local` backend: a fresh, isolated process per submission on this machine.

Isolation comes from bubblewrap (new user, pid, network, ipc and uts namespaces; the
course root and home folders hidden behind empty tmpfs mounts; a private scratch folder
at /sandbox) plus rlimits (address space, CPU time, processes, file size, open files)
and, when the grader runs as root, an unprivileged uid per worker slot.
"""

from __future__ import annotations

import glob
import os
import resource
import select
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

from traitlets import Bool, Enum, Integer, List, Unicode

from dlgrade.sandbox.backends.base import (
    SandboxBackend,
    SandboxJob,
    SandboxProcess,
    kill_process_group,
    register_backend,
)
from dlgrade.sandbox.backends.uids import UidPool
from dlgrade.sandbox.zygote import runtime_paths

SANDBOX_HOME = "/tmp/sandbox"


def descendants(pid: int) -> set[int]:
    """Every process below `pid` (parents read from /proc/<pid>/stat)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"{entry.path}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


class LocalProcess(SandboxProcess):
    def __init__(self, popen: subprocess.Popen, scratch: Path):
        super().__init__(popen.stdin.fileno(), popen.stdout.fileno())
        self.popen = popen
        self.scratch = scratch

    def poll(self) -> int | None:
        return self.popen.poll()

    def kill(self) -> None:
        kill_process_group(self.popen.pid)
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        for stream in (self.popen.stdin, self.popen.stdout):
            try:
                stream.close()
            except OSError:
                pass
        shutil.rmtree(self.scratch, ignore_errors=True)


class Zygote:
    """A warm template sandbox (see dlgrade.sandbox.zygote) and its control socket."""

    def __init__(self, popen: subprocess.Popen, ctrl: socket.socket):
        self.popen = popen
        self.ctrl = ctrl
        self.buf = b""
        self.own_pids: frozenset[int] = frozenset()  # the template's processes, once ready

    def kill_leftovers(self) -> None:
        """Kill what earlier sandboxes of this template left running (a process that
        cleared its parent-death signal, say), before it can hold the slot's limits."""
        for pid in descendants(self.popen.pid) - self.own_pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass

    def alive(self) -> bool:
        return self.popen.poll() is None

    def ask(self, message: bytes, fds: list[int] = (), timeout: float = 30.0) -> str:
        socket.send_fds(self.ctrl, [message], list(fds))
        return self.read_line(timeout)

    def read_line(self, timeout: float) -> str:
        while b"\n" not in self.buf:
            ready, _, _ = select.select([self.ctrl], [], [], timeout)
            chunk = self.ctrl.recv(4096) if ready else b""
            if not chunk:
                raise EOFError("the sandbox template stopped answering")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()

    def stop(self) -> None:
        kill_process_group(self.popen.pid)
        self.ctrl.close()
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass


class ForkedProcess(SandboxProcess):
    """A sandbox forked from a Zygote; killed by the template, or with it."""

    def __init__(self, to_fd: int, from_fd: int, zygote: Zygote, pid: int):
        super().__init__(to_fd, from_fd)
        self.zygote = zygote
        self.pid = pid
        self.killed = False

    def poll(self) -> int | None:
        return -9 if self.killed or not self.zygote.alive() else None

    def kill(self) -> None:
        if not self.killed:
            try:
                self.zygote.ask(f"kill {self.pid}".encode(), timeout=10)
            except (EOFError, OSError):
                self.zygote.stop()
            self.killed = True
        self.close_pipes()


SYSTEM_DIRS = frozenset(
    {"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc", "/dev", "/proc", "/sys"}
)


def _closed_to_others(path: str) -> str | None:
    """The first folder on the way to `path` that other users may not search, if any."""
    for folder in [*reversed(Path(path).parents), Path(path)]:
        if not os.stat(folder).st_mode & stat.S_IXOTH:
            return str(folder)
    return None


def _package_root() -> Path:
    import dlgrade

    return Path(dlgrade.__file__).resolve().parent


@register_backend("local")
class LocalSandbox(SandboxBackend):
    """Sandboxes as local processes isolated with bubblewrap and rlimits."""

    isolation = Enum(
        ["auto", "bwrap", "none"],
        "auto",
        help="How to isolate: 'bwrap' (namespaces, hidden paths, no network), 'none' "
        "(rlimits only; for machines without user namespaces), 'auto' (bwrap if it works).",
    ).tag(config=True)
    hidden_paths = List(
        Unicode(),
        ["/home", "/root", "/srv", "/mnt", "/media", "/var", "/run", "/opt"],
        help="Paths replaced by empty folders inside the sandbox (the course root, the "
        "gradebook's folder and the nbgrader exchange are always added).",
    ).tag(config=True)
    extra_hidden_paths = List(
        Unicode(), [], help="More paths to hide, e.g. the nbgrader exchange root."
    ).tag(config=True)
    sandbox_uid_base = Integer(
        61000,
        help="When grading as root, each worker slot runs as its own unprivileged uid/gid "
        "(so the process limit applies), leased from sandbox_uid_base onwards; slot N "
        "prefers sandbox_uid_base + N.",
    ).tag(config=True)
    sandbox_uid_count = Integer(
        64, help="How many uids from sandbox_uid_base the slots of all concurrent batches share."
    ).tag(config=True)
    uid_lock_dir = Unicode(
        "/run/lock/dlgrade",
        help="Root-only folder of lock files that keep concurrent batches from leasing "
        "the same sandbox uid.",
    ).tag(config=True)
    scratch_parent = Unicode(
        "", help="Where per-submission scratch folders are made (default: the system temp)."
    ).tag(config=True)
    prefork = Bool(
        True,
        help="Fork sandboxes from a warm template per worker slot (torch already imported) "
        "instead of starting a fresh interpreter each time. Isolation is the same.",
    ).tag(config=True)
    zygote_start_timeout = Integer(
        120, help="Seconds a sandbox template may take to import torch and get ready."
    ).tag(config=True)
    python = Unicode(sys.executable, help="Python interpreter that runs the worker.").tag(
        config=True
    )

    def _bwrap(self) -> str | None:
        if self.isolation == "none":
            return None
        path = shutil.which("bwrap")
        if path is None and self.isolation == "bwrap":
            raise RuntimeError("isolation='bwrap' but bubblewrap is not installed")
        if path is None:
            self.log.warning("bubblewrap not found: sandboxes get rlimits only (no namespaces)")
        return path

    def _uid(self, slot: int) -> int | None:
        if os.geteuid() != 0:
            return None
        if slot not in self._slot_uids:
            self._slot_uids[slot] = self._uid_pool.acquire(slot)
        return self._slot_uids[slot]

    def _command(
        self, bwrap: str | None, scratch: Path | None, hide: tuple[str, ...], program: list[str]
    ) -> list[str]:
        worker = [self.python, "-I", "-m", *program]
        if bwrap is None:
            return worker
        cmd = [bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
        cmd += ["--tmpfs", "/tmp", "--tmpfs", "/var/tmp"]
        checkout = _package_root().parent
        hidden = [*self.hidden_paths, *self.extra_hidden_paths, *hide]
        if (checkout / "pyproject.toml").exists():
            # an editable install: hide the checkout (graders/, source/) and the folder it
            # hangs from, whose own permissions might not let the sandbox uid through
            hidden.append(str(checkout))
            top = "/" + checkout.parts[1]
            if top not in SYSTEM_DIRS:
                hidden.append(top)
        for path in sorted({os.path.realpath(p) for p in hidden if os.path.exists(p)}, key=len):
            cmd += ["--tmpfs", path]
        for path in runtime_paths():
            cmd += ["--ro-bind", path, path]
        if self.allow_gpu:
            for dev in sorted(glob.glob("/dev/nvidia*")) + sorted(glob.glob("/dev/dri/*")):
                cmd += ["--dev-bind", dev, dev]
        if scratch is not None:
            cmd += ["--bind", str(scratch), SANDBOX_HOME]
        cmd += ["--dir", SANDBOX_HOME, "--chdir", SANDBOX_HOME]
        cmd += ["--unshare-all", "--die-with-parent", "--new-session"]
        cmd += ["--clearenv", "--setenv", "HOME", SANDBOX_HOME, "--setenv", "PATH", "/usr/bin:/bin"]
        cmd += ["--setenv", "OMP_NUM_THREADS", "1", "--setenv", "MPLBACKEND", "Agg"]
        return cmd + worker

    def _limits(self, uid: int | None):
        limits = {
            resource.RLIMIT_AS: self.memory_limit_mb * 2**20,
            resource.RLIMIT_CPU: self.cpu_time_limit_s,
            resource.RLIMIT_NPROC: self.max_processes,
            resource.RLIMIT_FSIZE: self.max_file_size_mb * 2**20,
            resource.RLIMIT_NOFILE: self.max_open_files,
            resource.RLIMIT_CORE: 0,
        }

        def preexec() -> None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            for which, value in limits.items():
                resource.setrlimit(which, (value, value))
            if uid is not None:
                os.setgroups([])
                os.setgid(uid)
                os.setuid(uid)

        return preexec

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._zygotes: dict[int, Zygote] = {}
        self._checked_reachable = False
        self._uid_pool = UidPool(
            Path(self.uid_lock_dir), self.sandbox_uid_base, self.sandbox_uid_count
        )
        self._slot_uids: dict[int, int] = {}

    def launch(self, job: SandboxJob) -> SandboxProcess:
        if self._uid(job.slot) is not None and not self._checked_reachable:
            self._checked_reachable = True
            for path in runtime_paths():
                blocked = _closed_to_others(path)
                if blocked:
                    self.log.error(
                        "the sandbox uid cannot reach %s: %s is closed to other users "
                        "(chmod o+x it, or keep the course and its venv elsewhere); every "
                        "sandbox will crash while starting",
                        path,
                        blocked,
                    )
        if not self.prefork:
            return self._launch_cold(job)
        zygote = self._zygotes.get(job.slot)
        if zygote is None or not zygote.alive():
            zygote = self._start_zygote(job)
            if zygote is None:
                return self._launch_cold(job)
            self._zygotes[job.slot] = zygote
        zygote.kill_leftovers()
        to_child, from_parent = os.pipe()
        to_parent, from_child = os.pipe()
        try:
            pid = int(zygote.ask(b"spawn", [to_child, from_child]))
        except (EOFError, OSError, ValueError):
            zygote.stop()
            self._zygotes.pop(job.slot, None)
            for fd in (from_parent, to_parent):
                os.close(fd)
            raise
        finally:
            os.close(to_child)
            os.close(from_child)
        return ForkedProcess(from_parent, to_parent, zygote, pid)

    def _start_zygote(self, job: SandboxJob) -> Zygote | None:
        parent, child = socket.socketpair()
        uid = self._uid(job.slot)
        cmd = self._command(
            self._bwrap(), None, job.hide, ["dlgrade.sandbox.zygote", str(child.fileno())]
        )
        popen = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd="/",
            env=self._env(Path("/tmp")),
            preexec_fn=self._limits(uid),
            start_new_session=True,
            pass_fds=(child.fileno(),),
        )
        child.close()
        zygote = Zygote(popen, parent)
        try:
            state = zygote.read_line(self.zygote_start_timeout)
        except (EOFError, OSError):
            state = "dead"
        zygote.own_pids = frozenset(descendants(popen.pid))
        if state != "ready":
            zygote.stop()
            self.log.warning(
                "sandbox template %s: forked sandboxes cannot get their own "
                "namespaces here; using cold starts",
                state,
            )
            self.prefork = False
            return None
        return zygote

    def close(self) -> None:
        for zygote in self._zygotes.values():
            zygote.stop()
        self._zygotes.clear()
        self._uid_pool.release_all()
        self._slot_uids.clear()

    def _env(self, home: Path) -> dict:
        return {
            "HOME": str(home),
            "PATH": "/usr/bin:/bin",
            "OMP_NUM_THREADS": "1",
            "MPLBACKEND": "Agg",
        }

    def _launch_cold(self, job: SandboxJob) -> LocalProcess:
        bwrap = self._bwrap()
        uid = self._uid(job.slot)
        scratch = Path(tempfile.mkdtemp(prefix="dlgrade-", dir=self.scratch_parent or None))
        if uid is not None:
            os.chown(scratch, uid, uid)
        env = {
            "HOME": str(scratch),
            "PATH": "/usr/bin:/bin",
            "OMP_NUM_THREADS": "1",
            "MPLBACKEND": "Agg",
        }
        popen = subprocess.Popen(
            self._command(bwrap, scratch, job.hide, ["dlgrade.sandbox.worker"]),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            cwd=scratch,
            env=env,
            preexec_fn=self._limits(uid),
            start_new_session=True,
            close_fds=True,
        )
        return LocalProcess(popen, scratch)
