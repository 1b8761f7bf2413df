"""The courses of one repository, side by side.

The root ``nbgrader_config.py`` holds what every course shares (sandbox, limits, release
rules) and loads the default course's own file; ``courses/<name>/nbgrader_config.py``
holds what is one course's own: its nbgrader course id, its folders (the introductory
course's sit one level below the top-level ones, ``source/intro/<assignment>``), its
gradebook. Every course file sets the same traits, so loading one after the root file
switches to that course."""

from __future__ import annotations

import re
from pathlib import Path

from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from dlgrade.paths import CoursePaths

DEFAULT_COURSE = "advanced"
COURSES_FOLDER = "courses"
CONFIG_FILE = "nbgrader_config.py"
OVERVIEW_FOLDER = "reports"
"""Where the overview across the courses goes, below the repository root."""
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


def course_names(repo: Path) -> list[str]:
    """The courses of the repository at `repo` (folders of courses/ with a config file)."""
    base = Path(repo) / COURSES_FOLDER
    if not base.is_dir():
        return []
    return sorted(
        p.parent.name for p in base.glob(f"*/{CONFIG_FILE}") if _NAME.match(p.parent.name)
    )


def course_config_file(repo: Path, course: str) -> Path:
    """`courses/<course>/nbgrader_config.py` of `repo`; ValueError naming the courses there
    when `course` is not one of them."""
    known = course_names(repo)
    if course not in known:
        raise ValueError(
            f"unknown course {course!r}: this repository has {', '.join(known) or 'none'} "
            f"(folders of {Path(repo) / COURSES_FOLDER} holding {CONFIG_FILE})"
        )
    return Path(repo) / COURSES_FOLDER / course / CONFIG_FILE


def load_config(repo: Path, course: str | None = None) -> Config:
    """The configuration of `course` (None: the root file's own course) as nbgrader's apps
    see it: the root nbgrader_config.py, then the course's file."""
    config = PyFileConfigLoader(CONFIG_FILE, path=str(repo)).load_config()
    if course:
        path = course_config_file(repo, course)
        config.merge(PyFileConfigLoader(path.name, path=str(path.parent)).load_config())
    return config


def every_course(repo: Path, overrides: Config | None = None) -> list[tuple[str, CoursePaths]]:
    """(name, paths) of every course of `repo`, each under its own config plus `overrides`
    (a command line's settings); a repository without courses/ is one unnamed course."""
    found = []
    for name in course_names(repo) or [""]:
        config = Config(load_config(repo, name or None))
        config.merge(overrides or Config())
        found.append((name, CoursePaths(CourseDirectory(config=config), config=config)))
    return found
