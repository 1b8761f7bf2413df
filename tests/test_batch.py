"""Batch autograding: results, resume, force, determinism, gradebook."""

from __future__ import annotations

import json
from contextlib import contextmanager

import nbformat
import pytest
from nbgrader.api import Gradebook

from dlgrade.grading.results import Result

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def graded_course(module_course):
    c = module_course
    c.submit("ref", c.notebook("reference"))
    c.submit("blank", c.notebook("blank"))
    half = c.notebook("reference")
    for cell in half.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "scale_impl":
            cell.source = "def scale(x, factor):\n    return x + factor"
    c.submit("half", half)
    c.first = c.grade(workers=2)
    return c


def test_scores_match_the_submissions(graded_course):
    """Does each submission get the score its code deserves?"""
    r = graded_course.first
    assert (r["ref"]["score"], r["blank"]["score"], r["half"]["score"]) == (5.0, 0.0, 3.0)
    assert all(x["status"] == "graded" and x["max_score"] == 5.0 for x in r.values())
    assert r["half"]["tasks"] == {
        "test_softmax": {"score": 3.0, "max_score": 3.0},
        "test_scale": {"score": 0.0, "max_score": 2.0},
    }


def test_results_have_the_gradescope_shape(graded_course):
    """Does results.json carry Gradescope's fields plus our status fields?"""
    r = graded_course.results("half")
    for key in ("score", "max_score", "tests", "status", "execution_time", "submitted_at", "late"):
        assert key in r
    for t in r["tests"]:
        assert {"name", "score", "max_score", "status", "output", "visibility"} <= set(t)
    assert r["submitted_at"] == "2026-11-20 10:00:00 UTC"


def test_executed_notebook_and_copies_are_written(graded_course):
    """Is the executed notebook written beside results.json, with no temp files left?"""
    folder = graded_course.paths.autograded("ref", "hello")
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["hello.ipynb", "results.json", "timestamp.txt"]


def test_resume_skips_graded_and_force_regrades_identically(graded_course):
    """Does a second run skip graded work, and does --force give the same scores?"""
    c = graded_course
    mtime = c.paths.results("ref", "hello").stat().st_mtime
    c.grade(workers=1)
    assert c.paths.results("ref", "hello").stat().st_mtime == mtime
    again = c.grade(workers=1, force=True)
    for student, first in c.first.items():
        assert [(t["id"], t["score"], t["status"]) for t in again[student]["tests"]] == [
            (t["id"], t["score"], t["status"]) for t in first["tests"]
        ]


def test_scores_land_in_the_nbgrader_gradebook(graded_course):
    """Do task scores become nbgrader auto scores (so formgrader and export work)?"""
    from dlgrade.gradebook import store_results

    c = graded_course
    store_results(c.paths, [Result.from_json(r) for r in c.first.values()])
    with Gradebook(c.paths.coursedir.db_url, c.paths.coursedir.course_id) as gb:
        sub = gb.find_submission("hello", "half")
        assert sub.score == 3.0 and sub.max_score == 5.0
        assert gb.find_submission("hello", "ref").score == 5.0


def test_a_dead_grading_process_costs_one_result(graded_course):
    """Does the batch survive grading processes that die, recording the job as crashed?"""
    from dlgrade.grading import batch

    c = graded_course
    c.submit("victim", c.notebook("reference"))
    job = batch.Job("hello", "victim")
    with _killer_config(c) as cfg:
        results = batch.run_batch(cfg, c.paths, [job], 1)
    assert results[0].status == "crashed" and "died" in results[0].status_detail
    assert json.loads(c.paths.results("victim", "hello").read_text())["status"] == "crashed"


@contextmanager
def _killer_config(c):
    """A backend registered in this process only: the settings pass here, and every pool
    process (spawned, so without the registration) dies when it starts."""
    from traitlets.config import Config

    from dlgrade.sandbox.backends import BACKENDS, SandboxBackend, register_backend

    register_backend("test-this-process-only")(SandboxBackend)
    cfg = Config(c.config)
    cfg.Autograder.sandbox_backend = "test-this-process-only"
    cfg.Autograder.workers = 1
    try:
        yield cfg
    finally:
        BACKENDS.pop("test-this-process-only")


def test_a_timed_out_test_keeps_the_points_of_finished_tests(course):
    """Does a hanging function cost only its own tests, with status timeout?"""
    nb = course.notebook("reference")
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "scale_impl":
            cell.source = "def scale(x, factor):\n    while True:\n        pass"
    course.submit("hangs", nb)
    r = course.grade(
        workers=1,
        Autograder__cell_time_limit=2.0,  # the visible-test cell calls the hanging scale too
        Autograder__test_time_limit=3.0,
    )["hangs"]
    assert r["status"] == "timeout" and r["score"] == 3.0
    assert [t["status"] for t in r["tests"]] == ["passed", "passed", "timeout"]
    assert "timed out" in r["status_detail"]


def test_a_submission_that_hangs_everywhere_stops_at_its_total_budget(course):
    """Does the submission budget stop a submission that hangs in every test, with the
    remaining tests recorded as timeouts rather than run to their own limits?"""
    nb = course.notebook("reference")
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") in ("softmax_impl", "scale_impl"):
            cell.source = "import time\ndef softmax(x, dim=-1):\n    time.sleep(3600)\n" + (
                "def scale(x, factor):\n    time.sleep(3600)"
            )
    course.submit("sleeper", nb)
    r = course.grade(
        workers=1,
        Autograder__cell_time_limit=2.0,  # the visible-test cells call the sleepers too
        Autograder__test_time_limit=5.0,
        Autograder__submission_time_limit=6.0,
    )["sleeper"]
    assert r["status"] == "timeout" and r["score"] == 0.0
    assert [t["status"] for t in r["tests"]] == ["timeout"] * 3
    assert r["tests"][-1]["output"].startswith("not run: your submission used up its total")


def test_a_grader_hanging_on_the_trusted_side_is_stopped_by_the_watchdog(course):
    """Does the batch watchdog stop a grading process that hangs outside the sandbox,
    record that submission as a timeout, and go on to grade the next one?"""
    (course.paths.graders("hello") / "test_zz_hang.py").write_text(
        "import time\n\n\ndef test_hang(source):\n"
        "    if 'HANG_THE_GRADER' in source.code:\n        time.sleep(3600)\n"
    )
    nb = course.notebook("reference")
    nb.cells.append(nbformat.v4.new_code_cell("HANG_THE_GRADER = 1"))
    course.submit("a_hangs", nb)
    course.submit("b_honest", course.notebook("reference"))
    r = course.grade(workers=1, Autograder__watchdog_time_limit=20.0)
    assert r["a_hangs"]["status"] == "timeout"
    assert "watchdog" in r["a_hangs"]["status_detail"]
    assert r["b_honest"]["status"] == "graded" and r["b_honest"]["score"] == 6.0


def test_a_slow_cell_is_flagged_and_its_grade_reaches_every_export(course):
    """Does a correct submission whose own extra cell runs past the cell limit stay
    `graded` (flagged cell_timeout, for a TA) with full marks in results.json, the
    gradebook, and every export: Canvas, Moodle, per-test, review and nbgrader's CSV?"""
    import csv

    from dlgrade.gradebook import store_results
    from dlgrade.report.build import export_grades

    nb = course.notebook("reference")
    nb.cells.append(nbformat.v4.new_code_cell("import time\ntime.sleep(600)"))
    course.submit("slow", nb)
    course.submit("quick", course.notebook("reference"))
    results = course.grade(workers=2, Autograder__cell_time_limit=3.0)
    r = results["slow"]
    assert (r["status"], r["score"], r["max_score"]) == ("graded", 5.0, 5.0), r["status_detail"]
    assert r["flags"] == ["cell_timeout"] and "timed out" in r["status_detail"]
    assert results["quick"]["flags"] == []
    store_results(course.paths, [Result.from_json(r) for r in results.values()])
    with Gradebook(course.paths.coursedir.db_url, course.paths.coursedir.course_id) as gb:
        sub = gb.find_submission("hello", "slow")
        assert sub.score == 5.0 and sub.needs_manual_grade  # the formgrader marks it
        assert not gb.find_submission("hello", "quick").needs_manual_grade
    out = {p.name.split("-")[0]: p for p in export_grades(course.paths, ["hello"], course=False)}

    def table(kind: str, key: str) -> dict[str, dict]:
        with open(out[kind], newline="") as fh:
            return {row[key]: row for row in csv.DictReader(fh)}

    assert table("canvas", "SIS Login ID")["slow"]["hello"] == "5"
    assert table("moodle", "Username")["slow"]["hello"] == "5"
    tests = table("tests", "student")["slow"]
    assert (tests["submission_score"], tests["submission_flags"]) == ("5", "cell_timeout")
    review = table("review", "student")
    assert set(review) == {"slow"} and review["slow"]["exported_score"] == "5"
    assert float(table("nbgrader", "student_id")["slow"]["score"]) == 5.0
