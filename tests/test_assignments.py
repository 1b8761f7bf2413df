"""Grader quality for every real assignment, graded for real in sandboxes.

Reference 100 %, blank 0, every correct variant 100 %, every bug variant loses the tests
it names with a message naming the defect, the same submission graded three times gets
the same score, and the notebook's points match the graders' points.
"""

from __future__ import annotations

import shutil

import pytest

from dlgrade.authoring.mutate import stale_mutation_run, unexplained_survivors
from dlgrade.authoring.variants import build_for, list_variants, submission_files
from dlgrade.checks import points_mismatches
from tests.conftest import copy_of_assignment, real_assignments, repo_paths

REPEATS = 2  # plus the reference itself: three gradings of one submission
ASSIGNMENTS = real_assignments()
IDS = [f"{c}/{a}" for c, a in ASSIGNMENTS]


@pytest.fixture(scope="module", params=ASSIGNMENTS, ids=IDS)
def graded(request):
    """A scratch copy of the course with the reference, blank, variants and repeats graded."""
    course_name, assignment = request.param
    course = copy_of_assignment(f"quality-{course_name}-{assignment}", assignment, course_name)
    graders = course.paths.graders(assignment)
    variants = list_variants(graders)

    def submit(student: str, name: str) -> None:
        nb = build_for(course.paths, assignment, name)
        course.submit(student, nb, submission_files(graders, name))

    submit("reference", "reference")
    submit("blank", "blank")
    for i in range(REPEATS):
        submit(f"repeat{i}", "reference")
    for v in variants:
        submit(f"{v.kind}-{v.name}", v.name)
    results = course.grade(workers=2)
    yield assignment, course, variants, results
    shutil.rmtree(course.root, ignore_errors=True)


pytestmark = pytest.mark.slow


def test_reference_scores_full_marks(graded):
    """Does the reference solution get every point, with every test passing?"""
    _, _, _, results = graded
    r = results["reference"]
    failing = [(t["id"], t["output"]) for t in r["tests"] if t["status"] != "passed"]
    assert r["status"] == "graded" and not failing and r["score"] >= r["max_score"] > 0


def test_blank_release_scores_zero(graded):
    """Does the unmodified student version score zero?"""
    _, _, _, results = graded
    assert results["blank"]["score"] == 0.0 and results["blank"]["status"] == "graded"


def test_there_are_enough_variants(graded):
    """Are there at least 3 alternative correct solutions and 12 typical bugs?"""
    _, _, variants, _ = graded
    assert sum(v.kind == "correct" for v in variants) >= 3
    assert sum(v.kind == "bug" for v in variants) >= 12


def test_correct_variants_score_full_marks(graded):
    """Does every alternative correct implementation get every point?"""
    _, _, variants, results = graded
    for v in (v for v in variants if v.kind == "correct"):
        r = results[f"correct-{v.name}"]
        failing = [(t["id"], t["output"]) for t in r["tests"] if t["status"] != "passed"]
        assert not failing and r["status"] == "graded", (v.name, failing)


def test_bug_variants_lose_points_with_a_message_naming_the_bug(graded):
    """Does each typical bug fail the tests it names, with the named defect in the message?"""
    _, _, variants, results = graded
    problems = []
    for v in (v for v in variants if v.kind == "bug"):
        r = results[f"bug-{v.name}"]
        if not any(t["score"] < t["max_score"] for t in r["tests"]):
            problems.append(f"{v.name}: lost no points")
        assert v.expect_fail, f"{v.name} names no failing test"
        for test_id, phrase in v.expect_fail.items():
            hits = [t for t in r["tests"] if test_id in t["id"]]
            if not hits:
                problems.append(f"{v.name}: no test matches {test_id!r}")
            elif not any(
                t["score"] < t["max_score"] and phrase.lower() in t["output"].lower() for t in hits
            ):
                problems.append(
                    f"{v.name}: {test_id} " + repr([(t["status"], t["output"]) for t in hits])
                )
    assert not problems, "\n".join(problems)


def test_grading_is_deterministic(graded):
    """Does grading the same submission three times give identical results?"""
    _, _, _, results = graded
    key = [(t["id"], t["score"], t["status"], t["output"]) for t in results["reference"]["tests"]]
    for i in range(REPEATS):
        assert [
            (t["id"], t["score"], t["status"], t["output"]) for t in results[f"repeat{i}"]["tests"]
        ] == key


def test_notebook_points_match_grader_points(graded):
    """Does every autograded test cell carry exactly the points of its hidden graders?"""
    assignment, course, _, _ = graded
    assert points_mismatches(course.paths, assignment) == []


@pytest.mark.parametrize(("course", "assignment"), ASSIGNMENTS, ids=IDS)
def test_every_surviving_mutant_is_explained(course, assignment):
    """Has the assignment been mutation-tested on its current graders and solution, with
    every survivor listed as equivalent?"""
    paths = repo_paths(course)
    assert unexplained_survivors(paths.graders(assignment)) == []
    assert stale_mutation_run(paths, assignment) == []
