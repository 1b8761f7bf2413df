"""`dlgrade check`: the notebook's test-cell points equal the graders' points per task."""

from __future__ import annotations

from dlgrade.apps.base import DlGradeApp
from dlgrade.checks import points_mismatches


class CheckApp(DlGradeApp):
    """Check that every autograded test cell's points match its hidden graders."""

    name = "dlgrade-check"

    def start(self) -> None:
        problems = []
        for assignment in self.assignment_list():
            problems += [f"{assignment}: {p}" for p in points_mismatches(self.paths, assignment)]
        for p in problems:
            self.log.error(p)
        if problems:
            self.exit(1)
        self.log.info("points in notebooks match the graders")
