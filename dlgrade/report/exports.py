"""CSV exports: LMS gradebooks (Canvas, Moodle), per-test results, nbgrader's own CSV."""

from __future__ import annotations

import csv
import io
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from dlgrade.grading.results import Unrecorded
from dlgrade.paths import atomic_write
from dlgrade.report.course import Cell, CourseOverview
from dlgrade.report.load import GradebookInfo
from dlgrade.report.model import GradedSubmission
from dlgrade.report.plots import fmt

log = logging.getLogger(__name__)

CANVAS_IDENTITY = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
CANVAS_POINTS_ROW = "    Points Possible"
MOODLE_IDENTITY = ("First name", "Last name", "Username", "ID number", "Email address")
NON_GRADED_POLICIES = ("blank", "zero", "score")
TEST_COLUMNS = (
    "assignment", "student", "submission_status", "submission_flags", "late",
    "submission_score", "submission_max_score", "test_id", "test_name", "task", "visibility",
    "status", "score", "max_score", "extra_credit", "duration", "output",
)  # fmt: skip
REVIEW_COLUMNS = (
    "assignment", "student", "status", "flags", "exported_score", "score", "max_score",
    "late", "submitted_at", "detail",
)  # fmt: skip
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_WIDE_FORMULA_START = ("\uff1d", "\uff0b", "\uff0d", "\uff20")


def formula_like(text: str) -> bool:
    """Whether a spreadsheet may read `text` as a formula: a formula character first, also
    after leading white space or as its full-width form."""
    return text.startswith(_FORMULA_START) or text.lstrip().startswith(
        _FORMULA_START + _WIDE_FORMULA_START
    )


def safe_cell(value: object) -> str:
    """A CSV cell that spreadsheets will not evaluate as a formula (numbers pass unchanged)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return fmt(float(value))
    if value is None:
        return ""
    text = str(value)
    return "'" + text if formula_like(text) else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return buf.getvalue()


def lms_score(cell: Cell, non_graded: str = "blank") -> float | None:
    """The score an LMS receives for one cell; None leaves the LMS cell empty (unchanged).

    Earned points always go out (graded, timeout, crashed); `non_graded` decides only for
    results with nothing earned: invalid, or submitted but missing/unreadable results."""
    if cell.score is not None:
        return cell.score
    if cell.status == Unrecorded.ABSENT or non_graded == "blank":
        return None
    return 0.0 if non_graded == "zero" else cell.raw_score


def lms_points(
    cell: Cell, assignment: str, student: str, gradebook: GradebookInfo, non_graded: str
) -> float | None:
    """`lms_score` plus the extra credit the gradebook holds for the student's submission
    (the competition's bonus, a TA's), which goes out even without a graded notebook."""
    score = lms_score(cell, non_graded)
    extra = gradebook.extra(assignment, student)
    return (score or 0.0) + extra if extra else score


def canvas_csv(
    overview: CourseOverview,
    gradebook: GradebookInfo,
    *,
    student_column: str = "SIS Login ID",
    section: str = "",
    columns: Mapping[str, str] | None = None,
    non_graded: str = "blank",
) -> str:
    """Canvas's gradebook import: the five identity columns, then one column per assignment,
    and a "Points Possible" row so new columns are created with the right maximum."""
    names = [(columns or {}).get(a.name, a.name) for a in overview.assignments]
    rows: list[list[object]] = [
        [CANVAS_POINTS_ROW, "", "", "", "", *(a.max_score for a in overview.assignments)]
    ]
    for row in overview.students:
        info = gradebook.student(row.student)
        identity = {"Student": info.display_name, "ID": info.lms_user_id, "Section": section}
        identity[student_column] = row.student
        rows.append(
            [identity.get(c, "") for c in CANVAS_IDENTITY]
            + [
                lms_points(row.cells[a.name], a.name, row.student, gradebook, non_graded)
                for a in overview.assignments
            ]
        )
    return csv_text([*CANVAS_IDENTITY, *names], rows)


def moodle_csv(
    overview: CourseOverview,
    gradebook: GradebookInfo,
    *,
    columns: Mapping[str, str] | None = None,
    non_graded: str = "blank",
) -> str:
    """Moodle's CSV grade import: map "Username" (or "Email address"/"ID number") to the
    user field, and each assignment column to a grade item."""
    names = [(columns or {}).get(a.name, a.name) for a in overview.assignments]
    rows = []
    for row in overview.students:
        info = gradebook.student(row.student)
        rows.append(
            [info.first_name, info.last_name, row.student, info.lms_user_id, info.email]
            + [
                lms_points(row.cells[a.name], a.name, row.student, gradebook, non_graded)
                for a in overview.assignments
            ]
        )
    return csv_text([*MOODLE_IDENTITY, *names], rows)


def tests_csv(subs: Iterable[GradedSubmission]) -> str:
    """One row per test result; a submission without test results still gets one row."""
    rows = []
    for s in subs:
        head = [s.assignment, s.student, s.status, " ".join(s.flags), s.late, s.score,
                s.max_score]  # fmt: skip
        if not s.tests:
            rows.append(head + ["", "", "", "", "", "", "", "", "", s.status_detail])
        for t in s.tests:
            rows.append(
                head
                + [t.id, t.name, t.task, t.visibility, t.status, t.score, t.max_score,
                   t.extra_credit, t.duration, t.output]
            )  # fmt: skip
    return csv_text(TEST_COLUMNS, rows)


def review_csv(subs: Iterable[GradedSubmission], non_graded: str = "blank") -> str:
    """One row per submission a TA should look at (not fully graded, or graded with a
    flag), with the score the LMS exports received for it."""
    rows = []
    for s in subs:
        if not s.needs_review:
            continue
        cell = Cell(s.status, s.score if s.scored else None, s.late, s.score, s.flags)
        rows.append(
            [s.assignment, s.student, s.status, " ".join(s.flags), lms_score(cell, non_graded),
             s.score, s.max_score, s.late, s.submitted_at, s.status_detail]
        )  # fmt: skip
    return csv_text(REVIEW_COLUMNS, rows)


def nbgrader_csv(db_url: str, course_id: str, dest: Path, assignments: Sequence[str]) -> bool:
    """nbgrader's own CSV (`nbgrader export`'s CsvExportPlugin) from the gradebook, written
    atomically. False when there is no gradebook to export from."""
    if db_url.startswith("sqlite:///") and not Path(db_url[len("sqlite:///") :]).is_file():
        return False
    from nbgrader.api import Gradebook
    from nbgrader.plugins import CsvExportPlugin

    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    plugin = CsvExportPlugin(to=str(tmp), assignment=list(assignments))
    try:
        with Gradebook(db_url, course_id) as gb:
            plugin.export(gb)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return True


def write(path: Path, content: str) -> Path:
    atomic_write(path, content)
    return path
