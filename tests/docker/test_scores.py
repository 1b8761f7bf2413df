"""Grader containers score the demo's simulated class exactly as the local backend does."""

from __future__ import annotations

import shutil

import nbformat
import pytest

from dlgrade.authoring.demo import simulate_class
from dlgrade.authoring.variants import build_for
from tests.conftest import WORK, Course, copy_of_assignment, score_summary

pytestmark = pytest.mark.docker

ASSIGNMENT = "attention"
BUG_VARIANTS = 2  # the demo's class, with fewer bug variants to keep the run short
# one more hostile submission: tries the network and the file system, then behaves
PROBING = (
    "import os, socket\nfor target in [('172.17.0.1', 22), ('127.0.0.1', 22)]:\n"
    "    try:\n        socket.create_connection(target, timeout=2)\n"
    "    except OSError:\n        pass\n"
    "for path in ['/owned', os.path.expanduser('~/owned')]:\n"
    "    try:\n        open(path, 'w').write('x')\n    except OSError:\n        pass\n"
)


def _course(name: str) -> tuple[Course, list[str]]:
    """A scratch copy of the course with the demo's simulated class submitted."""
    course = copy_of_assignment(f"docker-{name}-{ASSIGNMENT}", ASSIGNMENT)
    students = simulate_class(course.paths, ASSIGNMENT, BUG_VARIANTS)
    nb = build_for(course.paths, ASSIGNMENT, "reference")
    nb.cells.append(nbformat.v4.new_code_cell(PROBING))
    course.submit("probing_reference", nb)
    return course, [*students, "probing_reference"]


@pytest.fixture(scope="module")
def graded(docker_ready):
    (local, students), (docker, _) = _course("local"), _course("docker")
    try:
        by_local = local.grade(workers=2, Autograder__sandbox_backend="local")
        by_docker = docker.grade(
            workers=2,
            Autograder__sandbox_backend="docker",
            DockerSandbox__image=docker_ready,
        )
        yield students, by_local, by_docker
    finally:
        shutil.rmtree(local.root, ignore_errors=True)
        shutil.rmtree(docker.root, ignore_errors=True)


def test_docker_backend_graded_every_submission(graded):
    """Did every submission go through a grader container?"""
    students, _, by_docker = graded
    assert sorted(by_docker) == sorted(students)
    backends = {r["grader"]["backend"] for r in by_docker.values() if r["status"] != "invalid"}
    assert backends == {"DockerSandbox"}
    ada = by_docker["ada_reference"]
    assert ada["status"] == "graded" and ada["score"] == ada["max_score"] > 0
    assert by_docker["cheat_infinite_loop"]["score"] == 0


def test_docker_scores_equal_local_scores(graded):
    """Same submissions, same graders: the same status, score and verdict per test."""
    _, by_local, by_docker = graded
    rows = ["| student | local | docker |", "| --- | --- | --- |"]
    for student in sorted(by_local):
        cells = [
            f"{r['status']} {r['score']:g}/{r['max_score']:g}"
            for r in (
                by_local[student],
                by_docker.get(student, {"status": "-", "score": 0, "max_score": 0}),
            )
        ]
        rows.append(f"| {student} | {cells[0]} | {cells[1]} |")
    (WORK.parent / "docker-scores.md").write_text("\n".join(rows) + "\n")
    assert sorted(by_local) == sorted(by_docker)
    for student in by_local:
        assert score_summary(by_docker[student]) == score_summary(by_local[student]), student
