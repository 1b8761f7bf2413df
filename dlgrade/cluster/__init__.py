"""Executors: where a batch's submissions are graded. ``local`` grades them in a pool of
processes on this machine (`dlgrade.grading.batch.run_batch`); ``slurm`` grades them as
one SLURM job array whose tasks run the same sandboxes on the cluster's nodes.

Chosen with ``c.Autograder.executor``; more register by name in :data:`EXECUTORS` or in
the ``dlgrade.executors`` entry-point group.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from importlib.metadata import entry_points

from traitlets.config import Config, LoggingConfigurable

from dlgrade.grading import batch
from dlgrade.paths import CoursePaths

Progress = Callable[[batch.Job, dict], None] | None


class Executor(LoggingConfigurable):
    """Grades a list of jobs and returns their results (written to results.json as well)."""

    def run(
        self,
        config: Config,
        paths: CoursePaths,
        jobs: list[batch.Job],
        workers: int,
        progress: Progress = None,
    ) -> list[dict]:
        raise NotImplementedError


class LocalExecutor(Executor):
    """Grade on this machine with `workers` pool processes."""

    def run(self, config, paths, jobs, workers, progress=None):
        return batch.run_batch(config, paths, jobs, workers, progress)


EXECUTORS: dict[str, str] = {
    "local": "dlgrade.cluster:LocalExecutor",
    "slurm": "dlgrade.cluster.slurm:SlurmExecutor",
}


def get_executor_class(name: str) -> type[Executor]:
    """The executor class registered as `name`."""
    target = EXECUTORS.get(name)
    if target is None:
        for ep in entry_points(group="dlgrade.executors"):
            if ep.name == name:
                return ep.load()
        raise KeyError(f"unknown executor {name!r}; known: {sorted(EXECUTORS)}")
    module, _, cls = target.partition(":")
    return getattr(import_module(module), cls)
