"""`dlgrade grade-task`: grade the submissions of one SLURM array task (runs on a node).

The manifest (written by `dlgrade.cluster.slurm.SlurmExecutor`) names the assignment, the
students of each task and the submitting run's settings; this task grades its students
with the same sandbox and the same code as a local batch (`batch.grade_job`), each
results.json written atomically to the shared course folder.
"""

from __future__ import annotations

import json
import os
import queue
from datetime import datetime
from pathlib import Path

from traitlets import Integer, Unicode
from traitlets.config import Config

from dlgrade.apps.base import DlGradeApp, base_aliases, base_flags
from dlgrade.grading import batch
from dlgrade.grading.progress import score_text

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
        print(grade_jobs(Config(manifest["config"]), jobs), flush=True)


def grade_jobs(config: Config, jobs: list[batch.Job]) -> str:
    """Grade `jobs` one after another in this process, exactly as a pool process of a
    local batch does (`batch.grade_job`); one line per submission."""
    slots: queue.SimpleQueue[int] = queue.SimpleQueue()
    slots.put(0)
    batch._init_pool(config, slots)
    context = batch._context
    lines = []
    try:
        for job in jobs:
            try:
                result = batch.grade_job(job)
            except Exception as exc:  # noqa: BLE001 - the task's other submissions go on
                detail = f"grader error: {type(exc).__name__}"
                result = batch._crash_result(context.paths, job, detail, intake=context.intake)
            lines.append(f"{job.student}: {result['status']} {score_text(result)}")
    finally:
        context.backend.close()
    return "\n".join(lines)
