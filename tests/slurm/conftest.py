"""Fixtures for the SLURM tests: the single-node cluster of `make slurm-up` (with a gpu
GRES for one module where asked), a way to run `dlgrade autograde` against it exactly as an
instructor does, and a small class graded both locally and through SLURM.

`make slurm-test` sets DLGRADE_REQUIRE_SLURM=1, so a cluster that does not answer fails
the run instead of skipping it; elsewhere these tests skip.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from dlgrade.cluster import slurm_cli
from dlgrade.hub.profiles import sinfo
from tests.conftest import REPO, Course, make_course

FAST_POLL = ["--SlurmExecutor.poll_interval=1", "--SlurmExecutor.results_grace=3"]


@pytest.fixture(scope="session")
def slurm_cluster() -> None:
    if not slurm_cli.available():
        why = "no SLURM cluster answers (make slurm-up)"
        if os.environ.get("DLGRADE_REQUIRE_SLURM") == "1":
            pytest.fail(why)
        pytest.skip(why)


def node_gpus() -> int:
    """The gpu GRES count `sinfo -o %G` lists (`gpu:2`, `gpu:a100:4(S:0)`; 0 without)."""
    parts = (sinfo("--Node", "--format=%G") or "").replace("\n", ",").split(",")
    return sum(int(m[1]) for p in parts if (m := re.match(r"\s*gpu(?::[^:(]+)?:(\d+)", p)))


def slurm_up(placeholder_gpus: int) -> None:
    """scripts/slurm-up.sh with SLURM_PLACEHOLDER_GPUS (it restarts the daemons when the
    node's GRES changes)."""
    env = {**os.environ, "SLURM_PLACEHOLDER_GPUS": str(placeholder_gpus)}
    proc = subprocess.run(
        ["bash", str(REPO / "scripts" / "slurm-up.sh")],
        env=env, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def one_gpu(slurm_cluster) -> Iterator[int]:
    """The node lists a gpu GRES for this module: where it has none, the cluster is
    restarted with one placeholder gpu (a GRES entry whose File= is a placeholder device,
    not a GPU: SLURM schedules it, nothing can compute on it) and restarted without it
    afterwards, so the other modules find the cluster as before. Yields the GPU count."""
    if gpus := node_gpus():
        yield gpus
        return
    if os.geteuid() != 0:
        why = "adding a placeholder gpu GRES restarts the cluster: run as root (make slurm-test)"
        if os.environ.get("DLGRADE_REQUIRE_SLURM") == "1":
            pytest.fail(why)
        pytest.skip(why)
    slurm_up(placeholder_gpus=1)
    try:
        node = subprocess.run(
            ["scontrol", "show", "node", "--oneliner"],
            capture_output=True, text=True, timeout=60, check=True,
        ).stdout  # fmt: skip
        assert node_gpus() == 1 and "Gres=gpu:1 " in node, node
        assert re.search(r"State=(IDLE|MIXED|ALLOCATED) ", node), node
        yield 1
    finally:
        slurm_up(placeholder_gpus=0)
        assert node_gpus() == 0, sinfo("--format=%G")


def scontrol_jobs(job_id: str) -> list[dict[str, str]]:
    """`scontrol show job <id>`: one Key=Value dict per job (per task of an array)."""
    out = subprocess.run(
        ["scontrol", "show", "job", "--oneliner", job_id],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout  # fmt: skip
    return [dict(re.findall(r"(\w+)=(\S*)", line)) for line in out.splitlines() if line.strip()]


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


def small_class(course: Course) -> list[str]:
    """A small class: full marks, nothing done, one bug, a crash, no notebook at all."""
    wrong_dim = course.notebook("reference")
    wrong_dim.cells[
        2
    ].source = "def softmax(x, dim=-1):\n    e = x.exp()\n    return e / e.sum(dim=0, keepdim=True)"
    crash = course.notebook("reference")
    crash.cells.insert(3, nbformat.v4.new_code_cell("import os\nos._exit(3)"))
    submissions = {
        "ada_reference": course.notebook("reference"),
        "bea_blank": course.notebook("blank"),
        "cy_wrong_dim": wrong_dim,
        "dan_crash": crash,
        "eve_garbage": b"\x00 not a notebook",
    }
    for student, nb in submissions.items():
        course.submit(student, nb)
    return sorted(submissions)


@dataclass
class Graded:
    """The small class graded twice with the same course config."""

    students: list[str]
    by_local: dict[str, dict]
    by_slurm: dict[str, dict]
    proc: subprocess.CompletedProcess
    cluster: Course


@contextmanager
def graded_both_ways(*args: str, config: str = "") -> Iterator[Graded]:
    """Two copies of the small class, `config` added to both nbgrader_config.py files: one
    graded by the local backend, one by `dlgrade autograde --executor=slurm <args>`."""
    local, cluster = make_course(), make_course()
    try:
        for course in (local, cluster):
            with (course.root / "nbgrader_config.py").open("a", encoding="utf-8") as fh:
                fh.write(config)
        local, cluster = Course(local.root), Course(cluster.root)
        students = small_class(local)
        small_class(cluster)
        by_local = local.grade(workers=2)
        proc = autograde(cluster, *args)
        by_slurm = {
            s: cluster.results(s)
            for s in students
            if cluster.paths.results(s, cluster.assignment).exists()
        }
        yield Graded(students, by_local, by_slurm, proc, cluster)
    finally:
        shutil.rmtree(local.root, ignore_errors=True)
        shutil.rmtree(cluster.root, ignore_errors=True)


def array_jobs_run(course: Course) -> list[str]:
    """Ids of the array jobs whose tasks wrote logs in the course's state folder."""
    logs = (state_folder(course) / "logs").glob("*_*.log")
    return sorted({p.name.split("_")[0] for p in logs}, key=int)
