"""The Autograder: its settings, and the grading loop every way to grade goes through.

`grade_assignment` grades a batch (intake, sandboxes, results.json, gradebook) with the
configured executor, as nbgrader's converters own their loop; `grade_notebook` grades one
notebook. The apps only parse options and call these.

Heavy modules (the runner: torch, pytest) are imported where a grading process needs
them, not here, so that the parent of a batch starts fast.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from traitlets import Bool, Float, Integer, TraitError, Unicode, validate
from traitlets.config import Config, LoggingConfigurable

from dlgrade.grading.files import SubmittedFiles
from dlgrade.paths import CoursePaths
from dlgrade.sandbox.backends import (
    BACKEND_GROUP,
    SandboxBackend,
    SandboxJob,
    backend_names,
    get_backend_class,
)
from dlgrade.sandbox.session import SessionSettings

COURSE_SECTIONS = ("CourseDirectory", "CoursePaths")
"""The settings that differ from course to course (courses/<course>/nbgrader_config.py)."""

if TYPE_CHECKING:
    import nbformat

    from dlgrade.grading.batch import Job
    from dlgrade.grading.results import Result
    from dlgrade.grading.runner import GradingInputs

Progress = Callable[[int], AbstractContextManager]
"""Called with the number of submissions to grade; the context manager's value is called
as ``(job, result)`` after each one (`dlgrade.grading.progress.BatchProgress` fits)."""


class Autograder(LoggingConfigurable):
    """How submissions are graded. Every trait can be set in nbgrader_config.py."""

    sandbox_backend = Unicode(
        "local",
        help="Name of the sandbox backend: an entry point of the 'dlgrade.sandbox_backends' "
        "group ('local': bubblewrap, 'docker'); an unknown name is refused.",
    ).tag(config=True)
    executor = Unicode(
        "local",
        help="Where a batch is graded: 'local' (a pool of processes on this machine), "
        "'inline' (one after another in this process), 'slurm' (one SLURM job array; "
        "settings in SlurmExecutor) or 'service' (the course's warm grading service, "
        "`dlgrade serve`); an entry point of the 'dlgrade.executors' group.",
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
    start_time_limit = Float(
        60.0,
        help="Seconds a sandbox may take to boot, before its first cell starts; not "
        "counted against any cell. A sandbox that never boots is recorded as such.",
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

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._backend: SandboxBackend | None = None

    @validate("sandbox_backend")
    def _registered_backend(self, proposal) -> str:
        return _registered(proposal["value"], backend_names(), "sandbox_backend", BACKEND_GROUP)

    @validate("executor")
    def _registered_executor(self, proposal) -> str:
        from dlgrade.cluster import EXECUTOR_GROUP, executor_names

        return _registered(proposal["value"], executor_names(), "executor", EXECUTOR_GROUP)

    # -- settings -------------------------------------------------------------------

    def watchdog_seconds(self) -> float | None:
        """The batch watchdog's limit per submission (None: off)."""
        if self.watchdog_time_limit < 0:
            return None
        if self.watchdog_time_limit > 0:
            return self.watchdog_time_limit
        if not self.submission_time_limit:
            return None
        restarts = (self.max_restarts + 1) * (self.notebook_time_limit + self.start_time_limit)
        return self.submission_time_limit + restarts + 120.0

    def worker_count(self) -> int:
        return self.workers if self.workers > 0 else max(1, os.cpu_count() or 1)

    def make_backend(self) -> SandboxBackend:
        return get_backend_class(self.sandbox_backend)(parent=self)

    @property
    def backend(self) -> SandboxBackend:
        """This grader's sandbox backend, made on first use and kept until `close`."""
        if self._backend is None:
            self._backend = self.make_backend()
        return self._backend

    def prepare(self, paths: CoursePaths, slot: int) -> None:
        """Let the backend start warming up for `slot` (a grading process calls this
        before importing the grading modules); a failure shows at the first launch."""
        try:
            self.backend.prepare(self.job(paths, slot, f"template-{slot}"))
        except Exception as exc:  # noqa: BLE001 - the first launch reports it per submission
            self.log.info("the sandbox backend could not prepare slot %d: %s", slot, exc)

    def await_ready(self, paths: CoursePaths, slot: int) -> None:
        """Wait until what `prepare` started for `slot` is ready (a warm grading service
        starts this way); a failure shows at the first launch."""
        try:
            self.backend.await_ready(self.job(paths, slot, f"template-{slot}"))
        except Exception as exc:  # noqa: BLE001 - the first launch reports it per submission
            self.log.info("the sandbox backend's slot %d is not ready: %s", slot, exc)

    def close(self) -> None:
        """Release the backend (its warm templates, containers)."""
        if self._backend is not None:
            self._backend.close()
            self._backend = None

    def settings(self) -> SessionSettings:
        return SessionSettings(
            cell_time_limit=self.cell_time_limit,
            notebook_time_limit=self.notebook_time_limit,
            start_time_limit=self.start_time_limit,
            max_restarts=self.max_restarts,
            threads=self.torch_threads,
            seed=self.seed,
            max_output_total_kb=self.max_output_total_kb,
        )

    def inputs(self, paths: CoursePaths, assignment: str, notebook: Path) -> GradingInputs:
        from dlgrade.grading.runner import GradingInputs

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
        gpu = self.backend.allow_gpu
        return SandboxJob(slot=slot, label=label, use_gpu=gpu, hide=tuple(hide))

    # -- grading --------------------------------------------------------------------

    def grade_notebook(
        self,
        paths: CoursePaths,
        assignment: str,
        notebook: Path,
        sandboxed: bool = True,
        slot: int = 0,
        label: str = "",
        files: SubmittedFiles | None = None,
    ) -> tuple[Result, nbformat.NotebookNode | None]:
        """Grade one notebook: (its result, the executed and sanitized notebook).

        `files`: the submission's other files the graders read (`submitted_files`), as
        intake let them through. `sandboxed=False` runs the notebook's code in this process:
        for trusted notebooks only (grader authors' checks, the bench's baseline), never a
        submission."""
        from dlgrade.grading import runner

        inputs = replace(self.inputs(paths, assignment, notebook), files=files or SubmittedFiles())
        if not sandboxed:
            return runner.grade_bare(inputs)
        job = self.job(paths, slot, label or f"{assignment}-{notebook.stem}")
        return runner.grade(inputs, self.backend, job)

    def grade_assignment(
        self,
        paths: CoursePaths,
        assignment: str,
        students: list[str] | None = None,
        progress: Progress | None = None,
    ) -> list[Result]:
        """Grade the submissions of `assignment` with the configured executor, each one's
        results.json written as it finishes, then their scores into nbgrader's gradebook
        (one write for the batch, when `write_gradebook`).

        `students`: exactly these (graded before or not); None: every submission that has
        no results yet (every one with `force`)."""
        from dlgrade.gradebook import duedate, store_results
        from dlgrade.grading import batch

        due = duedate(paths, assignment)
        if students is None:
            jobs, done = batch.pending_jobs(paths, assignment, self.force, due)
            self.log.info(
                "%s: %d to grade, %d already graded (use --force to re-grade)",
                assignment,
                len(jobs),
                len(done),
            )
        else:
            jobs = [batch.Job(assignment, student, due) for student in students]
        with progress(len(jobs)) if progress else nullcontext() as report:
            results = self.grade_jobs(paths, jobs, report)
        if self.write_gradebook and results:
            store_results(paths, results)
        return results

    def grade_jobs(self, paths: CoursePaths, jobs: list[Job], report=None) -> list[Result]:
        """Grade `jobs` with the configured executor and at most `workers` at once;
        `report(job, result)` after each. No gradebook write (`grade_assignment` does it)."""
        from dlgrade.cluster import get_executor_class

        if not jobs:
            return []
        executor = get_executor_class(self.executor)(parent=self)
        workers = min(self.worker_count(), len(jobs))
        return executor.run(self.course_config(paths), paths, jobs, workers, report)

    def course_config(self, paths: CoursePaths) -> Config:
        """This autograder's settings with the folders of the course `paths` belongs to:
        the grading processes rebuild their paths from it, so one autograder (the demo's,
        a hub's) grades every course in that course's own folders."""
        return with_course(self.config, paths.config)


def with_course(config: Config, course: Config) -> Config:
    """`config` with the course sections (`COURSE_SECTIONS`) of `course` in place of its own."""
    out = Config(config)
    for section in COURSE_SECTIONS:
        if section in course:
            out[section] = Config(course[section])
    return out


def _registered(name: str, known: list[str], trait: str, group: str) -> str:
    if name not in known:
        raise TraitError(
            f"c.Autograder.{trait} = {name!r} is not registered; known: "
            f"{', '.join(known) or 'none'} (the {group!r} entry points; is dlgrade installed?)"
        )
    return name
