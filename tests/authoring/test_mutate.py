"""Mutation runs: classification against the reference, the report, the check."""

from __future__ import annotations

import json

import nbformat
from nbgrader.coursedir import CourseDirectory

from dlgrade.authoring.mutate import (
    EQUIVALENTS,
    REPORT_JSON,
    REPORT_MD,
    classify,
    solution_digest,
    stale_mutation_run,
    unexplained_survivors,
    write_report,
)
from dlgrade.grading.results import Result, Status, TestResult, TestStatus, Visibility
from dlgrade.grading.runner import graders_digest
from dlgrade.paths import CoursePaths


def _result(status="graded", **scores) -> Result:
    tests = [
        TestResult(k, k, "", v, 2.0, False, TestStatus.PASSED, "", Visibility.HIDDEN, 0.0)
        for k, v in scores.items()
    ]
    return Result.from_tests(Status(status), tests)


def test_a_mutant_is_killed_when_any_test_loses_points_against_the_reference():
    """Killed: a test below the reference's score, or grading ended early; else survived."""
    ref = _result(a=2.0, b=2.0, extra=1.0)
    assert classify(ref, _result(a=2.0, b=2.0, extra=1.0)) == ("survived", [])
    assert classify(ref, _result(a=2.0, b=0.5, extra=1.0)) == ("killed", ["b"])
    assert classify(ref, _result(a=2.0, b=2.0, extra=0.0)) == ("killed", ["extra"])
    assert classify(ref, _result("timeout", a=2.0, b=2.0))[0] == "killed"


def _report(*outcomes):
    mutants = [
        {
            "id": f"cell-{i}",
            "cell": "cell",
            "operator": "core/NumberReplacer",
            "occurrence": i,
            "line": 1,
            "diff": "-a = 1\n+a = 2",
            "outcome": o,
            "lost": [],
        }
        for i, o in enumerate(outcomes)
    ]
    return {
        "assignment": "toy",
        "seed": 0,
        "max_mutants": 60,
        "graders_sha256": "x",
        "mutants": mutants,
    }


def test_survivors_must_be_listed_as_equivalent_with_a_reason(tmp_path):
    """Does the check name every survivor missing from equivalent_mutants.txt, and only those?"""
    assert "make mutate" in unexplained_survivors(tmp_path)[0]
    write_report(tmp_path, _report("killed", "survived", "survived"))
    problems = unexplained_survivors(tmp_path)
    assert len(problems) == 2 and "cell-1" in problems[0] and "cell-2" in problems[1]
    (tmp_path / EQUIVALENTS).write_text("# comment\ncell-1 the constant only scales the init\n")
    assert unexplained_survivors(tmp_path) == [
        f"mutant cell-2 (core/NumberReplacer in cell) survives and is not in {EQUIVALENTS}"
    ]
    write_report(tmp_path, _report("killed", "survived", "survived"))
    md = (tmp_path / REPORT_MD).read_text()
    assert "mutation score: 50.0 %" in md and "the constant only scales the init" in md
    assert json.loads((tmp_path / REPORT_JSON).read_text())["mutants"][1]["outcome"] == "survived"


def test_a_mutation_run_goes_stale_when_graders_or_solution_change(tmp_path):
    """Does the check ask for a new run after the graders or the reference solution changed,
    and name equivalents listed for mutants the run did not make?"""
    paths = CoursePaths(CourseDirectory(root=str(tmp_path)))
    graders, source = paths.graders("toy"), paths.source("toy")
    graders.mkdir(parents=True)
    source.mkdir(parents=True)
    (graders / "test_toy.py").write_text("def test_a():\n    pass\n")
    nb = nbformat.v4.new_notebook()
    meta = {"nbgrader": {"solution": True, "grade": False, "grade_id": "cell", "locked": False}}
    nb.cells.append(nbformat.v4.new_code_cell("a = 1\n", metadata=meta))
    nbformat.write(nb, source / "toy.ipynb")
    report = {**_report("killed", "survived"), "graders_sha256": graders_digest(graders)}
    report["solution_sha256"] = solution_digest(nb)
    (graders / REPORT_JSON).write_text(json.dumps(report))
    (graders / EQUIVALENTS).write_text("cell-1 changes nothing\n")
    assert stale_mutation_run(paths, "toy") == []

    (graders / EQUIVALENTS).write_text("cell-1 changes nothing\ncell-9 gone\n")
    (graders / "test_toy.py").write_text("def test_a():\n    assert True\n")
    nb.cells[0].source = "a = 2\n"
    nbformat.write(nb, source / "toy.ipynb")
    problems = stale_mutation_run(paths, "toy")
    assert len(problems) == 3
    assert "graders changed" in problems[0] and "solution changed" in problems[1]
    assert "cell-9" in problems[2]
