"""`dlgrade export`: grades as CSV for the LMS and for analysis."""

from __future__ import annotations

from traitlets import default

from dlgrade.apps.base import DlGradeApp, base_aliases, base_flags
from dlgrade.report.build import GradeExport, load_course, write_exports


class ExportApp(DlGradeApp):
    """Write reports/exports/{canvas,moodle,tests,nbgrader}-<scope>.csv, where scope is the
    assignment named with --assignment or `course` for every assignment."""

    name = "dlgrade-export"
    description = "Export grades: Canvas/Moodle gradebook CSV, per-test CSV, nbgrader's CSV."
    aliases = {
        **base_aliases,
        "formats": "GradeExport.formats",
        "non-graded": "GradeExport.non_graded",
    }
    flags = dict(base_flags)

    @default("classes")
    def _classes_default(self):
        return [*super()._classes_default(), ExportApp, GradeExport]

    def start(self) -> None:
        assignments = self.assignment_list()
        if not assignments:
            self.fail("No assignments: name one with --assignment=NAME or add source/<name>/")
        try:
            loaded = load_course(self.paths, assignments)
        except ValueError as err:
            self.fail(str(err))
        for path in write_exports(self.paths, loaded, course=not self.coursedir.assignment_id):
            print(f"wrote {path}")
