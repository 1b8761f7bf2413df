"""Benchmarks of the path a TA runs, on copies of the reference solution.

* grading function: the sandboxed grading of one submission against a *bare* run of the
  same graders with the notebook executed in-process (the tests' own compute), both in the
  same warm process, medians over repetitions;
* end to end: ``dlgrade autograde`` as a TA types it (a fresh command, one worker,
  ``--force``) on two batch sizes: the marginal cost per submission is the slope, the
  fixed cost per run (start-up, pool, sandbox template, gradebook) the intercept;
* scaling: the same command with 1 and 2 workers on each scaling batch size, and again
  with the batches sent to a warm grading service (``dlgrade.authoring.bench_service``);
* mutation throughput: mutants per minute of ``dlgrade.authoring.mutate`` on 2 workers;
* ``nbgrader autograde`` on the same files, for comparison;
* the competition: evaluation time of one submission per encoder size
  (``dlgrade.authoring.bench_compete``), and the leaderboard's response time under 50
  students polling it (``dlgrade.authoring.bench_board``).

Everything runs in a scratch copy of the course (``build/bench-course``); figures go to
``bench/RESULTS.md`` and ``bench/results.json``.
"""

from __future__ import annotations

import copy
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from nbconvert.exporters import NotebookExporter
from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from traitlets import Bool, Integer, List, Unicode
from traitlets.config import Config, LoggingConfigurable

from dlgrade.authoring.bench_report import machine, write_report
from dlgrade.authoring.demo import TIMESTAMP
from dlgrade.authoring.variants import build_for, submission_files, write_submission
from dlgrade.grading.autograder import Autograder
from dlgrade.paths import CoursePaths, atomic_write
from dlgrade.release import release_assignment

CONFIG_FILE = """\
# Written by dlgrade.authoring.bench: the course's settings, rooted in this scratch copy.
import json

from traitlets.config import Config

c = get_config()  # noqa: F821
c.merge(Config(json.loads({payload!r})))
"""


class Bench(LoggingConfigurable):
    """What `dlgrade bench` measures, and how much of it."""

    reps = Integer(3, help="Repetitions of the grading-function measurement (medians).").tag(
        config=True
    )
    batch_sizes = List(
        Integer(),
        [8, 24],
        minlen=2,
        maxlen=2,
        help="Two batch sizes for `dlgrade autograde` on one worker, per assignment: the "
        "marginal cost per submission is the slope between them, the fixed cost the rest.",
    ).tag(config=True)
    scaling_sizes = List(
        Integer(), [8, 24], help="Batch sizes graded with 1 and 2 workers (end to end)."
    ).tag(config=True)
    scaling_assignment = Unicode("", help="Assignment of the scaling runs (default: first).").tag(
        config=True
    )
    service = Bool(
        True,
        help="Also run the scaling batches through a warm grading service (`dlgrade "
        "serve`, dlgrade.authoring.bench_service).",
    ).tag(config=True)
    mutants = Integer(
        8, help="Mutants graded (on 2 workers) to measure mutants per minute; 0 skips it."
    ).tag(config=True)
    nbgrader_submissions = Integer(
        4, help="Submissions `nbgrader autograde` grades for the comparison; 0 skips it."
    ).tag(config=True)
    slurm = Bool(True, help="Also time a batch through SLURM when a controller answers.").tag(
        config=True
    )
    quick = Bool(
        False,
        help="A smoke run: the first assignment only, batches of 2 and 4, scaling on 4, two "
        "mutants, one repetition, no nbgrader or SLURM comparison.",
    ).tag(config=True)
    competition = Bool(
        True,
        help="Also time the competition's evaluation of one submission per encoder size "
        "(dlgrade.authoring.bench_compete) when the course has graders/represent/"
        "competition.json.",
    ).tag(config=True)
    board_pollers = Integer(
        50,
        help="Students polling the competition's leaderboard at once (its response time, "
        "dlgrade.authoring.bench_board; loopback, a throwaway hub); 0 skips it.",
    ).tag(config=True)
    output_directory = Unicode("bench", help="Where RESULTS.md and results.json go.").tag(
        config=True
    )

    def run(self, paths: CoursePaths, assignments: list[str]) -> Path:
        """Measure `assignments` in a scratch copy of the course; returns RESULTS.md."""
        from dlgrade.authoring import bench_compete, bench_slurm

        if self.quick:
            assignments = assignments[:1]
        reps, sizes = (1, [2, 4]) if self.quick else (self.reps, list(self.batch_sizes))
        scaling_sizes = [4] if self.quick else list(self.scaling_sizes)
        target = self.scaling_assignment if self.scaling_assignment in assignments else ""
        target = target or assignments[0]
        scratch, config = copy_course(paths, assignments, paths.root / "build" / "bench-course")
        figures: dict = {"machine": machine(), "quick": self.quick, "overhead": []}
        figures["end_to_end"], figures["scaling"] = [], None
        for a in assignments:
            submit_copies(scratch, a, max(sizes + scaling_sizes))
            figures["overhead"].append(overhead(scratch, config, a, reps))
            seconds = {n: autograde_seconds(scratch, a, n, 1) for n in sizes}
            figures["end_to_end"].append(end_to_end(a, seconds, figures["overhead"][-1]))
            self.log.info("%s: %s", a, figures["end_to_end"][-1])
        one_worker = next(e["seconds"] for e in figures["end_to_end"] if e["assignment"] == target)
        figures["scaling"] = scaling(scratch, target, scaling_sizes, one_worker)
        if self.service:
            from dlgrade.authoring import bench_service

            figures["service"] = bench_service.run(scratch, target, scaling_sizes)
        if self.mutants > 0:
            figures["mutation"] = mutation_throughput(
                scratch, target, 2 if self.quick else self.mutants
            )
        if self.nbgrader_submissions > 0 and not self.quick:
            figures["nbgrader"] = nbgrader_autograde(
                scratch, config, target, self.nbgrader_submissions
            )
        if self.competition:
            figures["competition"] = bench_compete.run(paths, self.quick, self.reps, self.log)
        if self.board_pollers > 0:
            from dlgrade.authoring import bench_board

            figures["board"] = bench_board.run(self.board_pollers, quick=self.quick)
        out = write_report(paths.root / self.output_directory, figures)
        if self.slurm and not self.quick:
            bench_slurm.run(scratch, config, target, paths.root / self.output_directory)
        return out


def copy_course(
    paths: CoursePaths, assignments: list[str], target: Path
) -> tuple[CoursePaths, Config]:
    """A scratch course with the same source/, graders/ and config, released, and an
    nbgrader_config.py of those settings (for the command line)."""
    from dlgrade.cluster.slurm import plain_config

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
    payload = json.dumps(plain_config(config))
    atomic_write(target / "nbgrader_config.py", CONFIG_FILE.format(payload=payload))
    return bench_paths, config


def submit_copies(paths: CoursePaths, assignment: str, n: int) -> list[str]:
    nb = build_for(paths, assignment, "reference")
    files = submission_files(paths.graders(assignment), "reference")
    students = [f"student{i:02d}" for i in range(n)]
    for s in students:
        folder = paths.submitted(s, assignment)
        write_submission(folder, f"{paths.notebook(assignment)}.ipynb", nb, files)
        (folder / "timestamp.txt").write_text(TIMESTAMP)
    return students


def overhead(paths: CoursePaths, config: Config, assignment: str, reps: int) -> dict:
    """The grading function, sandboxed and bare, in one warm process (medians)."""
    grader = Autograder(config=config)
    notebook = paths.submitted("student00", assignment) / f"{paths.notebook(assignment)}.ipynb"
    bare, sandboxed, scores = [], [], set()
    try:
        grader.grade_notebook(paths, assignment, notebook, sandboxed=False)  # warm-up: imports,
        grader.grade_notebook(paths, assignment, notebook, label="bench")  # reference, template
        for _ in range(reps):
            t = time.monotonic()
            r_bare, _ = grader.grade_notebook(paths, assignment, notebook, sandboxed=False)
            bare.append(time.monotonic() - t)
            t = time.monotonic()
            r_box, _ = grader.grade_notebook(paths, assignment, notebook, label="bench")
            sandboxed.append(time.monotonic() - t)
            scores |= {(r_bare.score, r_bare.max_score), (r_box.score, r_box.max_score)}
    finally:
        grader.close()
    b, s = statistics.median(bare), statistics.median(sandboxed)
    return {
        "assignment": assignment,
        "bare_s": round(b, 3),
        "sandboxed_s": round(s, 3),
        "overhead_s": round(s - b, 3),
        "reps": reps,
        "scores": sorted(scores),
    }


def autograde_seconds(
    paths: CoursePaths, assignment: str, n: int, workers: int, executor: str = "local"
) -> float:
    """Wall-clock seconds of `python -m dlgrade autograde --force` on the first `n`
    submissions (their own submitted-<n> folder), from the command to its exit; with
    `executor="service"`, a service that does not grade them all fails the run."""
    submitted, autograded = f"submitted-{n}", f"autograded-{n}"
    source = paths.submitted_base()
    for i in range(n):
        student = f"student{i:02d}"
        folder = paths.root / submitted / student / assignment
        if not folder.exists():
            shutil.copytree(source / student / assignment, folder)
    cmd = [
        sys.executable,
        "-m",
        "dlgrade",
        "autograde",
        f"--assignment={assignment}",
        f"--Autograder.workers={workers}",
        f"--Autograder.executor={executor}",
        "--ServiceExecutor.fallback=False",
        f"--CourseDirectory.submitted_directory={submitted}",
        f"--CourseDirectory.autograded_directory={autograded}",
        "--force",
    ]
    t = time.monotonic()
    done = subprocess.run(cmd, cwd=paths.root, capture_output=True, text=True)
    elapsed = time.monotonic() - t
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stderr[-3000:]}")
    graded = list((paths.root / autograded).glob(f"*/{assignment}/results.json"))
    if len(graded) != n:
        raise RuntimeError(f"{assignment}: {len(graded)} of {n} submissions have results")
    return round(elapsed, 2)


def end_to_end(assignment: str, seconds: dict[int, float], function: dict) -> dict:
    """Marginal and fixed cost of `dlgrade autograde` from two batch sizes, next to the
    bare grading function and the targets (marginal ≤ bare + 0.5 s, fixed ≤ 5 s)."""
    (n1, t1), (n2, t2) = sorted(seconds.items())
    marginal = (t2 - t1) / (n2 - n1)
    bare = function["bare_s"]
    return {
        "assignment": assignment,
        "seconds": {str(n): t for n, t in sorted(seconds.items())},
        "marginal_s": round(marginal, 3),
        "fixed_s": round(t1 - n1 * marginal, 2),
        "bare_s": bare,
        "marginal_over_bare_s": round(marginal - bare, 3),
        "marginal_ratio": round(marginal / bare, 3) if bare else None,
        "within_targets": marginal <= bare + 0.5 and t1 - n1 * marginal <= 5.0,
    }


def scaling(
    paths: CoursePaths,
    assignment: str,
    sizes: list[int],
    one_worker: dict[str, float],
    executor: str = "local",
) -> dict:
    """`dlgrade autograde` with 1 and 2 workers on each batch size (the one-worker runs
    of the end-to-end figures are reused where the size is the same)."""
    rows = []
    for n in sizes:
        one = one_worker.get(str(n)) or autograde_seconds(paths, assignment, n, 1, executor)
        two = autograde_seconds(paths, assignment, n, 2, executor)
        rows.append(
            {"submissions": n, "seconds": {"1": one, "2": two}, "speedup": round(one / two, 2)}
        )
    return {"assignment": assignment, "rows": rows}


def mutation_throughput(paths: CoursePaths, assignment: str, mutants: int) -> dict:
    """Mutants graded per minute by `dlgrade.authoring.mutate` on 2 workers (in the
    scratch course, whose graders/ receive the report)."""
    from dlgrade.authoring.mutate import MutationRun, run

    settings = MutationRun(config=paths.config, max_mutants=mutants)
    t = time.monotonic()
    report = run(paths, assignment, settings, 2)
    elapsed = time.monotonic() - t
    graded = len(report["mutants"]) + 1  # and the reference
    return {
        "assignment": assignment,
        "workers": 2,
        "graded": graded,
        "seconds": round(elapsed, 2),
        "per_minute": round(60 * graded / elapsed, 1),
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
