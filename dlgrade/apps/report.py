"""`dlgrade report`: class reports, the course overview and the grade exports."""

from __future__ import annotations

from pathlib import Path

from traitlets import Bool, default

from dlgrade.apps.base import DlGradeApp, base_aliases, base_flags
from dlgrade.courses import OVERVIEW_FOLDER, every_course
from dlgrade.report.build import ClassReport, GradeExport, load_course, write_reports
from dlgrade.report.courses import write_overview
from dlgrade.report.summary import summary_table


class ReportApp(DlGradeApp):
    """HTML class report per assignment under reports/<assignment>/report.html; without
    --assignment also the course overview reports/course.html. Writes the CSV exports too
    (see `dlgrade export`)."""

    name = "dlgrade-report"
    description = "Class reports (HTML) and grade exports under reports/."
    export = Bool(True, help="Also write the CSV exports.").tag(config=True)
    all_courses = Bool(
        False,
        help="Every course's reports, then reports/courses.html: the overview across the "
        "courses (a student in several shows in each).",
    ).tag(config=True)

    aliases = {**base_aliases, "bins": "ClassReport.histogram_bins"}
    flags = {
        **base_flags,
        "no-export": ({"ReportApp": {"export": False}}, "Write the HTML reports only."),
        "all-courses": (
            {"ReportApp": {"all_courses": True}},
            "Every course's reports and the overview across the courses.",
        ),
    }

    @default("classes")
    def _classes_default(self):
        return [*super()._classes_default(), ReportApp, ClassReport, GradeExport]

    def start(self) -> None:
        if self.all_courses:
            root = Path(self.coursedir.root)
            courses = [paths for _, paths in every_course(root, self.cli_config)]
            for paths in courses:
                self.report(paths, paths.assignments(), whole_course=True)
            print(f"wrote {write_overview(courses, root / OVERVIEW_FOLDER)}")
            return
        self.report(self.paths, self.assignment_list(), not self.coursedir.assignment_id)

    def report(self, paths, assignments: list[str], whole_course: bool) -> None:
        """One course's class reports, overview (when `whole_course`) and exports."""
        if not assignments:
            self.fail("No assignments: name one with --assignment=NAME or add source/<name>/")
        try:
            loaded = load_course(paths, assignments)
        except ValueError as err:
            self.fail(str(err))
        written = write_reports(paths, loaded, course=whole_course, export=self.export)
        for assignment in loaded.order:
            print(f"{assignment}: {summary_table(loaded.submissions[assignment])}\n")
        for path in written:
            print(f"wrote {path}")
