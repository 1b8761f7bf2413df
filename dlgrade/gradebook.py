"""Scores into nbgrader's gradebook, so formgrader, manual grading and `nbgrader export`
keep working. One writer (the batch's parent process) keeps SQLite happy."""

from __future__ import annotations

import warnings
from datetime import datetime

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.utils import parse_utc

from dlgrade.checks import notebook_points
from dlgrade.grading.results import Result
from dlgrade.paths import CoursePaths


def duedate(paths: CoursePaths, assignment: str) -> datetime | None:
    """The assignment's due date from the gradebook, if the instructor set one."""
    try:
        with Gradebook(paths.coursedir.db_url, paths.coursedir.course_id) as gb:
            return gb.find_assignment(assignment).duedate
    except MissingEntry:
        return None


def autograded_cells(paths: CoursePaths, assignment: str) -> set[str]:
    """grade_ids of the assignment's autograded test cells (scored by the hidden graders)."""
    source = paths.source(assignment) / f"{paths.notebook(assignment)}.ipynb"
    return set(notebook_points(source)) if source.exists() else set()


def submission_time(paths: CoursePaths, result: Result) -> datetime | None:
    """The submission's time as nbgrader reads it, to the microsecond, from a plain
    timestamp.txt (the formgrader counts a submission as autograded only when the gradebook
    holds exactly that time); else results.json's, to the second."""
    path = paths.submitted(result.student, result.assignment) / "timestamp.txt"
    try:
        if path.is_file() and not path.is_symlink() and path.stat().st_size <= 200:
            return parse_utc(path.read_text(encoding="utf-8").strip())
    except (OSError, UnicodeDecodeError, ValueError, OverflowError):
        pass
    text = result.submitted_at
    return parse_utc(text.removesuffix(" UTC")) if text else None


def store_results(paths: CoursePaths, results: list[Result]) -> int:
    """Write each result's task scores as the auto scores of the matching grade cells.

    The earned points are stored whatever the status (an invalid submission earned 0);
    one a TA should look at (`Result.needs_review`) is marked as needing a manual grade, and
    so is every manually graded answer cell no TA has graded yet.

    Returns how many submissions were stored. Assignments unknown to the gradebook (never
    released on this course root) are skipped.
    """
    stored = 0
    with (
        warnings.catch_warnings(),
        Gradebook(paths.coursedir.db_url, paths.coursedir.course_id) as gb,
    ):
        warnings.simplefilter("ignore")  # nbgrader's own SQLAlchemy autoflush warnings
        for r in results:
            assignment, student = r.assignment, r.student
            try:
                gb.find_assignment(assignment)
            except MissingEntry:
                continue
            gb.update_or_create_student(student)
            sub = gb.update_or_create_submission(
                assignment, student, timestamp=submission_time(paths, r)
            )
            autograded = autograded_cells(paths, assignment)
            look = r.needs_review
            for nb in sub.notebooks:
                for grade in nb.grades:
                    if grade.name in autograded:
                        task = r.tasks.get(grade.name)
                        grade.auto_score = task.score if task else 0.0
                        grade.needs_manual_grade = look
                    elif grade.manual_score is None:  # a written answer: a TA grades it
                        grade.needs_manual_grade = True
            gb.db.commit()
            stored += 1
    return stored
