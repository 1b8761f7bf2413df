"""`python -m dlgrade.grading.runner`: grade one notebook and print the per-test table."""

from __future__ import annotations

import json
from pathlib import Path

from traitlets import Bool, Unicode

from dlgrade.apps.base import DlGradeApp, base_aliases, base_flags
from dlgrade.grading import runner
from dlgrade.grading.autograder import Autograder


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
        grader = Autograder(parent=self)
        inputs = grader.inputs(self.paths, assignment, Path(self.notebook).resolve())
        backend = None if self.bare else grader.make_backend()
        job = None if self.bare else grader.job(self.paths, 0, f"{assignment}-one")
        try:
            result, _ = runner.grade(inputs, backend, job)
        finally:
            if backend is not None:
                backend.close()
        for t in result["tests"]:
            print(
                f"{t['status']:8} {t['score']:5.1f}/{t['max_score']:<4.1f} {t['id']}"
                + (f"\n           {t['output']}" if t["output"] else "")
            )
        print(
            f"status={result['status']} score={result['score']}/{result['max_score']} "
            f"extra={result['extra_credit_score']} time={result['execution_time']}s "
            f"{result['status_detail']}"
        )
        if self.json_out:
            Path(self.json_out).write_text(json.dumps(result, indent=1))


def main() -> None:
    GradeOneApp.launch_instance()
