"""A batch graded through the SLURM cluster scores exactly as the local backend does."""

from __future__ import annotations

import pytest
from nbgrader.api import Gradebook

from tests.conftest import score_summary
from tests.slurm.conftest import graded_both_ways, manifests

pytestmark = [pytest.mark.slurm, pytest.mark.slow]


@pytest.fixture(scope="module")
def graded(slurm_cluster):
    with graded_both_ways("--SlurmExecutor.max_parallel=2") as g:
        yield g.students, g.by_local, g.by_slurm, g.proc, g.cluster


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
