"""Building every report and export of a course: what `dlgrade report`, `dlgrade export`
and `make demo` call."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from traitlets import Dict, Enum, Integer, List, Unicode
from traitlets.config import LoggingConfigurable

from dlgrade.paths import CoursePaths
from dlgrade.report import exports, render
from dlgrade.report.course import course_overview
from dlgrade.report.load import GradebookInfo, load_assignment, load_gradebook, order_assignments
from dlgrade.report.manual import with_manual_grades
from dlgrade.report.model import GradedSubmission

EXPORT_FORMATS = ("canvas", "moodle", "tests", "review", "nbgrader")


def check_name(assignment: str) -> str:
    if not assignment or assignment in (".", "..") or "/" in assignment or "\\" in assignment:
        raise ValueError(f"not an assignment name: {assignment!r}")
    return assignment


class ClassReport(LoggingConfigurable):
    """The HTML class reports (one per assignment) and the course overview."""

    histogram_bins = Integer(
        10, min=1, help="Number of equal-width bins of the score distributions."
    ).tag(config=True)
    failure_groups = Integer(
        25,
        min=1,
        help="Failure-message groups listed per assignment (all are in the per-test CSV).",
    ).tag(config=True)
    message_chars = Integer(
        600, min=40, help="Characters of a failure message or status detail shown in the report."
    ).tag(config=True)

    def assignment(
        self,
        paths: CoursePaths,
        name: str,
        subs: Sequence[GradedSubmission],
        gradebook: GradebookInfo,
        course_link: str | None = None,
    ) -> Path:
        html = render.assignment_html(
            name, subs, bins=self.histogram_bins, group_limit=self.failure_groups,
            message_chars=self.message_chars, duedate=gradebook.duedates.get(name),
            course_link=course_link,
        )  # fmt: skip
        return exports.write(paths.reports(check_name(name), "report.html"), html)

    def course(
        self,
        paths: CoursePaths,
        by_assignment: dict[str, list[GradedSubmission]],
        order: list[str],
        gradebook: GradebookInfo,
    ) -> Path:
        overview = course_overview(by_assignment, order, gradebook)
        links = {a: f"{a}/report.html" for a in order if paths.reports(a, "report.html").is_file()}
        source = "by due date, then name" if gradebook.duedates else "by name"
        html = render.course_html(
            overview, course_id=paths.coursedir.course_id, order_source=source, links=links,
            bins=self.histogram_bins,
        )  # fmt: skip
        return exports.write(paths.reports("course.html"), html)


class GradeExport(LoggingConfigurable):
    """CSV exports under reports/exports/: LMS gradebooks, per-test results, nbgrader's CSV."""

    formats = List(
        Enum(EXPORT_FORMATS),
        default_value=list(EXPORT_FORMATS),
        help="Which exports to write: canvas (Canvas gradebook import), moodle (Moodle CSV "
        "grade import), tests (one row per test result), review (the submissions a TA should "
        "look at: not fully graded or flagged), nbgrader (nbgrader's own CSV from the "
        "gradebook).",
    ).tag(config=True)
    canvas_student_column = Enum(
        ["SIS Login ID", "SIS User ID", "ID"],
        default_value="SIS Login ID",
        help="Canvas column that receives the nbgrader student id (the JupyterHub user name). "
        "The ID column otherwise holds the gradebook's lms_user_id.",
    ).tag(config=True)
    canvas_section = Unicode("", help="Value of Canvas's Section column.").tag(config=True)
    column_names = Dict(
        value_trait=Unicode(),
        help="LMS column header per assignment, e.g. {'attention': 'Attention (4711)'} to hit "
        "an existing Canvas assignment by id; default: the assignment name.",
    ).tag(config=True)
    non_graded = Enum(
        exports.NON_GRADED_POLICIES,
        default_value="blank",
        help="What LMS exports give a submission with nothing earned: invalid (rejected or "
        "unreadable notebook), or submitted without a readable results.json: blank (leave "
        "the LMS grade unchanged until someone looks), zero, or score (the score in its "
        "results.json, 0 for those). Earned points of graded, timeout and crashed "
        "submissions are always exported; the review export lists them for a TA.",
    ).tag(config=True)

    def write(
        self,
        paths: CoursePaths,
        by_assignment: dict[str, list[GradedSubmission]],
        order: list[str],
        gradebook: GradebookInfo,
        scope: str,
    ) -> list[Path]:
        overview = course_overview(by_assignment, order, gradebook)
        out = paths.reports("exports")
        written = []
        names = self.column_names
        if "canvas" in self.formats:
            text = exports.canvas_csv(
                overview, gradebook, student_column=self.canvas_student_column,
                section=self.canvas_section, columns=names, non_graded=self.non_graded,
            )  # fmt: skip
            written.append(exports.write(out / f"canvas-{scope}.csv", text))
        if "moodle" in self.formats:
            text = exports.moodle_csv(
                overview, gradebook, columns=names, non_graded=self.non_graded
            )
            written.append(exports.write(out / f"moodle-{scope}.csv", text))
        if "tests" in self.formats:
            subs = [s for a in order for s in by_assignment.get(a, [])]
            written.append(exports.write(out / f"tests-{scope}.csv", exports.tests_csv(subs)))
        if "review" in self.formats:
            subs = [s for a in order for s in by_assignment.get(a, [])]
            text = exports.review_csv(subs, self.non_graded)
            written.append(exports.write(out / f"review-{scope}.csv", text))
        if "nbgrader" in self.formats:
            dest = out / f"nbgrader-{scope}.csv"
            cd = paths.coursedir
            if exports.nbgrader_csv(cd.db_url, cd.course_id, dest, order):
                written.append(dest)
            else:
                self.log.info("no nbgrader gradebook at %s: nbgrader CSV skipped", cd.db_url)
        review = [s for a in order for s in by_assignment.get(a, []) if s.needs_review]
        unscored = [f"{s.assignment}/{s.student} ({s.status})" for s in review if not s.scored]
        if unscored:
            self.log.warning(
                "%d submission(s) did not grade; LMS exports give them %s: %s",
                len(unscored), "no grade" if self.non_graded == "blank" else "0",
                ", ".join(unscored),
            )  # fmt: skip
        if len(review) > len(unscored):
            self.log.warning(
                "%d submission(s) kept their earned points but need a look (timeout, crash "
                "or flags; see review-%s.csv)", len(review) - len(unscored), scope,
            )  # fmt: skip
        return written


@dataclass(frozen=True)
class Course:
    """What the reports read: the gradebook, the assignments in term order, their submissions."""

    gradebook: GradebookInfo
    order: list[str]
    submissions: dict[str, list[GradedSubmission]]


def load_course(paths: CoursePaths, assignments: Sequence[str]) -> Course:
    gradebook = load_gradebook(paths)
    order = order_assignments([check_name(a) for a in dict.fromkeys(assignments)], gradebook)
    subs = {a: with_manual_grades(paths, a, load_assignment(paths, a)) for a in order}
    return Course(gradebook, order, subs)


def scope_name(order: Sequence[str], course: bool) -> str:
    return "course" if course or len(order) != 1 else order[0]


def write_exports(paths: CoursePaths, loaded: Course, *, course: bool = True) -> list[Path]:
    """Write the CSV exports of the loaded course; returns the files written."""
    return GradeExport(parent=paths).write(
        paths, loaded.submissions, loaded.order, loaded.gradebook, scope_name(loaded.order, course)
    )


def write_reports(
    paths: CoursePaths, loaded: Course, *, course: bool = True, export: bool = True
) -> list[Path]:
    """Class report per assignment, the course overview (when `course`) and the exports."""
    report = ClassReport(parent=paths)
    link = "../course.html" if course else None
    written = [
        report.assignment(paths, a, loaded.submissions[a], loaded.gradebook, link)
        for a in loaded.order
    ]
    if course:
        written.append(report.course(paths, loaded.submissions, loaded.order, loaded.gradebook))
    if export:
        written += write_exports(paths, loaded, course=course)
    return written


def export_grades(
    paths: CoursePaths, assignments: Sequence[str], *, course: bool = True
) -> list[Path]:
    """Write the CSV exports of `assignments`; returns the files written."""
    return write_exports(paths, load_course(paths, assignments), course=course)


def build_reports(
    paths: CoursePaths, assignments: Sequence[str], *, course: bool = True, export: bool = True
) -> list[Path]:
    """Class report per assignment, the course overview (when `course`) and the exports.

    Returns every file written, the HTML reports first.
    """
    return write_reports(paths, load_course(paths, assignments), course=course, export=export)
