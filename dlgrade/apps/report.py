"""`dlgrade report`: class reports, the course overview and the grade exports."""

from __future__ import annotations

from traitlets import Bool, default

from dlgrade.apps.base import DlGradeApp, base_aliases, base_flags
from dlgrade.report.build import ClassReport, GradeExport, load_course, write_reports
from dlgrade.report.summary import summary_table


class ReportApp(DlGradeApp):
    """HTML class report per assignment under reports/<assignment>/report.html; without
    --assignment also the course overview reports/course.html. Writes the CSV exports too
    (see `dlgrade export`)."""

    name = "dlgrade-report"
    description = "Class reports (HTML) and grade exports under reports/."
    export = Bool(True, help="Also write the CSV exports.").tag(config=True)

    aliases = {**base_aliases, "bins": "ClassReport.histogram_bins"}
    flags = {
        **base_flags,
        "no-export": ({"ReportApp": {"export": False}}, "Write the HTML reports only."),
    }

    @default("classes")
    def _classes_default(self):
        return [*super()._classes_default(), ReportApp, ClassReport, GradeExport]

    def start(self) -> None:
        assignments = self.assignment_list()
        if not assignments:
            self.fail("No assignments: name one with --assignment=NAME or add source/<name>/")
        whole_course = not self.coursedir.assignment_id
        try:
            loaded = load_course(self.paths, assignments)
        except ValueError as err:
            self.fail(str(err))
        written = write_reports(self.paths, loaded, course=whole_course, export=self.export)
        for assignment in loaded.order:
            print(f"{assignment}: {summary_table(loaded.submissions[assignment])}\n")
        for path in written:
            print(f"wrote {path}")
