"""Reading the course: results.json files and, when it exists, nbgrader's gradebook."""

from __future__ import annotations

import glob
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote

from dlgrade.grading.results import Unrecorded
from dlgrade.paths import CoursePaths
from dlgrade.report.model import GradedSubmission, parse_results

log = logging.getLogger(__name__)
_SENTINEL = "@@DLGRADE_STUDENT@@"


def graded_students(paths: CoursePaths, assignment: str) -> list[str]:
    """Students with a results.json for `assignment` under autograded/."""
    template = str(paths.results(_SENTINEL, assignment))
    parts = Path(template).parts
    if _SENTINEL not in parts:
        return []
    position = parts.index(_SENTINEL)
    pattern = glob.escape(template).replace(_SENTINEL, "*")
    found = {Path(p).parts[position] for p in glob.glob(pattern)}
    return sorted(s for s in found if not s.startswith("."))


def read_submission(paths: CoursePaths, student: str, assignment: str) -> GradedSubmission:
    """The submission of `student` for `assignment`; `missing`/`unreadable` when it cannot be read."""
    path = paths.results(student, assignment)
    if not path.is_file():
        return GradedSubmission(
            student, assignment, Unrecorded.MISSING, "no results.json (not graded yet?)"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as err:
        return GradedSubmission(
            student, assignment, Unrecorded.UNREADABLE, f"cannot read results.json: {err}"
        )
    return parse_results(data, student, assignment)


def load_assignment(paths: CoursePaths, assignment: str) -> list[GradedSubmission]:
    """Every submission of `assignment`: graded ones and those submitted but without results."""
    students = set(paths.students(assignment)) | set(graded_students(paths, assignment))
    return [read_submission(paths, s, assignment) for s in sorted(students)]


@dataclass(frozen=True)
class StudentInfo:
    id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    lms_user_id: str = ""

    @property
    def display_name(self) -> str:
        if self.last_name and self.first_name:
            return f"{self.last_name}, {self.first_name}"
        return self.last_name or self.first_name or self.id


@dataclass(frozen=True)
class GradebookInfo:
    """What the reports take from nbgrader's gradebook: the roster, the due dates and the
    extra credit given there (the competition's bonus, a TA's), which the LMS exports add."""

    students: dict[str, StudentInfo] = field(default_factory=dict)
    duedates: dict[str, datetime] = field(default_factory=dict)
    extra_credit: dict[str, dict[str, float]] = field(default_factory=dict)

    def student(self, student_id: str) -> StudentInfo:
        return self.students.get(student_id) or StudentInfo(student_id)

    def extra(self, assignment: str, student_id: str) -> float:
        return self.extra_credit.get(assignment, {}).get(student_id, 0.0)


def _sqlite_file(db_url: str) -> Path | None:
    prefix = "sqlite:///"
    return Path(unquote(db_url[len(prefix) :])) if db_url.startswith(prefix) else None


def load_gradebook(paths: CoursePaths) -> GradebookInfo:
    """Roster and due dates from nbgrader's gradebook; empty when there is none (never creates one)."""
    coursedir = paths.coursedir
    db_url = coursedir.db_url
    db_file = _sqlite_file(db_url)
    if db_file is not None and not db_file.is_file():
        return GradebookInfo()
    from nbgrader.api import Gradebook

    from dlgrade.gradebook import extra_credit

    try:
        with Gradebook(db_url, coursedir.course_id) as gb:
            students = {
                s.id: StudentInfo(
                    s.id, s.first_name or "", s.last_name or "", s.email or "", s.lms_user_id or ""
                )
                for s in gb.students
            }
            duedates = {a.name: a.duedate for a in gb.assignments if a.duedate is not None}
            extra = extra_credit(gb)
    except Exception as err:  # a broken gradebook must not stop a report
        log.warning("cannot read the gradebook %s: %s", db_url, err)
        return GradebookInfo()
    return GradebookInfo(students, duedates, extra)


def order_assignments(assignments: list[str], gradebook: GradebookInfo) -> list[str]:
    """Term order: by the gradebook's due date where set, then by name."""
    dated = sorted(
        (a for a in assignments if a in gradebook.duedates),
        key=lambda a: (gradebook.duedates[a], a),
    )
    return dated + sorted(a for a in assignments if a not in gradebook.duedates)
