"""`dlgrade grade-task`: grade the submissions of one SLURM array task (runs on a node).

The manifest (written by `dlgrade.cluster.slurm.SlurmExecutor`) names the assignment, the
students of each task and the submitting run's settings; this task grades its students
with the same sandbox and the same code as a local batch (the Autograder's `inline`
executor: `batch.grade_job` one after another in this process), each
results.json written atomically to the shared course folder.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

from nbgrader.coursedir import CourseDirectory
from traitlets import Integer, Unicode
from traitlets.config import Config

from dlgrade.apps.base import DlGradeApp, base_aliases, base_flags
from dlgrade.grading import batch
from dlgrade.grading.autograder import Autograder
from dlgrade.grading.progress import score_text
from dlgrade.grading.results import Result
from dlgrade.paths import CoursePaths

MAX_MANIFEST_BYTES = 64 * 1024 * 1024


class GradeTaskApp(DlGradeApp):
    """Grade one array task's submissions, as listed in a SLURM batch manifest."""

    name = "dlgrade-grade-task"
    manifest = Unicode("", help="The batch manifest written by the SLURM executor.").tag(
        config=True
    )
    index = Integer(
        -1, help="The array task's index; -1 reads SLURM_ARRAY_TASK_ID from the environment."
    ).tag(config=True)
    aliases = {
        **base_aliases,
        "manifest": "GradeTaskApp.manifest",
        "index": "GradeTaskApp.index",
    }
    flags = base_flags

    def start(self) -> None:
        path = Path(self.manifest)
        if not path.is_file() or path.stat().st_size > MAX_MANIFEST_BYTES:
            self.fail(f"no usable manifest at {path}")
        manifest = json.loads(path.read_text(encoding="utf-8"))
        index = self.index if self.index >= 0 else int(os.environ.get("SLURM_ARRAY_TASK_ID", -1))
        if not 0 <= index < len(manifest["tasks"]):
            self.fail(f"array index {index} is not in {path.name}")
        due = datetime.fromisoformat(manifest["duedate"]) if manifest["duedate"] else None
        jobs = [batch.Job(manifest["assignment"], s, due) for s in manifest["tasks"][index]]
        config = Config(manifest["config"])
        config.Autograder.executor = "inline"
        paths = CoursePaths(CourseDirectory(config=config), config=config)
        Autograder(config=config).grade_jobs(paths, jobs, report)


def report(job: batch.Job, result: Result) -> None:
    """One line per graded submission, into the array task's log."""
    print(f"{job.student}: {result.status} {score_text(result)}", flush=True)
