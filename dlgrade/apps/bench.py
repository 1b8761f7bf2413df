"""`dlgrade bench`: the grading function, `dlgrade autograde` end to end, scaling and
mutation throughput, written to bench/ (`dlgrade.authoring.bench`)."""

from __future__ import annotations

from dlgrade.apps.base import DlGradeApp, base_aliases, base_flags
from dlgrade.authoring.bench import Bench
from dlgrade.authoring.mutate import MutationRun
from dlgrade.grading.autograder import Autograder


class BenchApp(DlGradeApp):
    """Measure what grading costs a TA, per assignment, in a scratch copy of the course."""

    name = "dlgrade-bench"
    aliases = {**base_aliases, "reps": "Bench.reps", "mutants": "Bench.mutants"}
    flags = {
        **base_flags,
        "quick": (
            {"Bench": {"quick": True, "output_directory": "build/bench-quick"}},
            "A smoke run (one assignment, tiny batches), written to build/bench-quick/.",
        ),
    }

    def _classes_default(self):
        return [*super()._classes_default(), Autograder, Bench, MutationRun]

    def start(self) -> None:
        assignments = self.assignment_list()
        if not assignments:
            self.fail("No assignments: name one with --assignment=NAME or add source/<name>/")
        print(Bench(parent=self).run(self.paths, assignments).read_text())
