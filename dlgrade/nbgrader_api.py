"""Every way nbgrader offers to grade goes through the platform's sandboxes.

nbgrader's own `Autograde` converter executes student notebooks in a kernel of whoever runs
it, beside source/, graders/ and the gradebook. This course replaces it twice over:

* `SandboxedNbGraderAPI.autograde` (what the hub's formgrader calls, see
  `dlgrade.hub.formgrader`) grades with the hidden graders in sandboxes, exactly as
  `python -m dlgrade autograde` does, and stores the scores in nbgrader's gradebook;
* `InKernelGradingRefused`, set as `c.Autograde.exporter_class` in nbgrader_config.py, stops
  nbgrader's converter (`nbgrader autograde`, `NbGraderAPI.autograde`, nbgrader's own
  formgrader) before it touches any submission, with a pointer to the platform's command.
"""

from __future__ import annotations

import traceback
from typing import Any

from nbconvert.exporters import NotebookExporter
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.apps import NbGraderAPI
from nbgrader.converters.base import NbGraderException

from dlgrade.grading.autograder import Autograder
from dlgrade.grading.progress import score_text
from dlgrade.grading.results import Result
from dlgrade.paths import CoursePaths
from dlgrade.report.summary import format_summary

REFUSAL = (
    "nbgrader's autograde would run the students' code unsandboxed in a kernel, so this "
    "course turns it off. Grade in the platform's sandboxes instead: "
    "`python -m dlgrade autograde --assignment=<assignment>` in the course root (or the "
    "formgrader's autograde button on the course hub)."
)


class InKernelGradingRefused(NotebookExporter):
    """The exporter of nbgrader's `Autograde` converter in this course: the converter builds
    it first thing in `start()`, before it copies, sanitizes, executes or records anything,
    so failing here refuses in-kernel grading with nothing done."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.log.error(REFUSAL)
        raise NbGraderException(REFUSAL)


class SandboxedNbGraderAPI(NbGraderAPI):
    """nbgrader's API, with `autograde` done by the platform's sandboxed autograder."""

    def autograde(
        self, assignment_id: str, student_id: str, force: bool = True, create: bool = True
    ) -> dict[str, Any]:
        """Grade one submission in a sandbox, as `python -m dlgrade autograde` does, and put its
        scores in the gradebook. Returns what the formgrader shows: `success`, `log` and, on
        failure, `error`.

        `force=False` keeps an existing result; `create=False` refuses a student who is not in
        the gradebook yet (both as in nbgrader's own `autograde`).
        """
        paths = CoursePaths(self.coursedir, parent=self)
        if assignment_id not in paths.assignments():
            return failure(f"there is no assignment {assignment_id!r} in the course's source/")
        if student_id not in paths.students(assignment_id):
            return failure(f"{student_id!r} has no collected submission of {assignment_id!r}")
        if not create and not in_gradebook(paths, student_id):
            return failure(f"no student {student_id!r} in the gradebook")
        if not force and paths.results(student_id, assignment_id).exists():
            return {"success": True, "log": f"{student_id} already graded (not forced)."}
        self.log.info("Grading %s of %s in a sandbox", assignment_id, student_id)
        try:
            grader = Autograder(parent=self)
            grader.executor = "local"  # one submission, on the course server, now
            results = grader.grade_assignment(paths, assignment_id, [student_id])
        except Exception:  # noqa: BLE001 - reported to the formgrader, which shows it
            self.log.exception("grading %s of %s failed", assignment_id, student_id)
            return failure("grading failed", traceback.format_exc())
        return {"success": bool(results), "log": grading_log(results)}


def failure(message: str, error: str | None = None) -> dict[str, Any]:
    return {"success": False, "log": message, "error": error or message}


def in_gradebook(paths: CoursePaths, student_id: str) -> bool:
    with Gradebook(paths.coursedir.db_url, paths.coursedir.course_id) as gb:
        try:
            gb.find_student(student_id)
        except MissingEntry:
            return False
    return True


def grading_log(results: list[Result]) -> str:
    """What the formgrader's dialog shows: each submission's status, score and grader, then
    the summary `python -m dlgrade autograde` prints."""
    lines = []
    for r in results:
        detail = f" ({r.status_detail})" if r.status_detail else ""
        lines.append(f"{r.student}: {r.status}, {score_text(r)}{detail}")
        lines.append(f"  graded by {r.grader.backend if r.grader else 'no grader'}")
    return "\n".join([*lines, "", format_summary(results)])
