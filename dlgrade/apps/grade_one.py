"""`python -m dlgrade.grading.runner`: grade one notebook and print the per-test table."""

from __future__ import annotations

from pathlib import Path

from traitlets import Bool, Unicode

from dlgrade.apps.base import DlGradeApp, base_aliases, base_flags
from dlgrade.grading.autograder import Autograder
from dlgrade.grading.results import write_result


class GradeOneApp(DlGradeApp):
    """Grade a single notebook (for grader authors; no gradebook, no results folder)."""

    name = "dlgrade-grade-one"
    notebook = Unicode("", help="The notebook to grade.").tag(config=True)
    bare = Bool(
        False, help="Run the notebook in this process, without a sandbox (trusted code only)."
    ).tag(config=True)
    json_out = Unicode("", help="Also write the results as JSON to this file.").tag(config=True)

    aliases = {
        **base_aliases,
        "notebook": "GradeOneApp.notebook",
        "json": "GradeOneApp.json_out",
        "backend": "Autograder.sandbox_backend",
    }
    flags = {**base_flags, "bare": ({"GradeOneApp": {"bare": True}}, "Run without a sandbox.")}

    def _classes_default(self):
        return [*super()._classes_default(), Autograder]

    def start(self) -> None:
        assignment = self.require_assignment()
        grader = self.autograder()
        notebook = Path(self.notebook).resolve()
        try:
            result, _ = grader.grade_notebook(
                self.paths, assignment, notebook, sandboxed=not self.bare, label=f"{assignment}-one"
            )
        finally:
            grader.close()
        for t in result.tests:
            print(
                f"{t.status:8} {t.score:5.1f}/{t.max_score:<4.1f} {t.id}"
                + (f"\n           {t.output}" if t.output else "")
            )
        print(
            f"status={result.status} score={result.score}/{result.max_score} "
            f"extra={result.extra_credit_score} time={result.execution_time}s "
            f"{result.status_detail}"
        )
        if self.json_out:
            write_result(Path(self.json_out), result)


def main() -> None:
    GradeOneApp.launch_instance()
