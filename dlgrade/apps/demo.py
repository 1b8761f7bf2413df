"""`dlgrade demo`: the whole cycle on a simulated class, from a fresh machine."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from nbgrader.api import Gradebook
from nbgrader.apps import NbGraderAPI
from traitlets import Bool, Integer, Unicode

from dlgrade.apps.base import DlGradeApp, base_aliases, base_flags
from dlgrade.authoring.demo import simulate_class
from dlgrade.courses import OVERVIEW_FOLDER, every_course
from dlgrade.feedback import write_feedback
from dlgrade.grading.autograder import Autograder
from dlgrade.grading.progress import BatchProgress
from dlgrade.grading.results import Result
from dlgrade.paths import CoursePaths
from dlgrade.release import release_assignment
from dlgrade.report.courses import write_overview
from dlgrade.report.summary import format_summary


class DemoApp(DlGradeApp):
    """Release every assignment of every course (or of `--course`), simulate a class,
    autograde, write feedback and reports, and the overview across the courses."""

    name = "dlgrade-demo"
    bug_variants = Integer(
        6, help="Typical-bug variants per assignment in the simulated class."
    ).tag(config=True)
    cheat_assignments = Integer(
        1,
        help="Assignments per course (the first ones) whose simulated class also holds the "
        "cheats and a corrupt file; each cheat that loops costs a cell time limit.",
    ).tag(config=True)
    duedate = Unicode(
        "2026-12-01 23:59:00 UTC", help="Due date given to every demo assignment (late ones show)."
    ).tag(config=True)
    competition = Bool(
        True,
        help="Also run a small simulated competition (dlgrade.authoring.compete_demo) in each "
        "course with graders/represent/competition.json: its board goes to "
        "reports/competition/board.html.",
    ).tag(config=True)
    aliases = {**base_aliases, "workers": "Autograder.workers", "bugs": "DemoApp.bug_variants"}
    flags = base_flags

    def _classes_default(self):
        return [*super()._classes_default(), Autograder]

    def courses(self) -> list[tuple[str, CoursePaths, NbGraderAPI]]:
        """(name, paths, nbgrader API) of the course named on the command line, or of every
        course of the repository; each under the command line's settings."""
        if self.course or self.coursedir.assignment_id:
            return [(self.course or self.coursedir.course_id, self.paths, self.course_api())]
        return [
            (name, paths, NbGraderAPI(coursedir=paths.coursedir, config=paths.config))
            for name, paths in every_course(Path(self.coursedir.root), self.cli_config)
        ]

    def start(self) -> None:
        started = time.monotonic()
        grader = self.autograder()
        results: list[Result] = []
        reports: list[Path] = []
        courses = self.courses()
        for name, paths, api in courses:
            graded, written = self.run_course(paths, api, grader)
            self.log.info("course %s: %d submissions graded", name, len(graded))
            results += graded
            reports += written
        if len(courses) > 1:
            reports.append(
                write_overview(
                    [paths for _, paths, _ in courses], Path(self.coursedir.root) / OVERVIEW_FOLDER
                )
            )
        if self.competition:
            reports += self.run_competitions(courses, grader)
        print(format_summary(results))
        for path in reports:
            print(f"report: {path}")
        print(
            f"demo finished in {time.monotonic() - started:.0f} s; feedback in "
            + ", ".join(str(p.root / p.coursedir.feedback_directory) for _, p, _ in courses)
        )

    def run_course(
        self, paths: CoursePaths, api: NbGraderAPI, grader: Autograder
    ) -> tuple[list[Result], list[Path]]:
        """The demo of one course: its results and the reports written."""
        if paths is self.paths:
            assignments = self.assignment_list()
        else:
            assignments = paths.assignments()
        results: list[Result] = []
        for i, assignment in enumerate(assignments):
            release_assignment(api, paths, assignment)
            with Gradebook(paths.coursedir.db_url, paths.coursedir.course_id) as gb:
                gb.update_or_create_assignment(assignment, duedate=self.duedate)
            for student in paths.students(assignment):
                shutil.rmtree(paths.submitted(student, assignment), ignore_errors=True)
                shutil.rmtree(paths.autograded(student, assignment), ignore_errors=True)
            cheats = i < self.cheat_assignments
            students = simulate_class(paths, assignment, self.bug_variants, cheats)
            self.log.info("%s: released; simulated class of %d", assignment, len(students))
            graded = grader.grade_assignment(
                paths, assignment, students, lambda n, a=assignment: BatchProgress(n, a)
            )
            for student in students:
                write_feedback(paths, assignment, student)
            results += graded
        return results, self._reports(paths, assignments)

    def run_competitions(
        self, courses: list[tuple[str, CoursePaths, NbGraderAPI]], grader: Autograder
    ) -> list[Path]:
        """The simulated competition of each course that has one: the static boards."""
        from dlgrade.authoring.compete_demo import simulate_competition

        boards = [simulate_competition(paths, grader.sandbox_backend) for _, paths, _ in courses]
        return [b for b in boards if b is not None]

    def _reports(self, paths: CoursePaths, assignments: list[str]) -> list[Path]:
        try:
            from dlgrade.report import build_reports
        except ImportError:
            return []
        return build_reports(paths, assignments) if assignments else []
