"""Exports: Canvas and Moodle gradebook CSVs, per-test CSV, nbgrader's own CSV."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys

import pytest
from synthetic_class import SECRET, STUDENTS, TESTS
from traitlets.config import Config

from dlgrade.paths import CoursePaths
from dlgrade.report.build import export_grades
from dlgrade.report.exports import safe_cell


def rows(path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def configured(paths: CoursePaths, **traits) -> CoursePaths:
    config = Config()
    for key, value in traits.items():
        config.GradeExport[key] = value
    return CoursePaths(paths.coursedir, config=config)


def expected_cell(cohort, assignment, student) -> str:
    """Earned points whenever grading ran; blank (the default policy) when nothing was."""
    result = cohort.results[assignment].get(student)
    if result is None or result["status"] not in ("graded", "timeout", "crashed"):
        return ""
    return f"{result['score']:g}"


def test_canvas_csv_has_canvas_columns_points_and_scores(cohort_with_gradebook):
    """Does the Canvas CSV start with Canvas's five identity columns, carry a Points Possible
    row and one column per assignment in term order, with blanks for what did not grade?"""
    cohort = cohort_with_gradebook
    out = {p.name: p for p in export_grades(cohort.paths, list(TESTS))}
    with open(out["canvas-course.csv"], newline="") as fh:
        table = list(csv.reader(fh))
    order = ["mlp", "attention", "diffusion"]  # by due date, undated last
    assert table[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *order]
    assert table[1][0].strip() == "Points Possible"
    assert table[1][5:] == ["8", "10", "5"]
    body = {r[3]: r for r in table[2:]}
    assert set(body) == set(STUDENTS)
    ada = body["ada"]
    assert ada[:5] == ["Doe0, Ada", "5000", "", "ada", ""]
    for student, row in body.items():
        assert row[5:] == [expected_cell(cohort, a, student) for a in order]
    assert body["cleo"][order.index("attention") + 5] == "0"  # timeout: its earned points
    assert body["ivan"][order.index("attention") + 5] == ""  # invalid: nothing earned


def test_moodle_csv_identifies_students_as_moodle_maps_them(cohort_with_gradebook):
    """Does the Moodle CSV carry username, ID number and email to map on, then the scores?"""
    cohort = cohort_with_gradebook
    export_grades(cohort.paths, list(TESTS))
    table = rows(cohort.paths.reports("exports", "moodle-course.csv"))
    assert list(table[0])[:5] == [
        "First name",
        "Last name",
        "Username",
        "ID number",
        "Email address",
    ]
    by_user = {r["Username"]: r for r in table}
    assert by_user["kim"]["Email address"] == "kim@uni.example"
    assert by_user["kim"]["ID number"] == "5010"
    for student, row in by_user.items():
        for assignment in TESTS:
            assert row[assignment] == expected_cell(cohort, assignment, student)


def test_export_settings_are_traits(cohort):
    """Do column names, the student column, the section and the non-graded policy follow config?"""
    paths = configured(
        cohort.paths,
        formats=["canvas"],
        column_names={"attention": "Attention (4711)"},
        canvas_student_column="SIS User ID",
        canvas_section="L01",
        non_graded="zero",
    )
    written = export_grades(paths, ["attention"], course=False)
    assert [p.name for p in written] == ["canvas-attention.csv"]
    table = rows(written[0])
    by_sis = {r["SIS User ID"]: r for r in table if r["SIS User ID"]}
    assert by_sis["ivan"]["Attention (4711)"] == "0"  # invalid → 0 under non_graded=zero
    assert by_sis["jules"]["Attention (4711)"] == "0"  # submitted, never graded
    assert all(r["Section"] == "L01" for r in by_sis.values())


def _write_result(cohort, student: str, status: str, score: float, flags=(), detail=""):
    import json

    result = {"status": status, "status_detail": detail, "score": score, "max_score": 10.0,
              "flags": list(flags), "late": False,
              "tests": [{"id": "t::a", "name": "a", "status": "passed", "score": score,
                         "max_score": score, "visibility": "visible"}]}  # fmt: skip
    if status == "invalid":
        result.update(score=0.0, max_score=0.0, tests=[])
    path = cohort.paths.results(student, "attention")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result))


@pytest.mark.parametrize("policy", ["blank", "zero", "score"])
def test_earned_points_reach_every_export_whatever_the_status(cohort, policy):
    """Do the earned points of graded (flagged or not), timeout and crashed submissions
    appear in the Canvas, Moodle, per-test and review exports under every non-graded
    policy, with only invalid ones left to the policy, and is each one to look at in the
    review export with its status and flags?"""
    _write_result(cohort, "ada", "graded", 10.0, ["cell_timeout"], "cell 4 timed out")
    _write_result(cohort, "ben", "timeout", 7.5, ["test_timeout"], "1 test timed out")
    _write_result(cohort, "cleo", "crashed", 3.5, ["test_crashed"], "1 test crashed")
    _write_result(cohort, "dmitri", "graded", 9.0)
    _write_result(cohort, "ivan", "invalid", 0.0, (), "submission rejected: x is a link")
    earned = {"ada": "10", "ben": "7.5", "cleo": "3.5", "dmitri": "9"}
    nothing = {"blank": "", "zero": "0", "score": "0"}[policy]
    formats = ["canvas", "moodle", "tests", "review"]
    paths = configured(cohort.paths, non_graded=policy, formats=formats)
    out = {p.name.split("-")[0]: p for p in export_grades(paths, ["attention"], course=False)}
    canvas = {r["SIS Login ID"]: r["attention"] for r in rows(out["canvas"])}
    moodle = {r["Username"]: r["attention"] for r in rows(out["moodle"])}
    for table in (canvas, moodle):
        assert {s: table[s] for s in earned} == earned
        assert table["ivan"] == nothing
    tests = {r["student"]: r for r in rows(out["tests"])}
    assert {s: tests[s]["submission_score"] for s in earned} == earned
    assert tests["ada"]["submission_flags"] == "cell_timeout"
    review = {r["student"]: r for r in rows(out["review"])}
    assert {"ada", "ben", "cleo", "ivan", "jules"} <= set(review) and "dmitri" not in review
    assert review["ada"]["status"] == "graded" and review["ada"]["flags"] == "cell_timeout"
    assert {s: review[s]["exported_score"] for s in ("ada", "ben", "cleo")} == {
        s: earned[s] for s in ("ada", "ben", "cleo")
    }
    assert review["ivan"]["exported_score"] == nothing
    assert review["ivan"]["detail"] == "submission rejected: x is a link"


def test_tests_csv_has_one_row_per_test_and_never_hidden_fields(cohort):
    """Is every test result a row (and an ungraded submission without tests one row), with
    no field that results.json's contract does not name?"""
    written = export_grades(cohort.paths, list(TESTS))
    path = next(p for p in written if p.name == "tests-course.csv")
    table = rows(path)
    expected = sum(max(1, len(r["tests"])) for a in TESTS for r in cohort.results[a].values())
    expected += sum(len(v) for v in cohort.submitted_only.values())
    assert len(table) == expected
    ivan = [r for r in table if r["student"] == "ivan" and r["assignment"] == "attention"]
    assert len(ivan) == 1 and ivan[0]["submission_status"] == "invalid"
    for p in written:
        assert SECRET not in p.read_text()


def test_cells_that_look_like_formulas_are_neutralised():
    """Are text cells starting with = + - @ made inert while numbers stay numbers?"""
    assert safe_cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert safe_cell("+1") == "'+1" and safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell(-2.5) == "-2.5" and safe_cell(3.0) == "3" and safe_cell(True) == "true"
    assert safe_cell("alice") == "alice" and safe_cell(None) == ""


def test_student_names_with_commas_quotes_and_newlines_survive(cohort):
    """Does a student folder with CSV metacharacters round-trip through the CSV reader?"""
    name = 'o"neil, jr\nx'
    import json
    import random

    from synthetic_class import make_result

    target = cohort.paths.results(name, "mlp")
    target.parent.mkdir(parents=True)
    target.write_text(json.dumps(make_result("mlp", name, 1.0, random.Random(1))))
    written = export_grades(configured(cohort.paths, formats=["moodle"]), ["mlp"], course=False)
    assert name in {r["Username"] for r in rows(written[0])}


def add_graded_submission(gb, assignment: str, student: str, score: float, max_score: float):
    """Scores in the gradebook the way nbgrader's autograder leaves them."""
    try:
        gb.find_notebook(assignment, assignment)
    except Exception:
        gb.add_notebook(assignment, assignment)
        gb.add_grade_cell("task", assignment, assignment, max_score=max_score, cell_type="code")
    gb.add_submission(assignment, student)
    grade = gb.find_grade("task", assignment, assignment, student)
    grade.auto_score = score
    gb.db.commit()


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")
def test_nbgrader_csv_keeps_working(cohort_with_gradebook):
    """With scores in nbgrader's gradebook, do both `dlgrade export` (nbgrader's CSV plugin)
    and `nbgrader export` itself produce nbgrader's CSV with those scores?"""
    from nbgrader.api import Gradebook

    cohort = cohort_with_gradebook
    cd = cohort.paths.coursedir
    with Gradebook(cd.db_url, cd.course_id) as gb:
        for student, result in cohort.graded("mlp").items():
            add_graded_submission(gb, "mlp", student, result["score"], result["max_score"])
    written = export_grades(configured(cohort.paths, formats=["nbgrader"]), ["mlp"], course=False)
    assert [p.name for p in written] == ["nbgrader-mlp.csv"]
    ours = {r["student_id"]: r for r in rows(written[0])}
    assert set(ours) == set(STUDENTS)
    for student, result in cohort.graded("mlp").items():
        assert float(ours[student]["score"]) == result["score"]
        assert float(ours[student]["max_score"]) == 8
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    theirs = cohort.root / "nbgrader-own.csv"
    subprocess.run(
        [sys.executable, "-m", "nbgrader", "export", f"--db={cd.db_url}",
         f"--course={cd.course_id}", f"--to={theirs}"],
        cwd=cohort.root, env=env, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    assert [r for r in rows(theirs) if r["assignment"] == "mlp"] == rows(written[0])


def test_without_a_gradebook_the_nbgrader_csv_is_skipped(cohort):
    """Is nbgrader's CSV skipped (not an error, no empty gradebook created) without one?"""
    written = export_grades(configured(cohort.paths, formats=["nbgrader", "tests"]), ["mlp"])
    assert [p.name for p in written] == ["tests-course.csv"]
    assert not (cohort.root / "gradebook.db").exists()


@pytest.mark.parametrize("bad", ["../x", "a/b", "..", ""])
def test_assignment_names_cannot_escape_the_reports_folder(cohort, bad):
    """Is an assignment name with a path separator refused before anything is written?"""
    with pytest.raises(ValueError):
        export_grades(cohort.paths, [bad])


def test_csv_text_is_plain_csv():
    """Is a header plus rows written with CRLF line ends and standard quoting?"""
    from dlgrade.report.exports import csv_text

    text = csv_text(["a", "b"], [["x,y", 1.5]])
    assert text == 'a,b\r\n"x,y",1.5\r\n'
    assert list(csv.reader(io.StringIO(text)))[1] == ["x,y", "1.5"]
