"""`dlgrade`: the one command-line entry point; the Makefile targets wrap it."""

from __future__ import annotations

import gc
import sys

from dlgrade.apps.base import DlGradeApp
from dlgrade.paths import use_this_environment

SUBCOMMANDS = {
    "release": (
        "dlgrade.apps.release.ReleaseApp",
        "Generate student versions and verify nothing hidden leaked.",
    ),
    "autograde": (
        "dlgrade.apps.autograde.AutogradeApp",
        "Grade every submission of an assignment in sandboxes.",
    ),
    "serve": (
        "dlgrade.apps.serve.ServeApp",
        "Keep the grading processes warm and grade the batches sent to them.",
    ),
    "status": (
        "dlgrade.apps.status.StatusApp",
        "Show what is graded, pending or failed (and why), without grading.",
    ),
    "feedback": (
        "dlgrade.apps.feedback.FeedbackApp",
        "Write per-student feedback HTML from results.json.",
    ),
    "export": (
        "dlgrade.apps.export.ExportApp",
        "Export grades (nbgrader CSV, LMS gradebook, per-test CSV).",
    ),
    "report": ("dlgrade.apps.report.ReportApp", "Class report and course overview (HTML)."),
    "demo": (
        "dlgrade.apps.demo.DemoApp",
        "Release, simulate a class, autograde, feedback, summary.",
    ),
    "bench": ("dlgrade.apps.bench.BenchApp", "Measure per-submission overhead and worker scaling."),
    "variant": (
        "dlgrade.apps.variant.VariantApp",
        "Write a reference/blank/variant submission notebook.",
    ),
    "grade-task": (
        "dlgrade.apps.grade_task.GradeTaskApp",
        "Grade one SLURM array task's submissions (run by the SLURM executor).",
    ),
    "grade-one": ("dlgrade.apps.grade_one.GradeOneApp", "Grade one notebook and print its tests."),
    "mutate": (
        "dlgrade.apps.mutate.MutateApp",
        "Mutation-test the graders: grade mutants of the reference solution.",
    ),
    "check": (
        "dlgrade.apps.check.CheckApp",
        "Check that notebook points match the graders' points.",
    ),
}


class DlGrade(DlGradeApp):
    name = "dlgrade"
    description = "Sandboxed autograding for nbgrader courses."
    subcommands = {name: (cls, help) for name, (cls, help) in SUBCOMMANDS.items()}

    def start(self) -> None:
        if self.subapp is None:
            self.print_subcommands()
            self.exit(1)
        self.subapp.start()


def main(argv: list[str] | None = None) -> None:
    use_this_environment()
    try:
        DlGrade.launch_instance(argv=argv if argv is not None else sys.argv[1:])
    finally:
        gc.freeze()  # nothing left to collect: the interpreter's exit skips the heap


if __name__ == "__main__":
    main()
