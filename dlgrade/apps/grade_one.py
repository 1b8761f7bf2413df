"""`python -m dlgrade.grading.runner`: grade one notebook and print the per-test table."""

from __future__ import annotations

from pathlib import Path

from traitlets import Bool, Unicode

from dlgrade.apps.base import DlGradeApp, base_aliases, base_flags
from dlgrade.grading.autograder import Autograder
from dlgrade.grading.files import SubmittedFiles, declared_patterns
from dlgrade.grading.intake import Intake, Rejected
from dlgrade.grading.results import write_result


class GradeOneApp(DlGradeApp):
    """Grade a single notebook (for grader authors; no gradebook, no results folder)."""

    name = "dlgrade-grade-one"
    notebook = Unicode("", help="The notebook to grade.").tag(config=True)
    bare = Bool(
        False, help="Run the notebook in this process, without a sandbox (trusted code only)."
    ).tag(config=True)
    json_out = Unicode("", help="Also write the results as JSON to this file.").tag(config=True)
    files_dir = Unicode(
        "",
        help="Folder holding the submission's other files (those graders/<a>/SUBMITTED_FILES "
        "names), read as intake reads a submission folder.",
    ).tag(config=True)

    aliases = {
        **base_aliases,
        "notebook": "GradeOneApp.notebook",
        "json": "GradeOneApp.json_out",
        "files": "GradeOneApp.files_dir",
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
                self.paths,
                assignment,
                notebook,
                sandboxed=not self.bare,
                label=f"{assignment}-one",
                files=self.submitted_files(assignment),
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

    def submitted_files(self, assignment: str) -> SubmittedFiles:
        if not self.files_dir:
            return SubmittedFiles()
        folder = Path(self.files_dir).resolve()
        patterns = declared_patterns(self.paths.graders(assignment))
        try:
            got = Intake(parent=self).take(
                folder.parent.parent, folder.parent.name, folder.name, (), patterns
            )
        except Rejected as exc:
            self.fail(f"{folder}: {exc.reason}")
        return SubmittedFiles(got.files, got.left_out)


def main() -> None:
    GradeOneApp.launch_instance()
