"""Grade a whole batch: parallel, resumable, atomic, and never stopped by one submission.

Each submission is graded in a pool process (trusted) that drives its own sandboxes.
``results.json`` is written last and atomically: its presence means "graded", so an
interrupted batch resumes where it stopped.
"""

from __future__ import annotations

import gc
import json
import logging
import tempfile
import time
from collections.abc import Mapping
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from datetime import datetime
from multiprocessing import get_context
from pathlib import Path
from queue import SimpleQueue

import nbformat
from nbgrader.coursedir import CourseDirectory
from nbgrader.utils import parse_utc
from traitlets.config import Config

from dlgrade.grading.autograder import Autograder, with_course
from dlgrade.grading.files import SubmittedFiles, declared_patterns
from dlgrade.grading.intake import Intake, Rejected
from dlgrade.grading.results import (
    Result,
    ResultError,
    Status,
    invalid,
    not_finished,
    read_result,
    write_result,
)
from dlgrade.paths import CoursePaths, atomic_write

log = logging.getLogger(__name__)
COPIED_FILES = ("timestamp.txt", "submission_secret.txt")


@dataclass(frozen=True)
class Job:
    assignment: str
    student: str
    duedate: datetime | None = None


class _PoolContext:
    """Per pool-process state: its slot and its Autograder (which holds the backend)."""

    def __init__(self, config: Config, slot_queue) -> None:
        self.slot = slot_queue.get()
        self.autograder = Autograder(config=config)
        self.paths = CoursePaths(CourseDirectory(config=config), config=config)
        self.intake = Intake(config=config)
        self._config = config
        self._courses: dict[str, CoursePaths] = {}

    def paths_for(self, course: Config | None) -> CoursePaths:
        """The paths of the course whose sections (`COURSE_SECTIONS`) are `course`; None:
        this process's own course."""
        if course is None:
            return self.paths
        key = json.dumps(course, sort_keys=True, default=str)
        if key not in self._courses:
            config = with_course(self._config, course)
            self._courses[key] = CoursePaths(CourseDirectory(config=config), config=config)
        return self._courses[key]


_context: _PoolContext | None = None


def _init_pool(config: Config, slot_queue, assignments: tuple[str, ...] = (), ready=None) -> None:
    """A grading process starts: its sandbox template boots while this process imports
    the grading modules (torch, pytest, the runner) and what the graders of `assignments`
    import late (`runner.warm_up`); then everything imported so far is frozen out of the
    garbage collector (pytest collects after every submission, and a torch-sized heap
    made that and the process's exit take seconds). With a `ready` queue, it waits for
    its template too and then puts its slot there (`GradingPool.warm`)."""
    global _context
    logging.basicConfig(level=logging.WARNING)
    _context = _PoolContext(config, slot_queue)
    _context.autograder.prepare(_context.paths, _context.slot)
    from dlgrade.grading import runner

    runner.warm_up([_context.paths.graders(a) for a in assignments])
    gc.freeze()
    if ready is not None:
        _context.autograder.await_ready(_context.paths, _context.slot)
        ready.put(_context.slot)


def _assignments(jobs: list[Job]) -> tuple[str, ...]:
    """The assignments of `jobs`, each once (what a grading process warms up for)."""
    return tuple(sorted({job.assignment for job in jobs}))


def submitted_at(files: Mapping[str, bytes]) -> datetime | None:
    """The submission time from the timestamp.txt that intake let through."""
    try:
        return parse_utc(files["timestamp.txt"][:200].decode("utf-8").strip())
    except (KeyError, UnicodeDecodeError, ValueError, TypeError, OverflowError):
        return None


def copied_files(paths: CoursePaths, job: Job, intake: Intake) -> dict[str, bytes]:
    """The COPIED_FILES of a submission that passes intake; nothing of one that does not."""
    try:
        return intake.take(paths.submitted_base(), job.student, job.assignment, COPIED_FILES).files
    except Rejected:
        return {}


def _grade_staged(
    ctx: _PoolContext, paths: CoursePaths, job: Job, name: str, data: bytes, files: SubmittedFiles
):
    """Grade the notebook's bytes from a private staging folder (never from submitted/)."""
    with tempfile.TemporaryDirectory(prefix="dlgrade-intake-") as staging:
        notebook = Path(staging) / name
        notebook.write_bytes(data)
        label = f"{job.assignment}-{job.student}"
        return ctx.autograder.grade_notebook(
            paths, job.assignment, notebook, slot=ctx.slot, label=label, files=files
        )


def grade_job(job: Job, course: Config | None = None) -> Result:
    """Grade one submission and write its results (runs in a pool process); `course`:
    see `_PoolContext.paths_for`."""
    ctx = _context
    paths = ctx.paths_for(course)
    name = f"{paths.notebook(job.assignment)}.ipynb"
    started = time.monotonic()
    files: dict[str, bytes] = {}
    try:
        patterns = declared_patterns(paths.graders(job.assignment))
        accepted = ctx.intake.take(
            paths.submitted_base(), job.student, job.assignment, (name, *COPIED_FILES), patterns
        )
        files = accepted.files
    except Rejected as exc:
        result, executed = invalid(exc.reason), None
    else:
        if name not in files:
            result, executed = invalid(f"no {name} in the submission"), None
        else:
            graded = SubmittedFiles(
                {k: files.pop(k) for k in list(files) if k not in (name, *COPIED_FILES)},
                accepted.left_out,
            )
            try:
                result, executed = _grade_staged(ctx, paths, job, name, files.pop(name), graded)
            except Exception as exc:  # noqa: BLE001 - one submission must not stop the batch
                log.exception("grading %s failed", job)
                result = not_finished(f"grader error: {type(exc).__name__}")
                executed = None
    elapsed = time.monotonic() - started
    try:
        return finish(paths, job, result, executed, elapsed, files)
    except Exception as exc:  # noqa: BLE001 - keep the scores even if the notebook cannot be saved
        log.exception("writing the executed notebook of %s failed", job)
        detail = f"the executed notebook could not be saved ({type(exc).__name__})"
        return finish(paths, job, result.with_detail(detail), None, elapsed, files)


def finish(
    paths: CoursePaths,
    job: Job,
    result: Result,
    executed,
    elapsed: float,
    files: Mapping[str, bytes],
) -> Result:
    """Add the submission's facts, then write notebook, copies and results.json (last).

    `files` are the COPIED_FILES intake let through (their bytes); nothing else of the
    submission folder is read here."""
    ts = submitted_at(files)
    result = replace(
        result,
        assignment=job.assignment,
        student=job.student,
        submitted_at=ts.strftime("%Y-%m-%d %H:%M:%S UTC") if ts else None,
        late=bool(ts and job.duedate and ts > job.duedate),
        execution_time=round(elapsed, 3)
        if result.execution_time is None
        else result.execution_time,
    )
    out = paths.autograded(job.student, job.assignment)
    out.mkdir(parents=True, exist_ok=True)
    notebook = out / f"{paths.notebook(job.assignment)}.ipynb"
    if executed is not None:
        atomic_write(notebook, nbformat.writes(executed))
    else:
        notebook.unlink(missing_ok=True)
    for name in COPIED_FILES:
        if name in files:
            atomic_write(out / name, files[name])
        else:
            (out / name).unlink(missing_ok=True)
    write_result(paths.results(job.student, job.assignment), result)
    return result


def pending_jobs(
    paths: CoursePaths, assignment: str, force: bool, duedate: datetime | None = None
) -> tuple[list[Job], list[Job]]:
    """(to grade, already graded) for every student who submitted `assignment`."""
    todo, done = [], []
    for student in paths.students(assignment):
        job = Job(assignment, student, duedate)
        (done if paths.results(student, assignment).exists() and not force else todo).append(job)
    return todo, done


def _crash_result(
    paths: CoursePaths,
    job: Job,
    detail: str,
    status: Status = Status.CRASHED,
    intake: Intake | None = None,
) -> Result:
    result = not_finished(detail, status)
    files = copied_files(paths, job, intake or Intake())
    return finish(paths, job, result, None, 0.0, files)


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.kill()


def _noop() -> None:
    """A task that makes the pool start one more process (processes start on demand)."""


class GradingPool:
    """`workers` grading processes (`_init_pool`), kept for every batch given to `grade`
    until `close`: one command's batch (`run_batch`), or all the batches of a warm grading
    service (`dlgrade.grading.service`). A broken pool is replaced by a fresh one."""

    def __init__(self, config: Config, workers: int, assignments: tuple[str, ...] = ()) -> None:
        self.config, self.workers, self.assignments = config, workers, assignments
        self.watchdog = Autograder(config=config).watchdog_seconds()
        self.intake = Intake(config=config)
        self._mp = get_context("spawn")
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> GradingPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _executor(self, ready=None) -> ProcessPoolExecutor:
        if self._pool is None:
            slots = self._mp.Queue()
            for slot in range(self.workers):
                slots.put(slot)
            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=self._mp,
                initializer=_init_pool,
                initargs=(self.config, slots, self.assignments, ready),
            )
        return self._pool

    def warm(self, timeout: float = 300.0) -> None:
        """Start every grading process now and return once each one and its sandbox
        template are ready (otherwise a process starts when work comes, and its template
        boots while its first submission is read)."""
        self.close()
        ready = self._mp.Queue()
        pool = self._executor(ready)
        for _ in range(self.workers):
            pool.submit(_noop)
        for _ in range(self.workers):
            ready.get(timeout=timeout)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def grade(
        self,
        paths: CoursePaths,
        jobs: list[Job],
        progress=None,
        limit: int = 0,
        course: Config | None = None,
        cancelled=None,
    ) -> list[Result]:
        """Grade `jobs`, at most `limit` (default: all the processes) at once; a dead pool
        process costs one result, and one that outlives the watchdog is stopped (its
        submission: timeout). `course`: the course sections of `paths`' config, when they
        are not the pool's own; `cancelled()`: true once no further job should start."""
        results: list[Result] = []
        queue = list(jobs)
        retried: set[Job] = set()
        overdue: set[Job] = set()
        watchdog, intake = self.watchdog, self.intake
        limit = min(limit or self.workers, self.workers)
        while queue:
            pool = self._executor()
            running, started = {}, {}
            broken = False
            while (queue or running) and not broken:
                if cancelled is not None and cancelled():
                    queue.clear()
                while queue and len(running) < limit:
                    job = queue.pop(0)
                    fut = pool.submit(grade_job, job, course)
                    running[fut], started[fut] = job, time.monotonic()
                if not running:
                    break
                finished, _ = wait(
                    running, timeout=1.0 if watchdog or cancelled else None,
                    return_when=FIRST_COMPLETED,
                )  # fmt: skip
                now = time.monotonic()
                late = [f for f in running if watchdog and now - started[f] > watchdog]
                if late and not finished:
                    overdue.update(running[f] for f in late)
                    log.error("stopping the grading of %s: past the watchdog", running[late[0]])
                    _stop_pool(pool)
                for fut in finished:
                    job = running.pop(fut)
                    result = None
                    try:
                        result = fut.result()
                    except BrokenProcessPool:
                        broken = True
                        if job in overdue:
                            result = _crash_result(
                                paths,
                                job,
                                f"grading ran past the batch watchdog ({watchdog:g} s) and was "
                                "stopped",
                                status=Status.TIMEOUT,
                                intake=intake,
                            )
                        elif job in retried:
                            result = _crash_result(
                                paths, job, "the grading process died twice", intake=intake
                            )
                        else:
                            retried.add(job)
                            queue.insert(0, job)
                    except Exception as exc:  # noqa: BLE001 - one submission never stops a batch
                        log.error("grading %s failed: %r", job, exc)
                        result = _crash_result(
                            paths, job, f"grader error: {type(exc).__name__}", intake=intake
                        )
                    if result is not None:
                        results.append(result)
                        if progress:
                            progress(job, result)
            if broken:
                for job in running.values():
                    queue.insert(0, job)
                self.close()
        return results


def run_batch(
    config: Config, paths: CoursePaths, jobs: list[Job], workers: int, progress=None
) -> list[Result]:
    """Grade `jobs` with `workers` fresh pool processes (`GradingPool.grade`)."""
    with GradingPool(config, workers, _assignments(jobs)) as pool:
        return pool.grade(paths, jobs, progress)


def grade_inline(config: Config, jobs: list[Job], progress=None) -> list[Result]:
    """Grade `jobs` one after another in this process, exactly as a pool process of
    `run_batch` does (`grade_job`): what one SLURM array task runs."""
    slots: SimpleQueue[int] = SimpleQueue()
    slots.put(0)
    _init_pool(config, slots, _assignments(jobs))
    ctx = _context
    results = []
    try:
        for job in jobs:
            try:
                result = grade_job(job)
            except Exception as exc:  # noqa: BLE001 - the other submissions go on
                detail = f"grader error: {type(exc).__name__}"
                result = _crash_result(ctx.paths, job, detail, intake=ctx.intake)
            results.append(result)
            if progress:
                progress(job, result)
    finally:
        ctx.autograder.close()
    return results


def load_results(paths: CoursePaths, assignment: str) -> list[Result]:
    """Every results.json of `assignment`, in student order (strictly read: missing ones
    and those off the schema are skipped, the latter with a warning)."""
    out = []
    for student in paths.students(assignment):
        path = paths.results(student, assignment)
        if not path.is_file():
            continue
        try:
            out.append(read_result(path))
        except ResultError as err:
            log.warning("skipping %s", err)
    return out
