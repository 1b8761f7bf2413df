"""`dlgrade report` and `dlgrade export` on a course folder, as an instructor runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from synthetic_class import TESTS

CONFIG = """
import os
c = get_config()
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "dl-test"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(c.CourseDirectory.root, "gradebook.db")
c.GradeExport.canvas_section = "L01"
"""


def dlgrade(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    return subprocess.run(
        [sys.executable, "-m", "dlgrade", *args],
        cwd=root, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.mark.slow
def test_report_and_export_commands(cohort_with_gradebook):
    """Do `dlgrade report` (whole course, twice: same bytes), `dlgrade report --assignment`
    and `dlgrade export --assignment` write their files and exit 0, config included?"""
    root = cohort_with_gradebook.root
    (root / "nbgrader_config.py").write_text(CONFIG)
    for assignment in TESTS:
        (root / "source" / assignment).mkdir(parents=True)
        (root / "source" / assignment / f"{assignment}.ipynb").write_text("{}")
    done = dlgrade(root, "report")
    assert done.returncode == 0, done.stderr
    reports = root / "reports"
    expected = {f"{a}/report.html" for a in TESTS} | {"course.html"}
    expected |= {
        f"exports/{k}-course.csv" for k in ("canvas", "moodle", "tests", "review", "nbgrader")
    }
    assert set(snapshot(reports)) == expected
    assert "most failed tests" in done.stdout and "timeout" in done.stdout
    assert ",L01," in (reports / "exports" / "canvas-course.csv").read_text()
    first = snapshot(reports)
    again = dlgrade(root, "report")
    assert again.returncode == 0 and snapshot(reports) == first

    (reports / "course.html").unlink()
    one = dlgrade(root, "report", "--assignment=attention", "--no-export")
    assert one.returncode == 0, one.stderr
    assert not (reports / "course.html").exists()
    assert "attention" in one.stdout and "mlp:" not in one.stdout

    exported = dlgrade(root, "export", "--assignment=mlp")
    assert exported.returncode == 0, exported.stderr
    assert {p.name for p in (reports / "exports").glob("*-mlp.csv")} == {
        "canvas-mlp.csv", "moodle-mlp.csv", "tests-mlp.csv", "review-mlp.csv", "nbgrader-mlp.csv",
    }  # fmt: skip
    assert "did not grade" not in exported.stderr  # mlp: everyone graded

    bad = dlgrade(root, "report", "--assignment=../etc")
    assert bad.returncode != 0 and not (root.parent / "etc").exists()
