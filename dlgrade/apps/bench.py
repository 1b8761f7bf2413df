"""`dlgrade bench`: overhead, scaling and nbgrader comparison, written to bench/."""

from __future__ import annotations

import os
import platform

from traitlets import Bool, Integer, Unicode

from dlgrade import bench, bench_slurm
from dlgrade.apps.base import DlGradeApp, base_aliases, base_flags
from dlgrade.grading.autograder import Autograder


class BenchApp(DlGradeApp):
    """Measure per-submission overhead, 1→2 worker scaling and nbgrader autograde."""

    name = "dlgrade-bench"
    reps = Integer(3, help="Repetitions per overhead measurement (median reported).").tag(
        config=True
    )
    submissions = Integer(
        24,
        help="Submissions in the scaling batch (a class section: each worker's start-up, "
        "about 3 s, is paid once per batch, as in real grading).",
    ).tag(config=True)
    nbgrader_submissions = Integer(
        4, help="How many of them `nbgrader autograde` grades for the comparison."
    ).tag(config=True)
    scaling_assignment = Unicode("", help="Assignment for the scaling batch (default: first).").tag(
        config=True
    )
    compare_nbgrader = Bool(True, help="Also time `nbgrader autograde` on the same files.").tag(
        config=True
    )
    output_directory = Unicode("bench", help="Where RESULTS.md and results.json go.").tag(
        config=True
    )
    aliases = {**base_aliases, "reps": "BenchApp.reps", "submissions": "BenchApp.submissions"}
    flags = base_flags

    def _classes_default(self):
        return [*super()._classes_default(), Autograder]

    def start(self) -> None:
        assignments = self.assignment_list()
        scratch = self.paths.root / "build" / "bench-course"
        paths, config = bench.copy_course(self.paths, assignments, scratch)
        for a in assignments:
            bench.submit_copies(paths, a, self.submissions if a == assignments[0] else 1)
        figures = {
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
            "overhead": [],
        }
        for a in assignments:
            figures["overhead"].append(bench.overhead(paths, config, a, self.reps))
            self.log.info("overhead %s", figures["overhead"][-1])
        target = self.scaling_assignment or assignments[0]
        figures["scaling"] = bench.scaling(paths, config, target, [1, 2])
        self.log.info("scaling %s", figures["scaling"])
        if self.compare_nbgrader:
            figures["nbgrader"] = bench.nbgrader_autograde(
                paths, config, target, self.nbgrader_submissions
            )
        out = bench.write_report(self.paths.root / self.output_directory, figures)
        print(out.read_text())
        if bench_slurm.run(paths, config, target, self.paths.root / self.output_directory):
            print((self.paths.root / self.output_directory / "SLURM.md").read_text())
