"""The extension point for where student code runs.

To add a backend, subclass :class:`SandboxBackend`, override :meth:`SandboxBackend.launch`
(and :meth:`SandboxBackend.close` if it holds resources), then register it:

    @register_backend("cluster")
    class ClusterSandbox(SandboxBackend): ...

or expose it in the ``dlgrade.sandbox_backends`` entry-point group. Pick it in
``nbgrader_config.py`` with ``c.Autograder.sandbox_backend = "cluster"``.

A launched sandbox runs ``python -m dlgrade.sandbox.worker`` (or the same code forked from
a warm process), speaking :mod:`dlgrade.sandbox.protocol` over its stdin/stdout. Deadlines,
restarts and decoding are not the backend's business: :class:`~dlgrade.sandbox.session.
SandboxSession` does them the same way for every backend.
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

from dlgrade.sandbox.protocol import ProtocolError, header_length, parse_header

BACKENDS: dict[str, type[SandboxBackend]] = {}


def register_backend(name: str):
    """Class decorator: make a backend available under `name` in config."""

    def deco(cls: type[SandboxBackend]) -> type[SandboxBackend]:
        BACKENDS[name] = cls
        return cls

    return deco


def get_backend_class(name: str) -> type[SandboxBackend]:
    """The backend class registered as `name` (built-ins, then entry points)."""
    import dlgrade.sandbox.backends.local  # noqa: F401  (registers "local")

    if name not in BACKENDS:
        try:
            import dlgrade.sandbox.backends.docker  # noqa: F401  (registers "docker")
        except ImportError:
            pass
    if name not in BACKENDS:
        for ep in entry_points(group="dlgrade.sandbox_backends"):
            if ep.name == name:
                BACKENDS[name] = ep.load()
    if name not in BACKENDS:
        raise KeyError(f"unknown sandbox backend {name!r}; known: {sorted(BACKENDS)}")
    return BACKENDS[name]


@dataclass
class SandboxJob:
    """What a backend needs to start one sandbox for one submission."""

    slot: int
    """Which parallel worker this is (0..workers-1); backends may map it to a uid or GPU."""
    label: str
    """A name for logs and container names, e.g. ``attention-alice``."""
    use_gpu: bool = False
    hide: tuple[str, ...] = ()
    """Paths the sandbox must not see (the course root, the gradebook, the exchange)."""


class SandboxProcess:
    """A running sandbox, seen from the grader: frames in and out, and a hard kill.

    Subclasses provide the two pipe file descriptors and :meth:`kill` / :meth:`poll`.
    """

    def __init__(self, to_fd: int, from_fd: int):
        self._to = to_fd
        self._from = from_fd
        self._buf = b""

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

    def _fill(self, n: int, deadline: float) -> None:
        while len(self._buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            ready, _, _ = select.select([self._from], [], [], min(left, 1.0))
            if not ready:
                if self.poll() is not None and not self._readable_now():
                    raise EOFError("sandbox exited")
                continue
            chunk = os.read(self._from, max(n - len(self._buf), 1 << 20))
            if not chunk:
                raise EOFError("sandbox exited")
            self._buf += chunk

    def _readable_now(self) -> bool:
        ready, _, _ = select.select([self._from], [], [], 0)
        return bool(ready)

    def _take(self, n: int) -> bytes:
        out, self._buf = self._buf[:n], self._buf[n:]
        return out

    def recv(self, deadline: float) -> tuple[dict, list[bytes]]:
        """One frame, or TimeoutError at `deadline` (time.monotonic()), EOFError on exit."""
        self._fill(4, deadline)
        n = header_length(self._buf[:4])
        self._fill(4 + n, deadline)
        self._take(4)
        header = parse_header(self._take(n))
        blobs = []
        for size in header["blobs"]:
            self._fill(size, deadline)
            blobs.append(self._take(size))
        if not isinstance(header, dict):
            raise ProtocolError("bad frame")
        return header, blobs

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

    def launch(self, job: SandboxJob) -> SandboxProcess:
        """Start one fresh sandbox for `job` and return it once its pipes are connected."""
        raise NotImplementedError

    def close(self) -> None:
        """Release what the backend holds. Called once when the grader is done."""
