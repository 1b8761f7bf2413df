"""A batch graded through the SLURM cluster scores exactly as the local backend does."""

from __future__ import annotations

import shutil

import nbformat
import pytest
from nbgrader.api import Gradebook

from tests.conftest import Course, make_course, score_summary
from tests.slurm.conftest import autograde, manifests

pytestmark = [pytest.mark.slurm, pytest.mark.slow]


def _class(course: Course) -> list[str]:
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


@pytest.fixture(scope="module")
def graded(slurm_cluster):
    local, cluster = make_course(), make_course()
    try:
        students = _class(local)
        _class(cluster)
        by_local = local.grade(workers=2)
        proc = autograde(cluster, "--SlurmExecutor.max_parallel=2")
        by_slurm = {
            s: cluster.results(s)
            for s in students
            if cluster.paths.results(s, cluster.assignment).exists()
        }
        yield students, by_local, by_slurm, proc, cluster
    finally:
        shutil.rmtree(local.root, ignore_errors=True)
        shutil.rmtree(cluster.root, ignore_errors=True)


def test_every_submission_went_through_one_array(graded):
    """One array job, one task per submission, every submission with a result."""
    students, _, by_slurm, _, cluster = graded
    assert sorted(by_slurm) == students
    (manifest,) = manifests(cluster)
    assert sorted(s for task in manifest["tasks"] for s in task) == students
    assert all(len(task) == 1 for task in manifest["tasks"])
    ada = by_slurm["ada_reference"]
    assert ada["status"] == "graded" and ada["score"] == ada["max_score"] > 0


def test_slurm_scores_equal_local_scores(graded):
    """Same submissions, same graders: the same status, score and verdict per test."""
    students, by_local, by_slurm, _, _ = graded
    assert by_local["cy_wrong_dim"]["score"] < by_local["ada_reference"]["score"]
    for student in students:
        assert score_summary(by_slurm[student]) == score_summary(by_local[student]), student


def test_summary_and_gradebook_as_locally(graded):
    """The run prints the same summary as a local one and fills the gradebook."""
    students, _, by_slurm, proc, cluster = graded
    assert f"{len(students)} submissions of hello" in proc.stdout
    assert by_slurm["eve_garbage"]["status"] == "invalid"
    with Gradebook(cluster.paths.coursedir.db_url, cluster.paths.coursedir.course_id) as gb:
        stored = gb.find_submission(cluster.assignment, "ada_reference").score
    assert stored == by_slurm["ada_reference"]["score"] > 0
