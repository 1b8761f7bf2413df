"""What a `local` sandbox sees of the host: an allow-list, built as bubblewrap arguments.

bubblewrap starts from an empty root. Into it go, read-only: ``/usr`` (and ``/bin``,
``/sbin``, ``/lib``, ``/lib64`` as the same symlinks the host has, else bound), a few
named entries of ``/etc``, a generated ``/etc/passwd`` and ``/etc/group``, and the
interpreter's folders (``sys.prefix``, ``sys.base_prefix``, the interpreter's own prefix,
this package): exactly those folders, never a parent. Then a fresh ``/dev`` and ``/proc``,
size-capped tmpfs mounts at ``/tmp`` and ``/dev/shm``, the scratch folder at
``/tmp/sandbox``, and finally the whole root remounted read-only. ``/sys`` and the GPU
devices only with ``allow_gpu``. Nothing else of the host exists inside.

Hidden paths (the course root, graders, sources, the gradebook's folder) are a check, not
a mechanism: a launch whose allow-list would contain one of them is refused.
"""

from __future__ import annotations

import glob
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

SANDBOX_HOME = "/tmp/sandbox"
TOP_LEVEL_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64")
DEFAULT_ETC_FILES = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "alternatives",
    "fonts",
    "localtime",
    "python3*",
)


def closed_to_others(path: str) -> str | None:
    """The first folder on the way to `path` that other users may not search, if any."""
    for folder in [*reversed(Path(path).parents), Path(path)]:
        if not os.stat(folder).st_mode & stat.S_IXOTH:
            return str(folder)
    return None


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def minimal_roots(paths: Iterable[str]) -> list[str]:
    """The real paths of `paths`, without those inside another one, shortest first."""
    roots: list[str] = []
    for path in sorted({os.path.realpath(p) for p in paths}, key=len):
        if not any(_inside(path, root) for root in roots):
            roots.append(path)
    return roots


def refuse_exposed(sources: Iterable[str], hidden: Iterable[str]) -> None:
    """RuntimeError if a `hidden` path is one of `sources` (host paths a sandbox is given)
    or inside one of them."""
    sources = [os.path.realpath(s) for s in sources]
    for path in hidden:
        real = os.path.realpath(path)
        for source in sources:
            if _inside(real, source):
                raise RuntimeError(
                    f"refusing to start a sandbox: it would see {path}, which must stay "
                    f"hidden, through {source}; keep the course outside what sandboxes "
                    "are given (dlgrade.sandbox.backends.base.BOUNDARY)"
                )


def user_files(uid: int, gid: int) -> tuple[bytes, bytes]:
    """``/etc/passwd`` and ``/etc/group`` for the sandbox: root, the sandbox user, nobody."""
    users = [("root", 0, 0, "/root"), ("nobody", 65534, 65534, "/nonexistent")]
    if uid not in (0, 65534):
        users.insert(1, ("sandbox", uid, gid, SANDBOX_HOME))
    passwd = "".join(f"{n}:x:{u}:{g}:{n}:{h}:/usr/sbin/nologin\n" for n, u, g, h in users)
    groups = {0: "root", 65534: "nogroup"}
    groups.setdefault(gid, "sandbox")
    group = "".join(f"{name}:x:{g}:\n" for g, name in sorted(groups.items()))
    return passwd.encode(), group.encode()


def data_fd(data: bytes) -> int:
    """A pipe's read end holding `data` (small: it must fit the pipe's buffer)."""
    read, write = os.pipe()
    try:
        os.write(write, data)
    finally:
        os.close(write)
    return read


@dataclass
class Allowlist:
    """The host paths one sandbox may see, and the bubblewrap arguments that give it them."""

    runtime: list[str]
    """The interpreter's folders and this package (``zygote.runtime_paths()``)."""
    etc_files: list[str]
    """Names (glob patterns) of ``/etc`` entries to bind."""
    tmp_bytes: int
    shm_bytes: int
    gpu: bool = False
    uid: int = field(default_factory=os.getuid)
    gid: int = field(default_factory=os.getgid)

    def sources(self) -> list[str]:
        """Every host path bound into the sandbox (real paths), for the exposure check."""
        found = ["/usr", *self.runtime]
        found += [p for p in TOP_LEVEL_LINKS if os.path.isdir(p) and not os.path.islink(p)]
        found += self._etc_entries()
        if self.gpu:
            found += ["/sys", *self._gpu_devices()]
        return minimal_roots(p for p in found if os.path.exists(p))

    def _etc_entries(self) -> list[str]:
        out: set[str] = set()
        for pattern in self.etc_files:
            if "/" in pattern or pattern in ("", ".", ".."):
                raise ValueError(f"etc_files entries are names inside /etc, not {pattern!r}")
            out.update(glob.glob(os.path.join("/etc", pattern)))
        return sorted(out)

    @staticmethod
    def _gpu_devices() -> list[str]:
        return sorted(glob.glob("/dev/nvidia*")) + sorted(glob.glob("/dev/dri/*"))

    def refuse_exposed(self, hidden: Iterable[str]) -> None:
        """RuntimeError if any hidden path is inside something this allow-list binds."""
        refuse_exposed(self.sources(), hidden)

    def bwrap_args(self, passwd_fd: int, group_fd: int) -> list[str]:
        """The mount arguments; `passwd_fd` and `group_fd` hold :func:`user_files`."""
        args = ["--ro-bind", "/usr", "/usr"]
        for path in TOP_LEVEL_LINKS:
            if os.path.islink(path):
                args += ["--symlink", os.readlink(path), path]
            elif os.path.isdir(path):
                args += ["--ro-bind", path, path]
        for entry in self._etc_entries():
            if os.path.islink(entry):
                args += ["--symlink", os.readlink(entry), entry]
            else:
                args += ["--ro-bind", entry, entry]
        args += ["--ro-bind-data", str(passwd_fd), "/etc/passwd"]
        args += ["--ro-bind-data", str(group_fd), "/etc/group"]
        args += ["--dev", "/dev", "--proc", "/proc"]
        args += ["--size", str(self.tmp_bytes), "--tmpfs", "/tmp"]
        args += ["--size", str(self.shm_bytes), "--tmpfs", "/dev/shm"]
        for path in minimal_roots(self.runtime):
            if not _inside(path, "/usr"):
                args += ["--ro-bind", path, path]
        if self.gpu:
            args += ["--ro-bind", "/sys", "/sys"]
            for dev in self._gpu_devices():
                args += ["--dev-bind", dev, dev]
        args += ["--dir", SANDBOX_HOME, "--remount-ro", "/dev", "--remount-ro", "/"]
        return args
