"""The overview across the courses of one repository: each course's class and totals, and
each student's standing in every course they take (a student in both shows in both)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from os.path import relpath
from pathlib import Path
from urllib.parse import quote

from dlgrade.paths import CoursePaths, atomic_write
from dlgrade.report.build import load_course
from dlgrade.report.course import CourseOverview, course_overview
from dlgrade.report.render import environment

OVERVIEW_FILE = "courses.html"


@dataclass(frozen=True)
class CourseRow:
    course_id: str
    assignments: int
    students: int
    max_total: float
    mean_percent: float | None
    median_percent: float | None
    report: str  # the course overview's path, relative to the combined overview


@dataclass(frozen=True)
class CoursesOverview:
    courses: list[CourseRow]
    students: dict[str, dict[str, float | None]]  # student -> course_id -> total % (None: no max)


def course_row(course_id: str, overview: CourseOverview, report: str) -> CourseRow:
    percents = [r.percent for r in overview.students if r.percent is not None]
    return CourseRow(
        course_id=course_id,
        assignments=len(overview.assignments),
        students=len(overview.students),
        max_total=sum(a.max_score for a in overview.assignments),
        mean_percent=statistics.fmean(percents) if percents else None,
        median_percent=statistics.median(percents) if percents else None,
        report=report,
    )


def courses_overview(courses: Sequence[CoursePaths], dest: Path) -> CoursesOverview:
    """Each course's overview, from the same results and gradebooks its own reports read."""
    rows, students = [], {}
    for paths in courses:
        course_id = paths.coursedir.course_id
        loaded = load_course(paths, paths.assignments())
        overview = course_overview(loaded.submissions, loaded.order, loaded.gradebook)
        report = relpath(paths.reports("course.html"), dest)
        rows.append(course_row(course_id, overview, report))
        for r in overview.students:
            students.setdefault(r.student, {})[course_id] = r.percent
    return CoursesOverview(rows, dict(sorted(students.items())))


def courses_html(overview: CoursesOverview) -> str:
    return (
        environment()
        .get_template("courses.html.j2")
        .render(overview=overview, links={c.course_id: quote(c.report) for c in overview.courses})
    )


def write_overview(courses: Sequence[CoursePaths], dest: Path) -> Path:
    """`dest`/courses.html: the overview across `courses`."""
    path = Path(dest) / OVERVIEW_FILE
    atomic_write(path, courses_html(courses_overview(courses, Path(dest))))
    return path
