"""Base class of the dlgrade apps: nbgrader's app, so nbgrader_config.py and the
CourseDirectory are loaded exactly as nbgrader loads them."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from jupyter_core.application import JupyterApp
from nbgrader.apps import NbGraderAPI
from nbgrader.apps.baseapp import NbGrader, nbgrader_aliases, nbgrader_flags
from nbgrader.exchange.default.exchange import Exchange
from traitlets import Unicode, default

from dlgrade.courses import course_config_file
from dlgrade.paths import CoursePaths

base_aliases = {**nbgrader_aliases, "course": "DlGradeApp.course"}
base_flags = dict(nbgrader_flags)


class DlGradeApp(NbGrader):
    """Shared plumbing: config, logging, the course paths."""

    aliases = base_aliases
    flags = base_flags

    course = Unicode(
        "",
        help="The course to work on: a folder of courses/ next to the root "
        "nbgrader_config.py, whose own nbgrader_config.py is loaded after the root one "
        "(`--course=intro`). Empty: the root file's own course.",
    ).tag(config=True)

    def initialize(self, argv=None, root: str = "") -> None:
        super().initialize(argv, root)
        self.load_course_config()

    def load_course_config(self) -> None:
        """Load the chosen course's file last: nbgrader's initialize loads the course
        root's nbgrader_config.py (and with it the default course's) after the command line."""
        if not self.course:
            return
        try:
            path = course_config_file(Path(self.coursedir.root), self.course)
        except ValueError as exc:
            self.fail(str(exc))
        super(JupyterApp, self).load_config_file(path.name, path=str(path.parent))

    @default("classes")
    def _classes_default(self):
        return [*super()._classes_default(), CoursePaths]

    @cached_property
    def paths(self) -> CoursePaths:
        return CoursePaths(self.coursedir, parent=self)

    def course_api(self) -> NbGraderAPI:
        """nbgrader's API for this course. A missing exchange folder inside the course is
        made first: nbgrader logs one as CRITICAL even for steps that never use it."""
        exchange = Path(Exchange(parent=self).root)
        if not exchange.exists() and self.paths.root in exchange.parents:
            exchange.mkdir(parents=True)
        return NbGraderAPI(coursedir=self.coursedir, parent=self)

    def autograder(self):
        """The Autograder of this run's config (`dlgrade.grading.autograder`); a setting it
        refuses (an unknown backend or executor) ends the app with the reason."""
        from traitlets import TraitError

        from dlgrade.grading.autograder import Autograder

        try:
            return Autograder(parent=self)
        except TraitError as exc:
            self.fail(str(exc))

    def require_assignment(self) -> str:
        if self.extra_args:
            self.coursedir.assignment_id = self.extra_args[0]
        if not self.coursedir.assignment_id:
            self.fail("Name the assignment: --assignment=NAME")
        return self.coursedir.assignment_id

    def assignment_list(self) -> list[str]:
        """The assignment named on the command line, or every assignment in source/."""
        if self.extra_args:
            self.coursedir.assignment_id = self.extra_args[0]
        if self.coursedir.assignment_id:
            return [self.coursedir.assignment_id]
        return self.paths.assignments()
