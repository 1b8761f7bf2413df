"""Per-student feedback HTML from results.json and the executed notebook.

Only fields meant for students are rendered: test names, points, statuses and the
messages the plugin already made safe (hidden tests carry the grader author's message
only). Nothing is read from graders/ or source/. Every string is escaped; the notebook
is inserted only as sanitized HTML (`dlgrade.sanitize`), under a Content-Security-Policy
that lets no script run and nothing load.
"""

from __future__ import annotations

import json
import logging
import shutil
from itertools import groupby
from pathlib import Path

import jinja2
import nbformat
from markupsafe import Markup

from dlgrade import sanitize
from dlgrade.paths import CoursePaths, atomic_write

log = logging.getLogger(__name__)

_env = jinja2.Environment(
    loader=jinja2.PackageLoader("dlgrade", "templates"),
    autoescape=jinja2.select_autoescape(["html", "j2"]),
)
FEEDBACK_FIELDS = (
    "name",
    "task",
    "score",
    "max_score",
    "status",
    "output",
    "visibility",
    "extra_credit",
)
COPIED_FILES = ("timestamp.txt", "submission_secret.txt")


def student_view(result: dict) -> dict:
    """results.json reduced to what a student may see."""
    view = {
        k: result.get(k)
        for k in (
            "assignment",
            "student",
            "status",
            "status_detail",
            "score",
            "max_score",
            "extra_credit_score",
            "submitted_at",
            "late",
            "tasks",
        )
    }
    view["tasks"] = view.get("tasks") or {}
    view["tests"] = [{k: t.get(k) for k in FEEDBACK_FIELDS} for t in result.get("tests", [])]
    return view


def notebook_html(path: Path) -> Markup:
    """The executed notebook as HTML: rendered from sanitized content, and the result
    sanitized again (notebooks graded before sanitizing existed are covered too)."""
    if not path.exists():
        return Markup("")
    from nbconvert import HTMLExporter

    nb = sanitize.notebook(nbformat.read(path, as_version=4))
    body, _ = HTMLExporter(template_name="basic").from_notebook_node(nb)
    return Markup(sanitize.clean_html(body, any_class=True))


def render(result: dict, executed_notebook: Path | None = None) -> str:
    view = student_view(result)
    groups = [
        (task, list(tests)) for task, tests in groupby(view["tests"], key=lambda t: t["task"])
    ]
    html, failed = Markup(""), False
    if executed_notebook:
        try:
            html = notebook_html(executed_notebook)
        except Exception:  # noqa: BLE001 - the scores still reach the student
            log.exception("could not render %s", executed_notebook)
            failed = True
    return _env.get_template("feedback.html.j2").render(
        r=view, groups=groups, notebook_html=html, notebook_failed=failed, csp=sanitize.PAGE_CSP
    )


def write_feedback(paths: CoursePaths, assignment: str, student: str) -> Path | None:
    """feedback/<student>/<assignment>/<notebook>.html (+ the files nbgrader's
    release_feedback needs). None if the submission has no results yet."""
    results_path = paths.results(student, assignment)
    if not results_path.exists():
        return None
    result = json.loads(results_path.read_text())
    graded = paths.autograded(student, assignment)
    name = paths.notebook(assignment)
    out_dir = paths.feedback(student, assignment)
    out = out_dir / f"{name}.html"
    atomic_write(out, render(result, graded / f"{name}.ipynb"))
    for fname in COPIED_FILES:
        if (graded / fname).is_file():
            shutil.copyfile(graded / fname, out_dir / fname)
    return out
