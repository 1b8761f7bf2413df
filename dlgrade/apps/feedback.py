"""`dlgrade feedback`: per-student HTML feedback for graded submissions."""

from __future__ import annotations

from dlgrade.apps.base import DlGradeApp
from dlgrade.feedback import write_feedback


class FeedbackApp(DlGradeApp):
    """Write feedback/<student>/<assignment>/<notebook>.html from results.json."""

    name = "dlgrade-feedback"

    def start(self) -> None:
        for assignment in self.assignment_list():
            written = [
                write_feedback(self.paths, assignment, s) for s in self.paths.students(assignment)
            ]
            self.log.info(
                "%s: feedback for %d students", assignment, sum(w is not None for w in written)
            )
