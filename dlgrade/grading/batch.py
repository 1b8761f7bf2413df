"""Grade a whole batch: parallel, resumable, atomic, and never stopped by one submission.

Each submission is graded in a pool process (trusted) that drives its own sandboxes.
``results.json`` is written last and atomically: its presence means "graded", so an
interrupted batch resumes where it stopped.
"""

from __future__ import annotations

import json
import logging
import shutil
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from multiprocessing import get_context
from pathlib import Path

import nbformat
from nbgrader.coursedir import CourseDirectory
from nbgrader.utils import parse_utc
from traitlets.config import Config

from dlgrade.grading import runner
from dlgrade.grading.autograder import Autograder
from dlgrade.paths import CoursePaths, atomic_write

log = logging.getLogger(__name__)
COPIED_FILES = ("timestamp.txt", "submission_secret.txt")


@dataclass(frozen=True)
class Job:
    assignment: str
    student: str
    duedate: datetime | None = None


class _PoolContext:
    """Per pool-process state: its slot, its settings and its sandbox backend."""

    def __init__(self, config: Config, slot_queue) -> None:
        self.slot = slot_queue.get()
        self.autograder = Autograder(config=config)
        self.paths = CoursePaths(CourseDirectory(config=config), config=config)
        self.backend = self.autograder.make_backend()


_context: _PoolContext | None = None


def _init_pool(config: Config, slot_queue) -> None:
    global _context
    logging.basicConfig(level=logging.WARNING)
    _context = _PoolContext(config, slot_queue)


def _submission_notebook(paths: CoursePaths, job: Job) -> Path:
    return paths.submitted(job.student, job.assignment) / f"{paths.notebook(job.assignment)}.ipynb"


def submitted_at(paths: CoursePaths, job: Job) -> datetime | None:
    ts = paths.submitted(job.student, job.assignment) / "timestamp.txt"
    try:
        return parse_utc(ts.read_text().strip())
    except (OSError, ValueError):
        return None


def grade_job(job: Job) -> dict:
    """Grade one submission and write its results (runs in a pool process)."""
    ctx = _context
    paths, grader = ctx.paths, ctx.autograder
    notebook = _submission_notebook(paths, job)
    inputs = grader.inputs(paths, job.assignment, notebook)
    sandbox_job = grader.job(paths, ctx.slot, f"{job.assignment}-{job.student}")
    started = time.monotonic()
    if not notebook.exists():
        result, executed = runner.invalid_result(f"no {notebook.name} in the submission"), None
    else:
        try:
            result, executed = runner.grade(inputs, ctx.backend, sandbox_job)
        except Exception as exc:  # noqa: BLE001 - one submission must not stop the batch
            log.exception("grading %s failed", job)
            result, executed = runner.invalid_result(""), None
            result.update(status="crashed", status_detail=f"grader error: {type(exc).__name__}")
    elapsed = time.monotonic() - started
    try:
        return finish(paths, job, result, executed, elapsed)
    except Exception as exc:  # noqa: BLE001 - keep the scores even if the notebook cannot be saved
        log.exception("writing the executed notebook of %s failed", job)
        detail = f"the executed notebook could not be saved ({type(exc).__name__})"
        result["status_detail"] = "; ".join(filter(None, [result.get("status_detail"), detail]))
        return finish(paths, job, result, None, elapsed)


def finish(paths: CoursePaths, job: Job, result: dict, executed, elapsed: float) -> dict:
    """Add the submission's facts, then write notebook, copies and results.json (last)."""
    ts = submitted_at(paths, job)
    result = {"schema": 1, "assignment": job.assignment, "student": job.student, **result}
    result["submitted_at"] = ts.strftime("%Y-%m-%d %H:%M:%S UTC") if ts else None
    result["late"] = bool(ts and job.duedate and ts > job.duedate)
    result.setdefault("execution_time", round(elapsed, 3))
    out = paths.autograded(job.student, job.assignment)
    out.mkdir(parents=True, exist_ok=True)
    if executed is not None:
        atomic_write(out / f"{paths.notebook(job.assignment)}.ipynb", nbformat.writes(executed))
    src = paths.submitted(job.student, job.assignment)
    for name in COPIED_FILES:
        if (src / name).is_file():
            shutil.copyfile(src / name, out / name)
    atomic_write(out / "results.json", json.dumps(result, indent=1, sort_keys=False))
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


def _crash_result(paths: CoursePaths, job: Job, detail: str, status: str = "crashed") -> dict:
    result = runner.invalid_result("")
    result.update(status=status, status_detail=detail)
    return finish(paths, job, result, None, 0.0)


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.kill()


def run_batch(
    config: Config, paths: CoursePaths, jobs: list[Job], workers: int, progress=None
) -> list[dict]:
    """Grade `jobs` with `workers` pool processes; a dead pool process costs one result,
    and one that outlives the watchdog is stopped (its submission: timeout)."""
    results: list[dict] = []
    queue = list(jobs)
    retried: set[Job] = set()
    overdue: set[Job] = set()
    watchdog = Autograder(config=config).watchdog_seconds()
    ctx = get_context("spawn")
    while queue:
        slots = ctx.Queue()
        for slot in range(workers):
            slots.put(slot)
        pool = ProcessPoolExecutor(
            workers, mp_context=ctx, initializer=_init_pool, initargs=(config, slots)
        )
        running, started = {}, {}
        broken = False
        try:
            while (queue or running) and not broken:
                while queue and len(running) < workers:
                    job = queue.pop(0)
                    fut = pool.submit(grade_job, job)
                    running[fut], started[fut] = job, time.monotonic()
                finished, _ = wait(
                    running, timeout=1.0 if watchdog else None, return_when=FIRST_COMPLETED
                )
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
                                status="timeout",
                            )
                        elif job in retried:
                            result = _crash_result(paths, job, "the grading process died twice")
                        else:
                            retried.add(job)
                            queue.insert(0, job)
                    except Exception as exc:  # noqa: BLE001 - one submission never stops a batch
                        log.error("grading %s failed: %r", job, exc)
                        result = _crash_result(paths, job, f"grader error: {type(exc).__name__}")
                    if result is not None:
                        results.append(result)
                        if progress:
                            progress(job, result)
            if broken:
                for job in running.values():
                    queue.insert(0, job)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    return results


def score_text(result: dict) -> str:
    """`score/max`, with the extra credit apart: `40/41 +4 extra`."""
    extra = result.get("extra_credit_score") or 0.0
    text = f"{result['score'] - extra:g}/{result['max_score']:g}"
    return text + (f" +{extra:g} extra" if extra else "")


def print_progress(total: int):
    count = {"n": 0}

    def progress(job: Job, result: dict) -> None:
        count["n"] += 1
        width = 30
        filled = int(width * count["n"] / max(total, 1))
        sys.stderr.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {count['n']}/{total} "
            f"{job.student:<20.20} {result['status']:<8} {score_text(result)}"
        )
        sys.stderr.flush()
        if count["n"] == total:
            sys.stderr.write("\n")

    return progress


def load_results(paths: CoursePaths, assignment: str) -> list[dict]:
    """Every results.json of `assignment`, in student order (unreadable ones skipped)."""
    out = []
    for student in paths.students(assignment):
        try:
            out.append(json.loads(paths.results(student, assignment).read_text()))
        except (OSError, ValueError):
            continue
    return out
