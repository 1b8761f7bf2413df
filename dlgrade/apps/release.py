"""`dlgrade release`: student versions via nbgrader, then the leak check."""

from __future__ import annotations

from dlgrade.apps.base import DlGradeApp
from dlgrade.release import release_assignment


class ReleaseApp(DlGradeApp):
    """Generate release/<assignment>/ from source/ and verify nothing hidden survived."""

    name = "dlgrade-release"

    def start(self) -> None:
        api = self.course_api()
        for assignment in self.assignment_list():
            try:
                path = release_assignment(api, self.paths, assignment)
            except RuntimeError as exc:
                self.fail(f"release of {assignment} failed: {exc}")
            self.log.info(
                "released %s → %s (verified: no solutions, hidden tests or grader code)",
                assignment,
                path,
            )
