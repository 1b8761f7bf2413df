"""`dlgrade autograde`: grade every submission of an assignment in sandboxes."""

from __future__ import annotations

from dlgrade.apps.base import DlGradeApp, base_aliases, base_flags
from dlgrade.cluster import get_executor_class
from dlgrade.cluster.slurm import SlurmExecutor
from dlgrade.gradebook import duedate, store_results
from dlgrade.grading import batch
from dlgrade.grading.autograder import Autograder
from dlgrade.grading.progress import BatchProgress
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
        return [*super()._classes_default(), Autograder, SlurmExecutor]

    def start(self) -> None:
        grader = Autograder(parent=self)
        all_results = []
        for assignment in self.assignment_list():
            due = duedate(self.paths, assignment)
            todo, done = batch.pending_jobs(self.paths, assignment, grader.force, due)
            self.log.info(
                "%s: %d to grade, %d already graded (use --force to re-grade)",
                assignment,
                len(todo),
                len(done),
            )
            workers = min(grader.worker_count(), max(len(todo), 1))
            executor = get_executor_class(grader.executor)(parent=self)
            with BatchProgress(len(todo), assignment) as progress:
                results = executor.run(self.config, self.paths, todo, workers, progress)
            if grader.write_gradebook and results:
                store_results(self.paths, results)
            all_results += batch.load_results(self.paths, assignment)
        print(format_summary(all_results))
