"""An interrupted run resumes: tasks still queued or running are adopted, finished ones are
not submitted again, and an array index cancelled with scancel is graded by the resume."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import nbformat
import pytest

from dlgrade.cluster import slurm_cli
from tests.slurm.conftest import (
    array_job,
    autograde,
    autograde_command,
    manifests,
    wait_for_state,
)

pytestmark = [pytest.mark.slurm, pytest.mark.slow]


def test_scancel_then_resume_grades_every_submission_once(slurm_course):
    course = slurm_course
    slow = course.notebook("reference")
    slow.cells.insert(3, nbformat.v4.new_code_cell("import time\ntime.sleep(10)"))
    course.submit("ada", course.notebook("reference"))
    course.submit("bob_slow", slow)
    course.submit("cy", course.notebook("blank"))
    submitter = subprocess.Popen(
        autograde_command(course, "--SlurmExecutor.max_parallel=2"),
        cwd=course.root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        job_id, tasks = array_job(course)
        bob = tasks.index(["bob_slow"])
        wait_for_state(job_id, len(tasks), bob, {"RUNNING"}, timeout=120)
    finally:
        os.killpg(submitter.pid, signal.SIGKILL)
        submitter.wait()
    slurm_cli.scancel(job_id, bob)
    wait_for_state(job_id, len(tasks), bob, {"CANCELLED"}, timeout=60)
    assert not course.paths.results("bob_slow", course.assignment).exists()

    proc = autograde(course)

    first, *later = manifests(course)
    assert sorted(s for task in first["tasks"] for s in task) == ["ada", "bob_slow", "cy"]
    assert [m["tasks"] for m in later] == [[["bob_slow"]]], "only the cancelled task again"
    results = {s: course.results(s) for s in ("ada", "bob_slow", "cy")}
    assert {s: r["status"] for s, r in results.items()} == dict.fromkeys(results, "graded")
    assert results["ada"]["score"] == results["bob_slow"]["score"] == 5.0
    assert results["cy"]["score"] == 0.0
    assert "3 submissions of hello" in proc.stdout


def test_a_task_of_several_that_ends_early_has_the_rest_graded_alone(slurm_course):
    """Two submissions in one task (submissions_per_task=0, one slot): the task is cancelled
    after the first result, while the second runs; the same run submits the second once
    more, alone, and both are graded once."""
    course = slurm_course
    slow = course.notebook("reference")
    slow.cells.insert(3, nbformat.v4.new_code_cell("import time\ntime.sleep(15)"))
    course.submit("ada", course.notebook("reference"))
    course.submit("bob_slow", slow)
    submitter = subprocess.Popen(
        autograde_command(
            course, "--SlurmExecutor.max_parallel=1", "--SlurmExecutor.submissions_per_task=0"
        ),
        cwd=course.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        job_id, tasks = array_job(course)
        assert tasks == [["ada", "bob_slow"]]
        deadline = time.monotonic() + 120
        while not course.paths.results("ada", course.assignment).exists():
            assert time.monotonic() < deadline, "ada was never graded"
            time.sleep(0.5)
        slurm_cli.scancel(job_id, 0)
        out, _ = submitter.communicate(timeout=300)
    finally:
        if submitter.poll() is None:
            os.killpg(submitter.pid, signal.SIGKILL)
    assert submitter.returncode == 0, out[-3000:]
    assert [m["tasks"] for m in manifests(course)] == [[["ada", "bob_slow"]], [["bob_slow"]]]
    results = {s: course.results(s) for s in ("ada", "bob_slow")}
    assert {s: (r["status"], r["score"]) for s, r in results.items()} == {
        "ada": ("graded", 5.0),
        "bob_slow": ("graded", 5.0),
    }
