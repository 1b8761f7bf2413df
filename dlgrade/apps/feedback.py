"""`dlgrade feedback`: per-student HTML feedback for graded submissions."""

from __future__ import annotations

from dlgrade.apps.base import DlGradeApp
from dlgrade.feedback import write_feedback


class FeedbackApp(DlGradeApp):
    """Write feedback/<student>/<assignment>/<notebook>.html from results.json.

    One student's failure is logged and listed at the end (exit status 1); every other
    student still gets feedback."""

    name = "dlgrade-feedback"

    def start(self) -> None:
        failed: list[str] = []
        for assignment in self.assignment_list():
            written = 0
            for student in self.paths.students(assignment):
                try:
                    written += write_feedback(self.paths, assignment, student) is not None
                except Exception:  # noqa: BLE001 - one bad submission never stops the rest
                    self.log.exception("%s/%s: feedback failed", assignment, student)
                    failed.append(f"{assignment}/{student}")
            self.log.info("%s: feedback for %d students", assignment, written)
        if failed:
            self.log.error("no feedback for %d: %s", len(failed), ", ".join(failed))
            self.exit(1)
