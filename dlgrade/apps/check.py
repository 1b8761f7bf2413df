"""`dlgrade check`: the notebook's test-cell points equal the graders' points per task, and
every surviving mutant of the last mutation run is listed as equivalent with a reason."""

from __future__ import annotations

from dlgrade.apps.base import DlGradeApp
from dlgrade.authoring.mutate import stale_mutation_run, unexplained_survivors
from dlgrade.checks import points_mismatches


class CheckApp(DlGradeApp):
    """Check points against the graders and survivors against equivalent_mutants.txt."""

    name = "dlgrade-check"

    def start(self) -> None:
        problems = []
        for assignment in self.assignment_list():
            problems += [f"{assignment}: {p}" for p in points_mismatches(self.paths, assignment)]
            graders = self.paths.graders(assignment)
            problems += [f"{assignment}: {p}" for p in unexplained_survivors(graders)]
            problems += [f"{assignment}: {p}" for p in stale_mutation_run(self.paths, assignment)]
        for p in problems:
            self.log.error(p)
        if problems:
            self.exit(1)
        self.log.info("points match the graders; every surviving mutant is explained")
