"""`dlgrade autograde`: grade every submission of an assignment in sandboxes."""

from __future__ import annotations

from dlgrade.apps.base import DlGradeApp, base_aliases, base_flags
from dlgrade.cluster.service import ServiceExecutor
from dlgrade.cluster.slurm import SlurmExecutor
from dlgrade.grading import batch
from dlgrade.grading.autograder import Autograder
from dlgrade.grading.progress import BatchProgress
from dlgrade.grading.service import GradingService
from dlgrade.report.summary import format_summary


class AutogradeApp(DlGradeApp):
    """Grade submitted/<student>/<assignment>/ with the hidden graders, in parallel."""

    name = "dlgrade-autograde"
    aliases = {
        **base_aliases,
        "workers": "Autograder.workers",
        "backend": "Autograder.sandbox_backend",
        "executor": "Autograder.executor",
    }
    flags = {
        **base_flags,
        "force": (
            {"Autograder": {"force": True}},
            "Re-grade submissions that already have results.",
        ),
    }

    def _classes_default(self):
        return [
            *super()._classes_default(),
            Autograder,
            SlurmExecutor,
            ServiceExecutor,
            GradingService,
        ]

    def start(self) -> None:
        grader = self.autograder()
        all_results = []
        for assignment in self.assignment_list():
            grader.grade_assignment(
                self.paths, assignment, progress=lambda n, a=assignment: BatchProgress(n, a)
            )
            all_results += batch.load_results(self.paths, assignment)
        print(format_summary(all_results))
