"""Consistency checks between an assignment's notebook and its hidden graders."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlgrade.notebook import grade_id, is_grade, nbgrader_meta, read_notebook
from dlgrade.paths import CoursePaths


class _Collector:
    def __init__(self) -> None:
        self.points: dict[str, float] = {}
        self.errors: list[str] = []

    def pytest_collection_modifyitems(self, items) -> None:
        for item in items:
            if item.get_closest_marker("extra_credit"):
                continue
            task = item.get_closest_marker("task")
            points = item.get_closest_marker("points")
            key = task.args[0] if task and task.args else ""
            self.points[key] = self.points.get(key, 0.0) + float(points.args[0] if points else 1)

    def pytest_collectreport(self, report) -> None:
        if report.failed:
            self.errors.append(report.longreprtext[-1000:])


def grader_points(graders_dir: Path) -> tuple[dict[str, float], list[str]]:
    """Points per task declared by the graders (collected, not run)."""
    # here, not at the top: the grader plugin imports torch, and the gradebook (every TA's
    # command) needs only notebook_points
    from dlgrade.grading.plugin import fresh_grader_modules

    collector = _Collector()
    with fresh_grader_modules(graders_dir):
        _collect(graders_dir, collector)
    return collector.points, collector.errors


def _collect(graders_dir: Path, collector: _Collector) -> None:
    pytest.main(
        [
            str(graders_dir),
            "--collect-only",
            "-q",
            "-p",
            "dlgrade.grading.plugin",
            "-p",
            "no:cacheprovider",
            "--import-mode=importlib",
            "--rootdir",
            str(graders_dir),
            "-c",
            "/dev/null",
        ],
        plugins=[collector],
    )


def notebook_points(notebook: Path) -> dict[str, float]:
    nb = read_notebook(notebook)
    return {
        grade_id(c): float(nbgrader_meta(c).get("points", 0))
        for c in nb.cells
        if is_grade(c) and grade_id(c) and not nbgrader_meta(c).get("solution")
    }


def points_mismatches(paths: CoursePaths, assignment: str) -> list[str]:
    nb_points = notebook_points(paths.source(assignment) / f"{paths.notebook(assignment)}.ipynb")
    g_points, errors = grader_points(paths.graders(assignment))
    problems = [f"graders failed to collect: {e}" for e in errors]
    for task in sorted(set(nb_points) | set(g_points)):
        n, g = nb_points.get(task, 0.0), g_points.get(task, 0.0)
        if abs(n - g) > 1e-9:
            problems.append(
                f"task {task or '(no task marker)'}: notebook says {n:g} points, graders give {g:g}"
            )
    return problems
