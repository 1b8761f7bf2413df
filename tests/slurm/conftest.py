"""Fixtures for the SLURM tests: the single-node cluster of `make slurm-up`, and a way to
run `dlgrade autograde` against it exactly as an instructor does.

`make slurm-test` sets DLGRADE_REQUIRE_SLURM=1, so a cluster that does not answer fails
the run instead of skipping it; elsewhere these tests skip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dlgrade.cluster import slurm_cli
from tests.conftest import Course, make_course

FAST_POLL = ["--SlurmExecutor.poll_interval=1", "--SlurmExecutor.results_grace=3"]


@pytest.fixture(scope="session")
def slurm_cluster() -> None:
    if not slurm_cli.available():
        why = "no SLURM cluster answers (make slurm-up)"
        if os.environ.get("DLGRADE_REQUIRE_SLURM") == "1":
            pytest.fail(why)
        pytest.skip(why)


@pytest.fixture
def slurm_course(slurm_cluster) -> Course:
    """A fresh released copy of the fixture course (removed afterwards: only that folder)."""
    course = make_course()
    yield course
    shutil.rmtree(course.root, ignore_errors=True)


def autograde_command(course: Course, *args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "dlgrade",
        "autograde",
        f"--assignment={course.assignment}",
        "--executor=slurm",
        *FAST_POLL,
        *args,
    ]


def autograde(course: Course, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """`dlgrade autograde --executor=slurm` in the course root; fails the test on error."""
    proc = subprocess.run(
        autograde_command(course, *args),
        cwd=course.root,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def state_folder(course: Course) -> Path:
    return course.root / ".dlgrade" / "slurm" / course.assignment


def manifests(course: Course) -> list[dict]:
    """Every array the runs submitted, oldest first."""
    return [json.loads(p.read_text()) for p in sorted(state_folder(course).glob("array-*.json"))]


def array_job(course: Course, timeout: float = 60) -> tuple[str, list[list[str]]]:
    """(id, tasks) of the array job the running submitter recorded in state.json."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            arrays = json.loads((state_folder(course) / "state.json").read_text())["arrays"]
        except (OSError, ValueError, KeyError):
            arrays = []
        if arrays:
            return arrays[-1]["job_id"], arrays[-1]["tasks"]
        time.sleep(0.5)
    raise AssertionError("the submitter recorded no array job")


def wait_for_state(job_id: str, count: int, index: int, wanted: set[str], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    state = ""
    while time.monotonic() < deadline:
        state = slurm_cli.task_states(job_id, count)[index][0]
        if state in wanted:
            return state
        time.sleep(0.5)
    raise AssertionError(f"task {job_id}_{index} is {state}, not in {wanted}")
