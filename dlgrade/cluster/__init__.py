"""Executors: where a batch's submissions are graded. ``local`` grades them in a pool of
processes on this machine (`dlgrade.grading.batch.run_batch`); ``inline`` one after another
in this process (what a SLURM array task does); ``slurm`` as one SLURM job array whose
tasks run the same sandboxes on the cluster's nodes.

Chosen with ``c.Autograder.executor``; each is an entry point of the ``dlgrade.executors``
group (dlgrade's pyproject.toml), so a package can add its own.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points

from traitlets.config import Config, LoggingConfigurable

from dlgrade.grading import batch
from dlgrade.grading.results import Result
from dlgrade.paths import CoursePaths

EXECUTOR_GROUP = "dlgrade.executors"
Progress = Callable[[batch.Job, Result], None] | None


class Executor(LoggingConfigurable):
    """Grades a list of jobs and returns their results (written to results.json as well)."""

    def run(
        self,
        config: Config,
        paths: CoursePaths,
        jobs: list[batch.Job],
        workers: int,
        progress: Progress = None,
    ) -> list:
        raise NotImplementedError


class LocalExecutor(Executor):
    """Grade on this machine with `workers` pool processes."""

    def run(self, config, paths, jobs, workers, progress=None):
        return batch.run_batch(config, paths, jobs, workers, progress)


class InlineExecutor(Executor):
    """Grade one job after another in this process (a SLURM array task; no pool, so no
    watchdog either: the array task's own time limit is the backstop)."""

    def run(self, config, paths, jobs, workers, progress=None):
        return batch.grade_inline(config, jobs, progress)


def executor_names() -> list[str]:
    """The executors registered in the entry-point group EXECUTOR_GROUP."""
    return sorted({ep.name for ep in entry_points(group=EXECUTOR_GROUP)})


def get_executor_class(name: str) -> type[Executor]:
    """The executor class registered as `name`; KeyError naming the known ones."""
    for ep in entry_points(group=EXECUTOR_GROUP, name=name):
        return ep.load()
    raise KeyError(f"unknown executor {name!r}; known: {', '.join(executor_names())}")
