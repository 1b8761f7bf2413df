"""Sandbox uids leased through lock files, so that batches grading at the same time on one
machine never share a uid (and with it the per-uid process limit)."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class UidPool:
    """Hands out uids from ``first … first + size − 1``, each held by an exclusive
    ``flock`` on ``<lock_dir>/uid-<n>.lock`` until :meth:`release` or process exit."""

    def __init__(self, lock_dir: Path, first: int, size: int):
        self.lock_dir = lock_dir
        self.first = first
        self.size = size
        self._held: dict[int, int] = {}  # uid -> lock file descriptor

    def acquire(self, preferred: int) -> int:
        """A free uid, trying ``first + preferred`` first and then the ones after it."""
        self.lock_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        for k in range(self.size):
            uid = self.first + (preferred + k) % self.size
            if uid in self._held:
                continue
            fd = os.open(self.lock_dir / f"uid-{uid}.lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            self._held[uid] = fd
            return uid
        raise RuntimeError(
            f"all {self.size} sandbox uids from {self.first} are in use by other batches "
            "(raise LocalSandbox.sandbox_uid_count)"
        )

    def release(self, uid: int) -> None:
        fd = self._held.pop(uid, None)
        if fd is not None:
            os.close(fd)

    def release_all(self) -> None:
        for uid in list(self._held):
            self.release(uid)
