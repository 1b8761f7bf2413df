"""Per-student feedback HTML from results.json and the executed notebook.

Only fields meant for students are rendered: test names, points, statuses and the
messages the plugin already made safe (hidden tests carry the grader author's message
only). Nothing is read from graders/ or source/. Every string is escaped; the notebook
is inserted only as sanitized HTML (`dlgrade.sanitize`), under a Content-Security-Policy
that lets no script run and nothing load.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

import jinja2
import nbformat
from markupsafe import Markup

from dlgrade import sanitize
from dlgrade.grading.results import Result, Status, TaskScore, TestStatus, Visibility, read_result
from dlgrade.paths import CoursePaths, atomic_write

log = logging.getLogger(__name__)

_env = jinja2.Environment(
    loader=jinja2.PackageLoader("dlgrade", "templates"),
    autoescape=jinja2.select_autoescape(["html", "j2"]),
)
COPIED_FILES = ("timestamp.txt", "submission_secret.txt")


@dataclass(frozen=True)
class StudentTest:
    """What a student sees of one test (no id, no timing)."""

    name: str
    task: str
    score: float
    max_score: float
    status: TestStatus | str
    output: str
    visibility: Visibility | str
    extra_credit: bool


@dataclass(frozen=True)
class StudentView:
    """A result reduced to what a student may see (no grader, no notebook internals)."""

    assignment: str
    student: str
    status: Status | str
    status_detail: str
    score: float
    max_score: float
    extra_credit_score: float
    submitted_at: str | None
    late: bool
    tasks: Mapping[str, TaskScore]
    tests: tuple[StudentTest, ...]


def student_view(result: Result) -> StudentView:
    """The result reduced to what a student may see."""
    return StudentView(
        assignment=result.assignment,
        student=result.student,
        status=result.status,
        status_detail=result.status_detail,
        score=result.score,
        max_score=result.max_score,
        extra_credit_score=result.extra_credit_score,
        submitted_at=result.submitted_at,
        late=result.late,
        tasks=dict(result.tasks),
        tests=tuple(
            StudentTest(
                t.name,
                t.task,
                t.score,
                t.max_score,
                t.status,
                t.output,
                t.visibility,
                t.extra_credit,
            )
            for t in result.tests
        ),  # fmt: skip
    )


def notebook_html(path: Path) -> Markup:
    """The executed notebook as HTML: rendered from sanitized content, and the result
    sanitized again (notebooks graded before sanitizing existed are covered too)."""
    if not path.exists():
        return Markup("")
    from nbconvert import HTMLExporter

    nb = sanitize.notebook(nbformat.read(path, as_version=4))
    body, _ = HTMLExporter(template_name="basic").from_notebook_node(nb)
    return Markup(sanitize.clean_html(body, any_class=True))


def render(result: Result, executed_notebook: Path | None = None) -> str:
    view = student_view(result)
    groups = [(task, list(tests)) for task, tests in groupby(view.tests, key=lambda t: t.task)]
    html, failed = Markup(""), False
    if executed_notebook:
        try:
            html = notebook_html(executed_notebook)
        except Exception:  # noqa: BLE001 - the scores still reach the student
            log.exception("could not render %s", executed_notebook)
            failed = True
    return _env.get_template("feedback.html.j2").render(
        r=view,
        groups=groups,
        notebook_html=html,
        notebook_failed=failed,
        csp=sanitize.PAGE_CSP,
        Status=Status,
        Visibility=Visibility,
    )


def write_feedback(paths: CoursePaths, assignment: str, student: str) -> Path | None:
    """feedback/<student>/<assignment>/<notebook>.html (+ the files nbgrader's
    release_feedback needs). None if the submission has no results yet; a ResultError if
    its results.json is off the schema."""
    results_path = paths.results(student, assignment)
    if not results_path.exists():
        return None
    result = read_result(results_path)
    graded = paths.autograded(student, assignment)
    name = paths.notebook(assignment)
    out_dir = paths.feedback(student, assignment)
    out = out_dir / f"{name}.html"
    atomic_write(out, render(result, graded / f"{name}.ipynb"))
    for fname in COPIED_FILES:
        if (graded / fname).is_file():
            shutil.copyfile(graded / fname, out_dir / fname)
    return out
