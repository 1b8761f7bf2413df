"""The `local` backend: a fresh, isolated process per submission on this machine.

Isolation comes from bubblewrap (new user, pid, network, ipc and uts namespaces; the
course root and home folders hidden behind empty tmpfs mounts; a private scratch folder
at /sandbox) plus rlimits (address space, CPU time, processes, file size, open files)
and, when the grader runs as root, an unprivileged uid per worker slot.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from traitlets import Enum, Integer, List, Unicode

from dlgrade.sandbox.backends.base import (
    SandboxBackend,
    SandboxJob,
    SandboxProcess,
    kill_process_group,
    register_backend,
)

SANDBOX_HOME = "/tmp/sandbox"


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
        help="When grading as root, slot N runs as uid/gid sandbox_uid_base + N "
        "(unprivileged, so the process limit applies).",
    ).tag(config=True)
    scratch_parent = Unicode(
        "", help="Where per-submission scratch folders are made (default: the system temp)."
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
        return self.sandbox_uid_base + slot if os.geteuid() == 0 else None

    def _command(self, bwrap: str | None, scratch: Path, hide: tuple[str, ...]) -> list[str]:
        worker = [self.python, "-I", "-m", "dlgrade.sandbox.worker"]
        if bwrap is None:
            return worker
        cmd = [bwrap, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
        cmd += ["--tmpfs", "/tmp", "--tmpfs", "/var/tmp"]
        checkout = _package_root().parent
        hidden = [*self.hidden_paths, *self.extra_hidden_paths, *hide]
        if (checkout / "pyproject.toml").exists():
            hidden.append(str(checkout))  # an editable install: its graders/ and source/ too
        for path in sorted({os.path.realpath(p) for p in hidden if os.path.exists(p)}, key=len):
            cmd += ["--tmpfs", path]
        visible = {str(_package_root().parent / "dlgrade"), str(Path(sys.prefix))}
        for path in sorted(visible, key=len):
            cmd += ["--ro-bind", path, path]
        cmd += ["--bind", str(scratch), SANDBOX_HOME, "--chdir", SANDBOX_HOME]
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

    def launch(self, job: SandboxJob) -> LocalProcess:
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
            self._command(bwrap, scratch, job.hide),
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
