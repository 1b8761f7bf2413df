"""Intake: a submission folder is read as an allow-list of regular files, or not at all.

`submitted/<student>/<assignment>/` is written by students (through nbgrader's exchange),
so before anything of it is read or copied every entry is checked through directory file
descriptors opened with ``O_NOFOLLOW``: only real directories and regular files with a
single link, within a total size and a file count. The few files grading needs are read
as bytes while their descriptors are open, so nothing is followed between check and read.
Anything else rejects the whole submission (status ``invalid``), and nothing of it is
copied anywhere.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.utils import ignore_patterns
from traitlets import Float, Integer
from traitlets.config import LoggingConfigurable

from dlgrade.grading.files import matches

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_KINDS = (
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
)


class Rejected(Exception):
    """The submission folder is not an allow-listed tree of regular files."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = f"submission rejected: {reason}"


@dataclass(frozen=True)
class Accepted:
    """What intake let through: the bytes of the files grading asked for, by name (the
    top-level ones named, and those matching the graders' patterns)."""

    files: dict[str, bytes] = field(default_factory=dict)
    count: int = 0
    total_bytes: int = 0
    left_out: tuple[str, ...] = ()
    """Files matching a pattern that were over the per-file limit (not read)."""


class Intake(LoggingConfigurable):
    """Limits of what a submission folder may hold. Every trait can be set in
    nbgrader_config.py."""

    max_total_mb = Float(
        50.0,
        help="Most megabytes (MiB) all files of one submission folder may hold together; "
        "a larger submission is rejected as invalid.",
    ).tag(config=True)
    max_files = Integer(
        200,
        help="Most files and folders one submission folder may hold (nested ones "
        "included); a submission with more is rejected as invalid.",
    ).tag(config=True)

    max_graded_file_kb = Integer(
        256,
        help="Most KB of one file the graders read besides the notebook (the patterns of "
        "graders/<a>/SUBMITTED_FILES); a larger one is left out and the tests that need it "
        "fail, naming it.",
    ).tag(config=True)

    def take(
        self,
        base: Path,
        student: str,
        assignment: str,
        read: Iterable[str],
        patterns: tuple[str, ...] = (),
    ) -> Accepted:
        """Check `base/<student>/<assignment>/` and read the top-level files named in `read`
        and the files matching `patterns` (`dlgrade.grading.files`).

        Raises :class:`Rejected` with the reason when the folder is not allowed.
        """
        limit = int(self.max_total_mb * 2**20)
        return take(
            base, student, assignment, read, limit, self.max_files,
            patterns, self.max_graded_file_kb * 1024,
        )  # fmt: skip


def _kind(mode: int) -> str | None:
    return next((what for test, what in _KINDS if test(mode)), None)


def _open_dir(name: str, dir_fd: int | None, shown: str) -> int:
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except OSError as exc:
        raise Rejected(f"{shown} cannot be read ({exc.strerror})") from None
    if not stat.S_ISDIR(st.st_mode):
        raise Rejected(f"{shown} is {_kind(st.st_mode) or 'not a folder'}")
    try:
        fd = os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        raise Rejected(f"{shown} cannot be opened as a folder ({exc.strerror})") from None
    return fd


def _read_file(name: str, dir_fd: int, shown: str, limit: int) -> bytes:
    try:
        fd = os.open(name, _FILE_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        raise Rejected(f"{shown} cannot be opened ({exc.strerror})") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1:
            raise Rejected(f"{shown} changed while it was checked")
        chunks, size = [], 0
        while chunk := os.read(fd, min(1 << 20, limit + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise Rejected(f"{shown} grew past the size limit while it was read")
        return b"".join(chunks)
    finally:
        os.close(fd)


class _Walk:
    def __init__(
        self,
        read: set[str],
        max_bytes: int,
        max_files: int,
        patterns: tuple[str, ...] = (),
        max_pattern_file: int = 0,
    ):
        self.read, self.max_bytes, self.max_files = read, max_bytes, max_files
        self.patterns, self.max_pattern_file = patterns, max_pattern_file
        self.count = self.total = 0
        self.files: dict[str, bytes] = {}
        self.left_out: list[str] = []

    def folder(self, fd: int, prefix: str) -> None:
        for entry in sorted(os.listdir(fd)):
            shown = prefix + entry
            self.count += 1
            if self.count > self.max_files:
                raise Rejected(f"more than {self.max_files} files and folders")
            st = os.stat(entry, dir_fd=fd, follow_symlinks=False)
            if stat.S_ISDIR(st.st_mode):
                sub = _open_dir(entry, fd, shown)
                try:
                    self.folder(sub, shown + "/")
                finally:
                    os.close(sub)
                continue
            if not stat.S_ISREG(st.st_mode):
                raise Rejected(f"{shown} is {_kind(st.st_mode) or 'not a regular file'}")
            if st.st_nlink != 1:
                raise Rejected(f"{shown} is a hard link ({st.st_nlink} names for one file)")
            self.total += st.st_size
            if self.total > self.max_bytes:
                raise Rejected(f"the files hold more than {self.max_bytes / 2**20:g} MiB")
            left = self.max_bytes - self.total + st.st_size
            if shown in self.read:
                self.files[shown] = _read_file(entry, fd, shown, left)
            elif self.patterns and matches(shown, self.patterns):
                if st.st_size > self.max_pattern_file:
                    self.left_out.append(shown)
                else:
                    self.files[shown] = _read_file(entry, fd, shown, self.max_pattern_file)


def take(
    base: Path,
    student: str,
    assignment: str,
    read: Iterable[str] = (),
    max_bytes: int = 50 * 2**20,
    max_files: int = 200,
    patterns: tuple[str, ...] = (),
    max_pattern_file: int = 256 * 1024,
) -> Accepted:
    """Check `base/<student>/<assignment>/` entry by entry (no link is ever followed) and
    return the bytes of the top-level files named in `read` that exist, and of the files
    matching `patterns` of at most `max_pattern_file` bytes each."""
    for name in (student, assignment):
        if not name or name in (".", "..") or "/" in name or "\0" in name:
            raise Rejected(f"{name!r} is not a plain folder name")
    try:
        root = os.open(base, _DIR_FLAGS)
    except OSError as exc:
        raise Rejected(f"the submissions folder cannot be opened ({exc.strerror})") from None
    try:
        student_fd = _open_dir(student, root, f"the student folder {student!r}")
        try:
            folder = _open_dir(assignment, student_fd, f"the assignment folder {assignment!r}")
        finally:
            os.close(student_fd)
    finally:
        os.close(root)
    walk = _Walk(set(read), max_bytes, max_files, tuple(patterns), max_pattern_file)
    try:
        walk.folder(folder, "")
    except OSError as exc:
        raise Rejected(f"the folder cannot be read ({exc.strerror})") from None
    finally:
        os.close(folder)
    return Accepted(walk.files, walk.count, walk.total, tuple(walk.left_out))


class SafeCollect(ExchangeCollect):
    """nbgrader's collect, copying links as links and nothing but regular files as files.

    nbgrader's own copy (``copytree`` following links, as the collecting user) would turn
    a link a student left in the exchange's inbound folder into a copy of what it points
    to in submitted/. Here a link (the submission folder itself included) arrives as a
    link, and a fifo, socket or device as a dangling link naming it: intake then records
    the submission as invalid, and no student's entry stops the others' collect.
    Set ``c.ExchangeFactory.collect`` to this class.
    """

    def do_copy(self, src: str, dest: str, log=None) -> None:
        if os.path.islink(src):
            os.symlink(os.readlink(src), dest)
            return
        limit = 1000 * self.coursedir.max_dir_size
        if self.get_size(src) > limit:
            raise RuntimeError(f"Directory size is too big (maximum {limit} bytes)")
        ignore = ignore_patterns(
            exclude=self.coursedir.ignore,
            include=self.coursedir.include,
            max_file_size=self.coursedir.max_file_size,
            log=self.log,
        )
        fd = os.open(src, _DIR_FLAGS)
        try:  # copy from the folder opened without following a link, not from its name
            shutil.copytree(
                f"/proc/self/fd/{fd}", dest, symlinks=True, ignore=ignore,
                copy_function=_copy_regular,
            )  # fmt: skip
        finally:
            os.close(fd)
        if self.coursedir.groupshared:
            for dirname, _, filenames in os.walk(dest):
                _add_mode(dirname, 0o2770, 0o2777)
                for name in filenames:
                    _add_mode(os.path.join(dirname, name), 0o660, 0o777)


def _add_mode(path: str, bits: int, mask: int) -> None:
    mode = os.lstat(path).st_mode
    if not stat.S_ISLNK(mode) and mode & bits != bits:
        try:
            os.chmod(path, (mode | bits) & mask)
        except PermissionError:
            pass


def _copy_regular(src: str, dest: str) -> str:
    """Copy one regular file, opened without following a link or blocking on a fifo;
    anything else becomes a dangling link that names what it was."""
    mode = os.lstat(src).st_mode
    if not stat.S_ISREG(mode):
        os.symlink(f"/nonexistent/not collected: {_kind(mode)}", dest)
        return dest
    fd = os.open(src, _FILE_FLAGS)
    with os.fdopen(fd, "rb") as fin:
        st = os.fstat(fin.fileno())
        if not stat.S_ISREG(st.st_mode):
            os.symlink(f"/nonexistent/not collected: {_kind(st.st_mode)}", dest)
            return dest
        with open(dest, "wb") as fout:
            shutil.copyfileobj(fin, fout)
    os.chmod(dest, stat.S_IMODE(st.st_mode))
    os.utime(dest, ns=(st.st_atime_ns, st.st_mtime_ns))
    return dest
