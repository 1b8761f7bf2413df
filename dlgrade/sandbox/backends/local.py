"""The `local` backend: a fresh, isolated process per submission on this machine.

Isolation comes from bubblewrap (new user, pid, network, ipc and uts namespaces; an
empty root holding only what :mod:`dlgrade.sandbox.backends.allowlist` lists, read-only;
size-capped tmpfs mounts at /tmp and /dev/shm, the scratch folder at /tmp/sandbox) plus
rlimits (address space, CPU time, processes, file size, open files) and, when the grader
runs as root, an unprivileged uid per worker slot. See ``base.BOUNDARY``.
"""

from __future__ import annotations

import os
import resource
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from traitlets import Bool, Enum, Integer, List, Unicode

from dlgrade.sandbox.backends.allowlist import (
    DEFAULT_ETC_FILES,
    SANDBOX_HOME,
    Allowlist,
    closed_to_others,
    data_fd,
    user_files,
)
from dlgrade.sandbox.backends.base import (
    SandboxBackend,
    SandboxJob,
    SandboxProcess,
    kill_process_group,
)
from dlgrade.sandbox.backends.uids import UidPool
from dlgrade.sandbox.zygote import runtime_paths


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
    def __init__(self, popen: subprocess.Popen, scratch: Path | None):
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
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)


class Zygote:
    """A warm template sandbox (see dlgrade.sandbox.zygote) and its control socket."""

    def __init__(self, popen: subprocess.Popen, ctrl: socket.socket, jailed: bool):
        self.popen = popen
        self.ctrl = ctrl
        self.jailed = jailed  # inside bubblewrap's allow-list (else rlimits only)
        self.buf = b""
        self.own_pids: frozenset[int] = frozenset()  # the template's processes, once ready
        self.ready = False

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


class LocalSandbox(SandboxBackend):
    """Sandboxes as local processes isolated with bubblewrap and rlimits."""

    isolation = Enum(
        ["auto", "bwrap", "none"],
        "auto",
        help="How to isolate: 'bwrap' (namespaces, an allow-listed root, no network), 'none' "
        "(rlimits only; for machines without user namespaces), 'auto' (bwrap if it works).",
    ).tag(config=True)
    etc_files = List(
        Unicode(),
        list(DEFAULT_ETC_FILES),
        help="Entries of /etc (names or glob patterns, no slashes) bound read-only into "
        "the sandbox; /etc/passwd and /etc/group are generated. Nothing else of /etc is "
        "there.",
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
        "",
        help="Where per-submission scratch folders are made on the host when sandboxes run "
        "without bubblewrap (default: the system temp); with bubblewrap the scratch folder "
        "lives in the sandbox's own size-capped /tmp.",
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

    def allowlist(self, uid: int | None) -> Allowlist:
        """What a sandbox of this backend sees of the host (see `allowlist`)."""
        return Allowlist(
            runtime=runtime_paths(),
            etc_files=list(self.etc_files),
            tmp_bytes=self.tmpfs_limit_mb * 2**20,
            shm_bytes=self.shm_limit_mb * 2**20,
            gpu=self.allow_gpu,
            uid=os.getuid() if uid is None else uid,
            gid=os.getgid() if uid is None else uid,
        )

    def _command(
        self, bwrap: str | None, job: SandboxJob, program: list[str]
    ) -> tuple[list[str], list[int]]:
        """The command line and the file descriptors it must inherit (the caller closes
        them once the process has started)."""
        worker = [self.python, "-I", "-m", *program]
        if bwrap is None:
            return worker, []
        allow = self.allowlist(self._uid(job.slot))
        allow.refuse_exposed(job.hide)
        fds = [data_fd(data) for data in user_files(allow.uid, allow.gid)]
        cmd = [bwrap, *allow.bwrap_args(*fds), "--chdir", SANDBOX_HOME]
        cmd += ["--unshare-all", "--die-with-parent", "--new-session"]
        cmd += ["--clearenv", "--setenv", "HOME", SANDBOX_HOME, "--setenv", "PATH", "/usr/bin:/bin"]
        cmd += ["--setenv", "OMP_NUM_THREADS", "1", "--setenv", "MPLBACKEND", "Agg"]
        return cmd + worker, fds

    def _limits(self, uid: int | None):
        limits = {
            resource.RLIMIT_AS: self.address_space_mb() * 2**20,
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
        self.address_space_mb()
        if self._uid(job.slot) is not None and not self._checked_reachable:
            self._checked_reachable = True
            for path in runtime_paths():
                blocked = closed_to_others(path)
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
        if zygote is not None and not zygote.alive():
            zygote.stop()
            del self._zygotes[job.slot]
        self.prepare(job)
        self.await_ready(job)
        zygote = self._zygotes.get(job.slot)
        if zygote is None:
            return self._launch_cold(job)
        if zygote.jailed:
            self.allowlist(self._uid(job.slot)).refuse_exposed(job.hide)
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

    def prepare(self, job: SandboxJob) -> None:
        """Start the slot's template now, without waiting for it: it imports torch while
        the grading process imports its own modules; the first `launch` waits for it."""
        if self.prefork and job.slot not in self._zygotes:
            self._zygotes[job.slot] = self._spawn_zygote(job)

    def await_ready(self, job: SandboxJob) -> None:
        zygote = self._zygotes.get(job.slot)
        if zygote is not None and not zygote.ready:
            del self._zygotes[job.slot]
            zygote = self._await_zygote(zygote)
            if zygote is not None:
                self._zygotes[job.slot] = zygote

    def _spawn_zygote(self, job: SandboxJob) -> Zygote:
        parent, child = socket.socketpair()
        uid = self._uid(job.slot)
        sizes = [str(self.tmpfs_limit_mb * 2**20), str(self.shm_limit_mb * 2**20)]
        bwrap = self._bwrap()
        try:
            cmd, fds = self._command(
                bwrap, job, ["dlgrade.sandbox.zygote", str(child.fileno()), *sizes]
            )
        except BaseException:
            parent.close()
            child.close()
            raise
        try:
            popen = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                cwd="/",
                env=self._env(Path("/tmp")),
                preexec_fn=self._limits(uid),
                start_new_session=True,
                pass_fds=(child.fileno(), *fds),
            )
        finally:
            child.close()
            for fd in fds:
                os.close(fd)
        return Zygote(popen, parent, jailed=bwrap is not None)

    def _await_zygote(self, zygote: Zygote) -> Zygote | None:
        """The template once it is ready; None (and cold starts from now on) when
        forked sandboxes cannot get their own namespaces here."""
        try:
            state = zygote.read_line(self.zygote_start_timeout)
        except (EOFError, OSError):
            state = "dead"
        zygote.own_pids = frozenset(descendants(zygote.popen.pid))
        if state != "ready":
            zygote.stop()
            self.log.warning(
                "sandbox template %s: forked sandboxes cannot get their own "
                "namespaces here; using cold starts",
                state,
            )
            self.prefork = False
            return None
        zygote.ready = True
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
        cmd, fds = self._command(bwrap, job, ["dlgrade.sandbox.worker"])
        scratch = None
        if bwrap is None:
            scratch = Path(tempfile.mkdtemp(prefix="dlgrade-", dir=self.scratch_parent or None))
            if uid is not None:
                os.chown(scratch, uid, uid)
        try:
            popen = subprocess.Popen(
                cmd,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                cwd=scratch or "/",
                env=self._env(scratch or Path(SANDBOX_HOME)),
                preexec_fn=self._limits(uid),
                start_new_session=True,
                pass_fds=fds,
            )
        except BaseException:
            if scratch is not None:
                shutil.rmtree(scratch, ignore_errors=True)
            raise
        finally:
            for fd in fds:
                os.close(fd)
        return LocalProcess(popen, scratch)
