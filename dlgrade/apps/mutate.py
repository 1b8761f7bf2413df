"""`dlgrade mutate`: mutation testing of an assignment's graders (authoring tool)."""

from __future__ import annotations

from dlgrade.apps.base import DlGradeApp, base_aliases, base_flags
from dlgrade.authoring.mutate import MutationRun, read_equivalents, run, summary
from dlgrade.grading.autograder import Autograder
from dlgrade.grading.progress import BatchProgress


class MutateApp(DlGradeApp):
    """Grade sampled mutants of the reference solution; write graders/<a>/MUTATION.md."""

    name = "dlgrade-mutate"
    aliases = {
        **base_aliases,
        "workers": "Autograder.workers",
        "max-mutants": "MutationRun.max_mutants",
        "seed": "MutationRun.seed",
    }
    flags = base_flags

    def _classes_default(self):
        return [*super()._classes_default(), Autograder, MutationRun]

    def start(self) -> None:
        settings = MutationRun(parent=self)
        workers = self.autograder().worker_count()
        for assignment in self.assignment_list():
            label = f"mutants of {assignment}"
            report = run(
                self.paths, assignment, settings, workers, lambda n, a=label: BatchProgress(n, a)
            )
            s = summary(report, read_equivalents(self.paths.graders(assignment)))
            print(
                f"{assignment}: {s['killed']}/{s['total']} killed, {s['equivalent']} equivalent, "
                f"{len(s['unexplained'])} unexplained survivors; score {100 * s['score']:.1f} %"
            )
