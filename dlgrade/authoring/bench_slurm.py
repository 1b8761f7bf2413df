"""Benchmark: one batch graded through the SLURM cluster (`%K` tasks at once) against the
local pool with K workers, and what the measured cost per submission means for a course.

Runs only when a SLURM controller answers (`make slurm-up`); writes bench/slurm.json and
bench/SLURM.md next to the other figures.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from traitlets.config import Config

from dlgrade.authoring.bench import submit_copies
from dlgrade.cluster import slurm_cli
from dlgrade.cluster.slurm import SlurmExecutor
from dlgrade.grading import batch
from dlgrade.grading.autograder import Autograder
from dlgrade.paths import CoursePaths, atomic_write

STUDENTS, ASSIGNMENTS = 300, 12
SUBMISSIONS = 48  # the batch both ways (the figure: 48 with %2 against 2 workers)
NODES = (1, 4, 16)


def throughput(
    paths: CoursePaths, config: Config, assignment: str, parallel: int = 2, per_task: int = 1
) -> dict:
    """Seconds to grade every submission of `assignment` locally (`parallel` workers), then
    through one SLURM array (`%parallel`, `per_task` submissions per task; 0: one task per
    slot)."""
    jobs = [batch.Job(assignment, s) for s in paths.students(assignment)]
    cfg = Config(config)
    cfg.Autograder.workers = parallel
    cfg.SlurmExecutor.max_parallel = parallel
    cfg.SlurmExecutor.submissions_per_task = per_task
    cfg.SlurmExecutor.poll_interval = 1.0
    t = time.monotonic()
    local = Autograder(config=cfg, executor="local").grade_jobs(paths, jobs)
    local_s = time.monotonic() - t
    t = time.monotonic()
    remote = Autograder(config=cfg, executor="slurm").grade_jobs(paths, jobs)
    slurm_s = time.monotonic() - t
    same = sorted((r.student, r.score) for r in local) == sorted(
        (r.student, r.score) for r in remote
    )
    return {
        "assignment": assignment,
        "submissions": len(jobs),
        "parallel": parallel,
        "submissions_per_task": SlurmExecutor(config=cfg).per_task(len(jobs)),
        "auto": per_task == 0,
        "local_s": round(local_s, 2),
        "slurm_s": round(slurm_s, 2),
        "ratio": round(local_s / slurm_s, 3) if slurm_s else None,
        "same_scores": same,
        "slurm_per_submission_s": round(slurm_s * parallel / max(len(jobs), 1), 2),
    }


def course_table(per_submission_s: float, cores_per_node: int) -> list[dict]:
    """Submissions per hour, minutes per assignment and hours per course for STUDENTS × ASSIGNMENTS on N nodes
    with one task per core, from the measured cost of one submission on one core."""
    rows = []
    for nodes in NODES:
        per_hour = 3600.0 / per_submission_s * cores_per_node * nodes
        rows.append(
            {
                "nodes": nodes,
                "submissions_per_hour": round(per_hour),
                "minutes_per_assignment": round(60 * STUDENTS / per_hour, 1),
                "hours_per_course": round(STUDENTS * ASSIGNMENTS / per_hour, 1),
            }
        )
    return rows


def run(paths: CoursePaths, config: Config, assignment: str, out_dir: Path) -> dict | None:
    """Both figures and the course table, written to `out_dir`; None without a cluster."""
    if not slurm_cli.available():
        return None
    submit_copies(paths, assignment, SUBMISSIONS)
    figures = {"throughput": [throughput(paths, config, assignment, per_task=k) for k in (1, 4, 0)]}
    best = min(figures["throughput"], key=lambda f: f["slurm_s"])
    cores = SlurmExecutor(config=config).cpus_per_task
    figures["course"] = course_table(best["slurm_per_submission_s"] / cores, cores_per_node=16)
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write(out_dir / "slurm.json", json.dumps(figures, indent=1))
    lines = [
        "# Grading through SLURM",
        "",
        "| submissions | at once | per task | local s | SLURM s | local/SLURM | same scores |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {f['submissions']} | {f['parallel']} | "
        f"{f['submissions_per_task']}{' (auto)' if f.get('auto') else ''} | "
        f"{f['local_s']} | {f['slurm_s']} | {f['ratio']} | {f['same_scores']} |"
        for f in figures["throughput"]
    ]
    lines += [
        "",
        f"## {STUDENTS} students × {ASSIGNMENTS} assignments, 16-core nodes "
        f"({best['slurm_per_submission_s']} s per submission per core, measured)",
        "",
        "| nodes | submissions/hour | minutes per assignment | hours for the course |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {r['nodes']} | {r['submissions_per_hour']} | {r['minutes_per_assignment']} | "
        f"{r['hours_per_course']} |"
        for r in figures["course"]
    ]
    atomic_write(out_dir / "SLURM.md", "\n".join(lines) + "\n")
    return figures
