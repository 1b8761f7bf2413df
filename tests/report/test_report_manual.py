"""Written answers graded by hand (nbgrader's manually graded answer cells): flagged for
TAs in the gradebook, and their points added to every report and export."""

from __future__ import annotations

import csv
import shutil
import uuid

import nbformat
import pytest
from nbgrader.api import Gradebook

from dlgrade.grading.autograder import Autograder
from dlgrade.report.build import export_grades, load_course
from dlgrade.report.manual import PENDING_FLAG
from tests.conftest import FIXTURE_COURSE, WORK, make_course

ANSWER = {
    "nbgrader": {
        "grade": True, "solution": True, "locked": False, "points": 2,
        "grade_id": "why_softmax", "schema_version": 3, "task": False,
    }
}  # fmt: skip


@pytest.fixture(scope="module")
def manual_course():
    """The fixture course with a 2-point written answer, released, two reference
    submissions graded, and ann's answer given 1.5 points by a TA."""
    template = WORK / f"manual-template-{uuid.uuid4().hex[:8]}"
    shutil.copytree(FIXTURE_COURSE, template)
    src = template / "source" / "hello" / "hello.ipynb"
    nb = nbformat.read(src, as_version=4)
    cell = nbformat.v4.new_markdown_cell("Softmax turns scores into probabilities.")
    cell.metadata.update(ANSWER)
    nb.cells.append(cell)
    nbformat.write(nb, src)
    course = make_course(template)
    shutil.rmtree(template)
    for student in ("ann", "bob"):
        course.submit(student, course.notebook("reference"))
    grader = Autograder(config=course.config)
    try:
        grader.grade_assignment(course.paths, "hello")
    finally:
        grader.close()
    yield course
    shutil.rmtree(course.root, ignore_errors=True)


def test_answer_cells_await_a_ta_and_their_points_reach_the_exports(manual_course):
    """Is the answer flagged for a TA until graded, and once graded (ann: 1.5 of 2) are
    the points in the report's score and maximum and in the LMS export; is bob, not yet
    graded by hand, flagged as pending with his autograded points kept?"""
    paths = manual_course.paths
    db, course_id = paths.coursedir.db_url, paths.coursedir.course_id
    with Gradebook(db, course_id) as gb:
        grade = gb.find_grade("why_softmax", "hello", "hello", "ann")
        assert grade.needs_manual_grade and grade.manual_score is None
        grade.manual_score = 1.5
        grade.needs_manual_grade = False
        gb.db.commit()
    subs = {s.student: s for s in load_course(paths, ["hello"]).submissions["hello"]}
    auto = manual_course.results("ann")
    assert subs["ann"].score == pytest.approx(auto["score"] + 1.5)
    assert subs["ann"].max_score == pytest.approx(auto["max_score"] + 2)
    assert PENDING_FLAG not in subs["ann"].flags
    assert subs["bob"].score == pytest.approx(auto["score"]) and PENDING_FLAG in subs["bob"].flags
    written = export_grades(paths, ["hello"])
    canvas = next(p for p in written if p.name.startswith("canvas"))
    rows = list(csv.reader(canvas.open(newline="")))
    points = next(r for r in rows if "Points Possible" in r[0])
    ann = next(r for r in rows if "ann" in r)
    assert float(points[-1]) == pytest.approx(auto["max_score"] + 2)
    assert float(ann[-1]) == pytest.approx(auto["score"] + 1.5)
    review = next(p for p in written if p.name.startswith("review"))
    assert "bob" in review.read_text() and PENDING_FLAG in review.read_text()
