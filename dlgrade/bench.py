"""Benchmarks: sandbox overhead per submission, 1→2 worker scaling, nbgrader comparison.

Overhead is the sandboxed grading time of the reference solution minus a *bare* run of
the same graders against the same notebook executed in-process (the tests' own compute),
both in the same warm process, medians over repetitions.
"""

from __future__ import annotations

import copy
import json
import shutil
import statistics
import time
from pathlib import Path

import nbformat
from nbconvert.exporters import NotebookExporter
from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config

from dlgrade.demo import TIMESTAMP
from dlgrade.grading import batch, runner
from dlgrade.grading.autograder import Autograder
from dlgrade.grading.variants import build_for
from dlgrade.paths import CoursePaths, atomic_write
from dlgrade.release import release_assignment


def copy_course(
    paths: CoursePaths, assignments: list[str], target: Path
) -> tuple[CoursePaths, Config]:
    """A scratch course with the same source/, graders/ and config, released."""
    shutil.rmtree(target, ignore_errors=True)
    config = Config(paths.config)
    config.CourseDirectory.root = str(target)
    config.CourseDirectory.db_url = f"sqlite:///{target}/gradebook.db"
    config.Exchange.root = str(target / "exchange")
    (target / "exchange").mkdir(parents=True)  # nbgrader logs a missing one as CRITICAL
    bench_paths = CoursePaths(CourseDirectory(config=config), config=config)
    for a in assignments:
        shutil.copytree(paths.source(a), bench_paths.source(a))
        shutil.copytree(paths.graders(a), bench_paths.graders(a))
    api = NbGraderAPI(coursedir=bench_paths.coursedir, config=config)
    for a in assignments:
        release_assignment(api, bench_paths, a)
    return bench_paths, config


def submit_copies(paths: CoursePaths, assignment: str, n: int) -> list[str]:
    nb = build_for(paths, assignment, "reference")
    students = [f"student{i:02d}" for i in range(n)]
    for s in students:
        folder = paths.submitted(s, assignment)
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / f"{paths.notebook(assignment)}.ipynb")
        (folder / "timestamp.txt").write_text(TIMESTAMP)
    return students


def overhead(paths: CoursePaths, config: Config, assignment: str, reps: int) -> dict:
    grader = Autograder(config=config)
    backend = grader.make_backend()
    notebook = paths.submitted("student00", assignment) / f"{paths.notebook(assignment)}.ipynb"
    inputs = grader.inputs(paths, assignment, notebook)
    job = grader.job(paths, 0, f"bench-{assignment}")
    runner.grade(inputs, None, None)  # warm-up: imports, reference namespace
    bare, sandboxed, scores = [], [], set()
    for _ in range(reps):
        t = time.monotonic()
        r_bare, _ = runner.grade(inputs, None, None)
        bare.append(time.monotonic() - t)
        t = time.monotonic()
        r_box, _ = runner.grade(inputs, backend, job)
        sandboxed.append(time.monotonic() - t)
        scores |= {(r_bare["score"], r_bare["max_score"]), (r_box["score"], r_box["max_score"])}
    backend.close()
    b, s = statistics.median(bare), statistics.median(sandboxed)
    return {
        "assignment": assignment,
        "bare_s": round(b, 3),
        "sandboxed_s": round(s, 3),
        "overhead_s": round(s - b, 3),
        "reps": reps,
        "scores": sorted(scores),
    }


def scaling(
    paths: CoursePaths, config: Config, assignment: str, workers: list[int], reps: int = 2
) -> dict:
    """The batch graded with each worker count, best of `reps` runs (interleaved, so a
    slow spell of the machine does not favour one count)."""
    jobs = [batch.Job(assignment, s) for s in paths.students(assignment)]
    times: dict[int, float] = {}
    for _ in range(reps):
        for w in workers:
            t = time.monotonic()
            batch.run_batch(config, paths, jobs, w)
            times[w] = min(times.get(w, float("inf")), round(time.monotonic() - t, 2))
    base = times[workers[0]]
    return {
        "assignment": assignment,
        "submissions": len(jobs),
        "seconds": times,
        "speedup": {w: round(base / t, 2) for w, t in times.items()},
    }


def nbgrader_autograde(paths: CoursePaths, config: Config, assignment: str, limit: int) -> dict:
    """nbgrader's own autograde (kernel per notebook, visible tests only) on the first
    `limit` of the same files. The course turns nbgrader's in-kernel autograde off; the
    bench turns it back on for its own copies of the reference solution (trusted code)."""
    trusted = copy.deepcopy(config)
    trusted.Autograde.exporter_class = NotebookExporter
    api = NbGraderAPI(coursedir=paths.coursedir, config=trusted)
    students = paths.students(assignment)[:limit]
    t = time.monotonic()
    ok = sum(
        bool(api.autograde(assignment, s, force=True, create=True).get("success")) for s in students
    )
    elapsed = time.monotonic() - t
    return {
        "assignment": assignment,
        "submissions": len(students),
        "succeeded": ok,
        "seconds": round(elapsed, 2),
        "per_submission_s": round(elapsed / max(len(students), 1), 3),
    }


def write_report(out_dir: Path, figures: dict) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write(out_dir / "results.json", json.dumps(figures, indent=1))
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {figures['machine']}",
        "",
        "## Overhead per submission (sandboxed − bare, medians)",
        "",
        "| assignment | bare s | sandboxed s | overhead s |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {o['assignment']} | {o['bare_s']} | {o['sandboxed_s']} | {o['overhead_s']} |"
        for o in figures["overhead"]
    ]
    sc = figures["scaling"]
    lines += [
        "",
        f"## Scaling ({sc['assignment']}, {sc['submissions']} submissions, best of 2 runs)",
        "",
        "| workers | seconds | speed-up |",
        "|---|---|---|",
    ]
    lines += [f"| {w} | {sc['seconds'][w]} | {sc['speedup'][w]} |" for w in sc["seconds"]]
    nb = figures.get("nbgrader")
    if nb:
        lines += [
            "",
            "## nbgrader autograde on the same submissions",
            "",
            f"{nb['submissions']} submissions in {nb['seconds']} s "
            f"({nb['per_submission_s']} s each; nbgrader executes every cell, the "
            "experiments included, and runs only the visible tests, inside the student's "
            "own kernel).",
        ]
    path = out_dir / "RESULTS.md"
    atomic_write(path, "\n".join(lines) + "\n")
    return path
