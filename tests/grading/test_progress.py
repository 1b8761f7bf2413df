"""What a TA sees: the progress callback and `dlgrade status`."""

from __future__ import annotations

import io
import json
import os

from rich.console import Console

from dlgrade.grading.batch import Job
from dlgrade.grading.progress import BatchProgress, submission_states
from dlgrade.grading.results import Result, Status


def _result(student: str, status: str = "graded", score: float = 4.0, **fields) -> Result:
    return Result(Status(status), score=score, max_score=5.0, student=student, **fields)


def test_off_a_terminal_each_submission_is_one_plain_line():
    """Does a non-terminal (CI, cron) get one line per finished submission, markup-free?"""
    out = io.StringIO()
    console = Console(file=out, force_terminal=False, width=200)
    with BatchProgress(2, "hello", console=console) as progress:
        progress(Job("hello", "[bold]ada[/bold]"), _result("ada", execution_time=1.25))
        progress(Job("hello", "ben"), _result("ben", "timeout", 0.0))
    lines = out.getvalue().splitlines()
    assert lines == [
        "hello: [1/2] [bold]ada[/bold] graded 4/5 (1.2 s)",
        "hello: [2/2] ben timeout 0/5 (0.0 s)",
    ]
    assert progress.counts == {"graded": 1, "timeout": 1}


def test_status_shows_pending_graded_and_resubmitted(course):
    """Does `dlgrade status` tell pending, graded (with its detail) and submitted-again apart?"""
    for student in ("ada", "ben", "cy"):
        course.submit(student, course.notebook("reference"))
    for student in ("ben", "cy"):
        out = course.paths.results(student, "hello")
        out.parent.mkdir(parents=True)
        result = _result(student, "crashed", status_detail="it died")
        out.write_text(json.dumps(result.to_json()))
    nb = course.paths.submitted("cy", "hello") / "hello.ipynb"
    later = os.stat(course.paths.results("cy", "hello")).st_mtime + 10
    os.utime(nb, (later, later))
    rows = {r.student: r for r in submission_states(course.paths, "hello")}
    assert rows["ada"].state == "pending"
    assert (rows["ben"].state, rows["ben"].detail, rows["ben"].score) == (
        "crashed",
        "it died",
        "4/5",
    )
    assert rows["cy"].state == "changed"
