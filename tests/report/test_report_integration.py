"""Reports on results written by the real autograder (sandboxed grading of a reference,
a blank and a broken submission), with scores stored in nbgrader's
gradebook by `dlgrade.gradebook.store_results`: nbgrader's own CSV must still agree."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dlgrade.report import build_reports
from dlgrade.report.summary import format_summary

pytestmark = pytest.mark.slow


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_reports_and_nbgrader_export_agree_on_autograder_results(course):
    """After the autograder's results are stored in the gradebook, do our exports, nbgrader's
    CSV (ours and `nbgrader export`'s) and the summary all give each student the same score?"""
    from dlgrade.gradebook import store_results
    from dlgrade.grading.results import Result

    course.submit("ref", course.notebook("reference"))
    course.submit("blank", course.notebook("blank"))
    course.submit("broken", b"{ not a notebook")
    results = course.grade(workers=1)
    assert {r["status"] for r in results.values()} == {"graded", "invalid"}
    paths = course.paths
    stored = [Result.from_json(r) for r in results.values()]
    store_results(paths, stored)

    written = {p.name: p for p in build_reports(paths, ["hello"])}
    nbgrader_rows = {r["student_id"]: r for r in read_csv(written["nbgrader-course.csv"])}
    canvas_rows = {r["SIS Login ID"]: r for r in read_csv(written["canvas-course.csv"])}
    for student, r in results.items():
        assert float(nbgrader_rows[student]["score"]) == r["score"]
        expected = f"{r['score']:g}" if r["status"] == "graded" else ""
        assert canvas_rows[student]["hello"] == expected
    html = written["report.html"].read_text()
    for student in results:
        assert student in html

    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    theirs = course.root / "grades.csv"
    subprocess.run(
        [sys.executable, "-m", "nbgrader", "export", f"--to={theirs}"],
        cwd=course.root, env=env, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    assert read_csv(theirs) == read_csv(written["nbgrader-course.csv"])

    text = format_summary(stored)
    assert f"{len(results)} submissions of hello" in text
