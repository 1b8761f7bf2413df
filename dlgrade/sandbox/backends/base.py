"""The extension point for where student code runs.

To add a backend, subclass :class:`SandboxBackend`, override :meth:`SandboxBackend.launch`
(and :meth:`SandboxBackend.close` if it holds resources), then register it in the
``dlgrade.sandbox_backends`` entry-point group of its package (as ``local`` and ``docker``
are in dlgrade's pyproject.toml):

    [project.entry-points."dlgrade.sandbox_backends"]
    cluster = "mypackage.sandbox:ClusterSandbox"

(or, inside one process only, with ``@register_backend("cluster")``). Pick it in
``nbgrader_config.py`` with ``c.Autograder.sandbox_backend = "cluster"``; a name that is not
registered is refused when the config is loaded, naming the known backends.

A launched sandbox runs ``python -m dlgrade.sandbox.worker`` (or the same code forked from
a warm process), speaking :mod:`dlgrade.sandbox.protocol` over its stdin/stdout. Deadlines,
restarts and decoding are not the backend's business: :class:`~dlgrade.sandbox.session.
SandboxSession` does them the same way for every backend. What crosses the boundary,
for every backend, is stated once in :data:`BOUNDARY`.
"""

from __future__ import annotations

import os
import select
import signal
import time
from dataclasses import dataclass
from importlib.metadata import entry_points

from traitlets import Bool, Integer
from traitlets.config import LoggingConfigurable

from dlgrade.sandbox.protocol import read_sandbox_frame

BACKEND_GROUP = "dlgrade.sandbox_backends"
BACKENDS: dict[str, type[SandboxBackend]] = {}
"""Backends registered in this process with `register_backend` (tests, notebooks)."""
MIN_PROCESS_MEMORY_MB = 512

BOUNDARY = """\
What enters a sandbox (allow-list; nothing else of the host exists inside):

* local (bubblewrap, dlgrade.sandbox.backends.allowlist): an empty root holding, read-only,
  /usr (with /bin, /sbin, /lib, /lib64 as on the host), the /etc entries named in
  LocalSandbox.etc_files, a generated /etc/passwd and /etc/group, the interpreter's
  folders (sys.prefix, sys.base_prefix, the interpreter's own prefix) and the dlgrade
  package folder, exactly those and never a parent; a fresh /dev and /proc; /sys and the
  GPU devices only with allow_gpu. Writable: a tmpfs /tmp (tmpfs_limit_mb; the scratch
  folder /tmp/sandbox is in it) and a tmpfs /dev/shm (shm_limit_mb). A launch whose
  allow-list would contain a hidden path (SandboxJob.hide: the course root, graders,
  sources, the gradebook's folder) is refused. New user, pid, network, ipc, uts and
  mount namespaces; an unprivileged uid per slot when grading as root; rlimits.
* docker: the grader image only (nothing of the host is mounted), read-only root, tmpfs
  /sandbox (DockerSandbox.scratch_size_mb), /tmp (tmpfs_limit_mb) and /dev/shm
  (shm_limit_mb); no network, no capabilities, no-new-privileges, a non-root user,
  cgroup limits (memory, CPU, pids) and rlimits.
* Both: the notebook's code cells and the graders' sandbox helpers, sent as protocol
  frames (dlgrade.sandbox.protocol) over stdin; the requests of the graders.

Memory: tmpfs pages are memory. The local backend's address-space limit is
memory_limit_mb - tmpfs_limit_mb - shm_limit_mb, so processes and tmpfs together stay
within memory_limit_mb; docker's cgroup charges tmpfs pages to the container. Both refuse
a configuration that leaves less than MIN_PROCESS_MEMORY_MB to the processes.

What may leave (only this, only over stdout, only as protocol frames):

* cell events (start, done with outputs and error) and request replies: JSON headers and
  raw blobs, decoded without pickle into plain data, tensors and arrays
  (dlgrade.sandbox.protocol); sizes and shapes bounded by the trusted side.
* Outputs are cut per output, per cell and per submission (SessionSettings, including
  max_output_total_kb) and sanitized before anything renders them (dlgrade.sanitize).
* Exit status and timing. Files written in the sandbox, stderr and everything else stay
  inside and go with it.
"""


def register_backend(name: str):
    """Class decorator: make a backend available under `name` in this process (a
    backend for every process belongs in the entry-point group, BACKEND_GROUP)."""

    def deco(cls: type[SandboxBackend]) -> type[SandboxBackend]:
        BACKENDS[name] = cls
        return cls

    return deco


def backend_names() -> list[str]:
    """The registered backends: BACKEND_GROUP's entry points and `register_backend`'s."""
    return sorted({ep.name for ep in entry_points(group=BACKEND_GROUP)} | set(BACKENDS))


def get_backend_class(name: str) -> type[SandboxBackend]:
    """The backend class registered as `name`; KeyError naming the known ones."""
    if name in BACKENDS:
        return BACKENDS[name]
    for ep in entry_points(group=BACKEND_GROUP, name=name):
        return ep.load()
    raise KeyError(f"unknown sandbox backend {name!r}; known: {', '.join(backend_names())}")


@dataclass
class SandboxJob:
    """What a backend needs to start one sandbox for one submission."""

    slot: int
    """Which parallel worker this is (0..workers-1); backends may map it to a uid or GPU."""
    label: str
    """A name for logs and container names, e.g. ``attention-alice``."""
    use_gpu: bool = False
    hide: tuple[str, ...] = ()
    """Paths the sandbox must not see (the course root, the gradebook, the exchange). The
    sandbox sees only its allow-list anyway; a backend refuses a launch whose allow-list
    would contain one of these."""


class SandboxProcess:
    """A running sandbox, seen from the grader: frames in and out, and a hard kill.

    Subclasses provide the two pipe file descriptors and :meth:`kill` / :meth:`poll`.
    """

    def __init__(self, to_fd: int, from_fd: int):
        self._to = to_fd
        self._from = from_fd

    def send(self, header_bytes: bytes, blobs: list[bytes], deadline: float) -> None:
        """Write one frame, or TimeoutError at `deadline` (a sandbox that stops reading
        must not hold the grader), EOFError if the sandbox closed its input."""
        data = header_bytes + b"".join(blobs)
        view = memoryview(data)
        os.set_blocking(self._to, False)
        while view:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            _, ready, _ = select.select([], [self._to], [], min(left, 1.0))
            if not ready:
                if self.poll() is not None:
                    raise EOFError("sandbox exited")
                continue
            try:
                n = os.write(self._to, view)
            except BlockingIOError:
                continue
            except (BrokenPipeError, OSError) as exc:
                raise EOFError(f"sandbox closed its input: {exc}") from None
            view = view[n:]

    def _fill(self, view: memoryview, deadline: float) -> None:
        """Fill `view` from the sandbox's output, or TimeoutError/EOFError."""
        got = 0
        while got < len(view):
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            ready, _, _ = select.select([self._from], [], [], min(left, 1.0))
            if not ready:
                if self.poll() is not None and not self._readable_now():
                    raise EOFError("sandbox exited")
                continue
            n = os.readv(self._from, [view[got:]])
            if not n:
                raise EOFError("sandbox exited")
            got += n

    def _readable_now(self) -> bool:
        ready, _, _ = select.select([self._from], [], [], 0)
        return bool(ready)

    def recv(self, deadline: float) -> tuple[dict, list[bytearray]]:
        """One frame, or TimeoutError at `deadline` (time.monotonic()), EOFError on exit,
        ProtocolError for anything that is not a frame a sandbox may send."""
        return read_sandbox_frame(lambda view: self._fill(view, deadline))

    def close_pipes(self) -> None:
        for fd in (self._to, self._from):
            try:
                os.close(fd)
            except OSError:
                pass

    def poll(self) -> int | None:
        """Exit status if the sandbox has ended, else None."""
        raise NotImplementedError

    def kill(self) -> None:
        """Stop the sandbox now, from outside, with everything it started."""
        raise NotImplementedError


def kill_process_group(pid: int) -> None:
    for target in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            target()
        except (ProcessLookupError, PermissionError):
            pass


class SandboxBackend(LoggingConfigurable):
    """Base class for sandbox backends.

    Override :meth:`launch`; override :meth:`close` to release what the backend holds
    (warm processes, containers). Limits are traits here so every backend reads the same
    settings; a backend enforces them as well as its mechanism allows.
    """

    memory_limit_mb = Integer(3072, help="Address-space / memory limit of a sandbox, MiB.").tag(
        config=True
    )
    cpu_time_limit_s = Integer(
        600, help="CPU seconds a sandbox may use in all (the wall clock is watched separately)."
    ).tag(config=True)
    max_processes = Integer(64, help="Processes and threads a sandbox may have at once.").tag(
        config=True
    )
    max_file_size_mb = Integer(64, help="Largest file a sandbox may write, MiB.").tag(config=True)
    max_open_files = Integer(256, help="Open file descriptors a sandbox may hold.").tag(config=True)
    allow_gpu = Bool(
        False, help="Give sandboxes the GPU when one is present (grading is CPU-sized)."
    ).tag(config=True)
    tmpfs_limit_mb = Integer(
        256,
        help="Size of the sandbox's writable /tmp (a tmpfs, holding the scratch folder on "
        "the local backend), MiB. It is memory: it counts inside memory_limit_mb.",
    ).tag(config=True)
    shm_limit_mb = Integer(
        64,
        help="Size of the sandbox's /dev/shm (a tmpfs; PyTorch data loader workers), MiB. "
        "It counts inside memory_limit_mb.",
    ).tag(config=True)

    def address_space_mb(self) -> int:
        """The memory left to a sandbox's processes once its tmpfs mounts are full:
        memory_limit_mb - tmpfs_limit_mb - shm_limit_mb; ValueError below
        MIN_PROCESS_MEMORY_MB (torch alone needs about that much)."""
        left = self.memory_limit_mb - self.tmpfs_limit_mb - self.shm_limit_mb
        if left < MIN_PROCESS_MEMORY_MB or self.tmpfs_limit_mb < 1 or self.shm_limit_mb < 1:
            raise ValueError(
                f"memory_limit_mb={self.memory_limit_mb} leaves {left} MiB to a sandbox's "
                f"processes after tmpfs_limit_mb={self.tmpfs_limit_mb} and "
                f"shm_limit_mb={self.shm_limit_mb}; at least {MIN_PROCESS_MEMORY_MB} MiB "
                "are needed (and each tmpfs at least 1 MiB)"
            )
        return left

    def launch(self, job: SandboxJob) -> SandboxProcess:
        """Start one fresh sandbox for `job` and return it once its pipes are connected."""
        raise NotImplementedError

    def prepare(self, job: SandboxJob) -> None:
        """Optionally start, without waiting, what `launch` will need for `job.slot` (a
        warm template). Called once per grading process; a failure here is `launch`'s."""

    def await_ready(self, job: SandboxJob) -> None:
        """Wait until what `prepare` started for `job.slot` is ready (a warm service)."""

    def close(self) -> None:
        """Release what the backend holds. Called once when the grader is done."""
