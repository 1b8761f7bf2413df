"""`dlgrade demo`: the whole cycle on a simulated class, from a fresh machine."""

from __future__ import annotations

import shutil
import time

from nbgrader.api import Gradebook
from traitlets import Integer, Unicode

from dlgrade.apps.base import DlGradeApp, base_aliases, base_flags
from dlgrade.authoring.demo import simulate_class
from dlgrade.feedback import write_feedback
from dlgrade.grading.autograder import Autograder
from dlgrade.grading.progress import BatchProgress
from dlgrade.release import release_assignment
from dlgrade.report.summary import format_summary


class DemoApp(DlGradeApp):
    """Release every assignment, simulate a class, autograde, write feedback and reports."""

    name = "dlgrade-demo"
    bug_variants = Integer(
        6, help="Typical-bug variants per assignment in the simulated class."
    ).tag(config=True)
    duedate = Unicode(
        "2026-12-01 23:59:00 UTC", help="Due date given to every demo assignment (late ones show)."
    ).tag(config=True)
    aliases = {**base_aliases, "workers": "Autograder.workers", "bugs": "DemoApp.bug_variants"}
    flags = base_flags

    def _classes_default(self):
        return [*super()._classes_default(), Autograder]

    def start(self) -> None:
        started = time.monotonic()
        api = self.course_api()
        grader = self.autograder()
        assignments = self.assignment_list()
        results = []
        for assignment in assignments:
            release_assignment(api, self.paths, assignment)
            with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
                gb.update_or_create_assignment(assignment, duedate=self.duedate)
            for student in self.paths.students(assignment):
                shutil.rmtree(self.paths.submitted(student, assignment), ignore_errors=True)
                shutil.rmtree(self.paths.autograded(student, assignment), ignore_errors=True)
            students = simulate_class(self.paths, assignment, self.bug_variants)
            self.log.info("%s: released; simulated class of %d", assignment, len(students))
            graded = grader.grade_assignment(
                self.paths, assignment, students, lambda n, a=assignment: BatchProgress(n, a)
            )
            for student in students:
                write_feedback(self.paths, assignment, student)
            results += graded
        reports = self._reports(assignments)
        print(format_summary(results))
        for path in reports:
            print(f"report: {path}")
        print(
            f"demo finished in {time.monotonic() - started:.0f} s; feedback in "
            f"{self.paths.root / self.coursedir.feedback_directory}"
        )

    def _reports(self, assignments: list[str]) -> list:
        try:
            from dlgrade.report import build_reports
        except ImportError:
            return []
        return build_reports(self.paths, assignments)
