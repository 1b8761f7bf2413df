"""Feedback HTML: what students see, checked against a golden file and for leaks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dlgrade.feedback import render, student_view, write_feedback
from dlgrade.grading.results import lenient_result

GOLDEN = Path(__file__).parent / "golden" / "feedback_hello.html"
RESULT = {
    "schema": 1,
    "assignment": "hello",
    "student": "alice",
    "status": "timeout",
    "status_detail": "cell 7 timed out",
    "score": 3.0,
    "max_score": 5.0,
    "extra_credit_score": 1.0,
    "submitted_at": "2026-11-20 10:00:00 UTC",
    "late": True,
    "tasks": {
        "test_softmax": {"score": 3.0, "max_score": 3.0},
        "test_scale": {"score": 0.0, "max_score": 2.0},
    },
    "tests": [
        {
            "name": "softmax rows",
            "id": "test_hello.py::a",
            "task": "test_softmax",
            "score": 3.0,
            "max_score": 3.0,
            "extra_credit": False,
            "status": "passed",
            "output": "",
            "visibility": "visible",
            "duration": 0.1,
        },
        {
            "name": "scale <b>",
            "id": "test_hello.py::b",
            "task": "test_scale",
            "score": 0.0,
            "max_score": 2.0,
            "extra_credit": False,
            "status": "timeout",
            "output": "timed out: <script>alert(1)</script>",
            "visibility": "hidden",
            "duration": 10.0,
        },
    ],
    "grader": {"graders_sha256": "deadbeef", "backend": "LocalSandbox"},
    "notebook": {"cells_skipped": [7]},
}
VIEWED = lenient_result(RESULT)


def test_feedback_matches_golden_file():
    """Does the feedback page for a fixed result match the reviewed golden file?"""
    html = render(VIEWED)
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(html)
    assert html == GOLDEN.read_text()


def test_feedback_escapes_and_omits_internal_fields():
    """Is student-controlled text escaped, and are grader internals left out?"""
    html = render(VIEWED)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "deadbeef" not in html and "test_hello.py::" not in html
    assert not hasattr(student_view(VIEWED), "grader")


@pytest.mark.slow
def test_feedback_contains_no_grader_or_solution_text(module_course):
    """Does no line of the graders or of the solution reach a student's feedback?"""
    from dlgrade.release import secret_lines

    c = module_course
    c.submit("blank", c.notebook("blank"))
    c.grade(workers=1)
    html = write_feedback(c.paths, "hello", "blank").read_text()
    secrets = set().union(*secret_lines(c.paths, "hello").values())
    assert secrets and not [s for s in secrets if s in html]
    assert 'data-score="0.0"' in html
