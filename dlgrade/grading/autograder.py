"""Autograder settings and the objects built from them (backend, per-submission inputs)."""

from __future__ import annotations

import os
from pathlib import Path

from traitlets import Bool, Float, Integer, Unicode
from traitlets.config import LoggingConfigurable

from dlgrade.grading.runner import GradingInputs
from dlgrade.paths import CoursePaths
from dlgrade.sandbox.backends import SandboxBackend, SandboxJob, get_backend_class
from dlgrade.sandbox.session import SessionSettings


class Autograder(LoggingConfigurable):
    """How submissions are graded. Every trait can be set in nbgrader_config.py."""

    sandbox_backend = Unicode(
        "local", help="Name of the sandbox backend (registered in dlgrade.sandbox.backends)."
    ).tag(config=True)
    executor = Unicode(
        "local",
        help="Where a batch is graded: 'local' (a pool of processes on this machine) or "
        "'slurm' (one SLURM job array; settings in SlurmExecutor). See dlgrade.cluster.",
    ).tag(config=True)
    workers = Integer(0, help="Submissions graded in parallel; 0 means one per CPU core.").tag(
        config=True
    )
    force = Bool(False, help="Re-grade submissions that already have a results.json.").tag(
        config=True
    )
    test_time_limit = Float(60.0, help="Default wall-clock seconds for one hidden test.").tag(
        config=True
    )
    submission_time_limit = Float(
        600.0,
        help="Wall-clock seconds for all of one submission's grading (cells and tests); "
        "tests that would start later score as timeouts. 0 means no budget.",
    ).tag(config=True)
    watchdog_time_limit = Float(
        0.0,
        help="Seconds after which the batch stops a grading process outright (a backstop "
        "for a grader that hangs on the trusted side) and records the submission as a "
        "timeout. 0 derives it from the other limits; a negative value turns it off.",
    ).tag(config=True)
    cell_time_limit = Float(
        120.0,
        help="Seconds one notebook cell may run before it is skipped; the submission is "
        "still graded (status graded, flagged cell_timeout) unless a test times out too.",
    ).tag(config=True)
    notebook_time_limit = Float(
        180.0, help="Seconds all of a submission's cells may run, per sandbox start."
    ).tag(config=True)
    max_restarts = Integer(
        3, help="Sandbox restarts allowed per submission (after a crash or a timeout)."
    ).tag(config=True)
    max_output_total_kb = Integer(
        2048,
        help="Captured cell outputs one submission may keep in all, KB (as JSON); later "
        "outputs are dropped with a note, and the submission is still graded.",
    ).tag(config=True)
    torch_threads = Integer(1, help="torch threads inside each sandbox.").tag(config=True)
    seed = Integer(0, help="Base seed for the sandbox's random number generators.").tag(config=True)
    write_gradebook = Bool(
        True, help="Also store scores in nbgrader's gradebook (formgrader, nbgrader export)."
    ).tag(config=True)

    def watchdog_seconds(self) -> float | None:
        """The batch watchdog's limit per submission (None: off)."""
        if self.watchdog_time_limit < 0:
            return None
        if self.watchdog_time_limit > 0:
            return self.watchdog_time_limit
        if not self.submission_time_limit:
            return None
        restarts = (self.max_restarts + 1) * self.notebook_time_limit
        return self.submission_time_limit + restarts + 120.0

    def worker_count(self) -> int:
        return self.workers if self.workers > 0 else max(1, os.cpu_count() or 1)

    def make_backend(self) -> SandboxBackend:
        return get_backend_class(self.sandbox_backend)(parent=self)

    def settings(self) -> SessionSettings:
        return SessionSettings(
            cell_time_limit=self.cell_time_limit,
            notebook_time_limit=self.notebook_time_limit,
            max_restarts=self.max_restarts,
            threads=self.torch_threads,
            seed=self.seed,
            max_output_total_kb=self.max_output_total_kb,
        )

    def inputs(self, paths: CoursePaths, assignment: str, notebook: Path) -> GradingInputs:
        name = paths.notebook(assignment) + ".ipynb"
        return GradingInputs(
            assignment=assignment,
            graders_dir=paths.graders(assignment),
            source_notebook=paths.source(assignment) / name,
            release_notebook=paths.release(assignment) / name,
            submission_notebook=notebook,
            test_time_limit=self.test_time_limit,
            submission_time_limit=self.submission_time_limit or None,
            settings=self.settings(),
        )

    def job(self, paths: CoursePaths, slot: int, label: str) -> SandboxJob:
        db = paths.coursedir.db_url
        hide = [str(paths.root), str(paths.graders("")), str(paths.source(""))]
        if db.startswith("sqlite:///"):
            hide.append(str(Path(db.removeprefix("sqlite:///")).parent))
        return SandboxJob(slot=slot, label=label, hide=tuple(hide))
