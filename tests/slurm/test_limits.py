"""A task that runs past its --time becomes a timeout, one cancelled while the run watches
becomes crashed: each with SLURM's reason, never a silent zero or a missing result."""

from __future__ import annotations

import subprocess

import nbformat
import pytest

from dlgrade.cluster import slurm_cli
from tests.slurm.conftest import array_job, autograde_command, wait_for_state

pytestmark = [pytest.mark.slurm, pytest.mark.slow]

LONG = [
    "--SlurmExecutor.time_limit=1",
    "--Autograder.cell_time_limit=600",
    "--Autograder.notebook_time_limit=600",
    "--Autograder.submission_time_limit=900",
]


def test_time_limit_and_scancel_are_recorded_with_their_reason(slurm_course):
    course = slurm_course
    sleeper = course.notebook("reference")
    sleeper.cells.insert(3, nbformat.v4.new_code_cell("import time\ntime.sleep(400)"))
    course.submit("tim_sleeps", sleeper)
    course.submit("cam_cancelled", sleeper)
    submitter = subprocess.Popen(
        autograde_command(course, *LONG),
        cwd=course.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        job_id, tasks = array_job(course)
        cam = tasks.index(["cam_cancelled"])
        wait_for_state(job_id, len(tasks), cam, {"RUNNING"}, timeout=120)
        slurm_cli.scancel(job_id, cam)
        out, err = submitter.communicate(timeout=240)
    finally:
        submitter.kill()
    assert submitter.returncode == 0, out[-2000:] + err[-2000:]
    tim, cam_result = course.results("tim_sleeps"), course.results("cam_cancelled")
    assert tim["status"] == "timeout"
    assert "time limit (--time=1)" in tim["status_detail"]
    assert cam_result["status"] == "crashed"
    assert "cancelled (scancel)" in cam_result["status_detail"]
    assert tim["score"] == cam_result["score"] == 0.0
    assert "2 submissions of hello" in out
