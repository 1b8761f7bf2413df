"""The one owner of course paths: nbgrader's CourseDirectory plus the graders folder."""

from __future__ import annotations

import os
from pathlib import Path

from nbgrader.coursedir import CourseDirectory
from traitlets import Unicode
from traitlets.config import LoggingConfigurable


class CoursePaths(LoggingConfigurable):
    """Every path the platform touches, derived from nbgrader's CourseDirectory."""

    graders_directory = Unicode(
        "graders",
        help="Folder (under the course root) holding one hidden-grader folder per assignment.",
    ).tag(config=True)

    reports_directory = Unicode(
        "reports", help="Folder (under the course root) for class reports and exports."
    ).tag(config=True)

    def __init__(self, coursedir: CourseDirectory, **kwargs):
        super().__init__(**kwargs)
        self.coursedir = coursedir

    @property
    def root(self) -> Path:
        return Path(self.coursedir.root)

    def step(self, step: str, student: str, assignment: str) -> Path:
        """`<root>/<step>/<student>/<assignment>` as nbgrader lays it out."""
        return Path(self.coursedir.format_path(step, student, assignment))

    def source(self, assignment: str) -> Path:
        return self.step(self.coursedir.source_directory, ".", assignment)

    def release(self, assignment: str) -> Path:
        return self.step(self.coursedir.release_directory, ".", assignment)

    def submitted(self, student: str, assignment: str) -> Path:
        return self.step(self.coursedir.submitted_directory, student, assignment)

    def autograded(self, student: str, assignment: str) -> Path:
        return self.step(self.coursedir.autograded_directory, student, assignment)

    def feedback(self, student: str, assignment: str) -> Path:
        return self.step(self.coursedir.feedback_directory, student, assignment)

    def graders(self, assignment: str) -> Path:
        return self.root / self.graders_directory / assignment

    def reports(self, *parts: str) -> Path:
        return self.root.joinpath(self.reports_directory, *parts)

    def results(self, student: str, assignment: str) -> Path:
        return self.autograded(student, assignment) / "results.json"

    def notebook(self, assignment: str) -> str:
        """Name (without extension) of the assignment's notebook: `<assignment>.ipynb`."""
        return assignment

    def submitted_base(self) -> Path:
        """`<root>/submitted`: one folder per student below it."""
        return self.root / self.coursedir.submitted_directory

    def students(self, assignment: str) -> list[str]:
        """Students with a submission entry for `assignment`, sorted.

        A student folder or an assignment folder that is a link (or not a folder) is
        listed too (only its existence is looked up), so that intake records it as invalid
        instead of it being skipped, or read as someone else's work."""
        base = self.submitted_base()
        if not base.is_dir():
            return []
        found = []
        for entry in os.scandir(base):
            if entry.name.startswith("."):
                continue
            folder = entry.is_symlink() or entry.is_dir(follow_symlinks=False)
            if folder and os.path.lexists(os.path.join(entry.path, assignment)):
                found.append(entry.name)
        return sorted(found)

    def assignments(self) -> list[str]:
        """Assignments that have a source folder holding their notebook, sorted (another
        course's folder below this one's, source/intro/, is none of them)."""
        base = self.root / self.coursedir.source_directory
        if not base.is_dir():
            return []
        return sorted(
            p.name
            for p in base.iterdir()
            if p.is_dir()
            and not p.name.startswith(".")
            and (p / f"{self.notebook(p.name)}.ipynb").is_file()
        )


def atomic_write(path: os.PathLike | str, data: str | bytes) -> None:
    """Write `data` to `path` so that readers see the old file or the new one, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(tmp, mode, **({} if isinstance(data, bytes) else {"encoding": "utf-8"})) as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def use_this_environment() -> None:
    """Put this interpreter's bin/ first on PATH: nbgrader runs `alembic` by name when it
    creates a gradebook, and it must be the one installed next to nbgrader."""
    import sys

    bindir = os.path.dirname(sys.executable)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
