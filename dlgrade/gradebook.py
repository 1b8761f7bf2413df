"""Scores into nbgrader's gradebook, so formgrader, manual grading and `nbgrader export`
keep working. One writer (the batch's parent process) keeps SQLite happy."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
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


def bonus_cell(paths: CoursePaths, gb: Gradebook, assignment: str) -> tuple[str, str]:
    """(notebook, grade cell) that carries an assignment's extra credit: the first
    autograded cell of the source notebook, else the first grade cell by name."""
    notebooks = sorted(gb.find_assignment(assignment).notebooks, key=lambda n: n.name)
    for nb in notebooks:
        names = {c.name for c in nb.grade_cells}
        source = paths.source(assignment) / f"{nb.name}.ipynb"
        ordered = [n for n in (notebook_points(source) if source.exists() else {}) if n in names]
        if ordered or names:
            return nb.name, (ordered or sorted(names))[0]
    raise LookupError(f"assignment {assignment} has no grade cell to carry extra credit")


def store_extra_credit(paths: CoursePaths, assignment: str, points: Mapping[str, float]) -> int:
    """Set each student's extra credit of `assignment` (the competition's bonus) on the
    assignment's bonus cell (`bonus_cell`): set, not added, so writing twice changes
    nothing; 0 clears it. A student with points but no submission gets an empty one (its
    bonus cell scored 0, so nbgrader counts the extra credit). Returns how many students
    were written; LookupError when the gradebook does not know the assignment."""
    written = 0
    with (
        warnings.catch_warnings(),
        Gradebook(paths.coursedir.db_url, paths.coursedir.course_id) as gb,
    ):
        warnings.simplefilter("ignore")
        try:
            notebook, cell = bonus_cell(paths, gb, assignment)
        except MissingEntry:
            raise LookupError(
                f"the gradebook has no assignment {assignment!r}: release it first"
            ) from None
        for student, value in sorted(points.items()):
            value = float(value)
            try:
                gb.find_submission(assignment, student)
            except MissingEntry:
                if not value:
                    continue
                gb.update_or_create_student(student)
                gb.add_submission(assignment, student)
            grade = gb.find_grade(cell, notebook, assignment, student)
            grade.extra_credit = value or None
            if value and grade.auto_score is None and grade.manual_score is None:
                grade.auto_score = 0.0
            gb.db.commit()
            written += 1
    return written


def extra_credit(gb: Gradebook) -> dict[str, dict[str, float]]:
    """assignment → student → the extra credit of their submission (nonzero ones only)."""
    from nbgrader.api import Assignment, Grade, SubmittedAssignment, SubmittedNotebook
    from sqlalchemy import func

    rows = (
        gb.db.query(Assignment.name, SubmittedAssignment.student_id, func.sum(Grade.extra_credit))
        .join(SubmittedNotebook, Grade.notebook_id == SubmittedNotebook.id)
        .join(SubmittedAssignment, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
        .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id)
        .filter(Grade.extra_credit.isnot(None))
        .group_by(Assignment.name, SubmittedAssignment.student_id)
    )
    found: dict[str, dict[str, float]] = {}
    for assignment, student, total in rows:
        if total:
            found.setdefault(assignment, {})[student] = float(total)
    return found
