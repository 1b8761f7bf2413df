"""The course overview: per-student totals, per-assignment averages, term order."""

from __future__ import annotations

import statistics

import pytest
from synthetic_class import STUDENTS, TESTS

from dlgrade.report.build import load_course
from dlgrade.report.course import course_overview


def test_totals_and_averages_match_the_results(cohort_with_gradebook):
    """Are per-student totals the sum of graded scores and per-assignment means over graded?"""
    cohort = cohort_with_gradebook
    loaded = load_course(cohort.paths, list(TESTS))
    assert loaded.order == ["mlp", "attention", "diffusion"]
    overview = course_overview(loaded.submissions, loaded.order, loaded.gradebook)
    maxima = {a: sum(t[2] for t in TESTS[a]) for a in TESTS}
    assert [a.max_score for a in overview.assignments] == [maxima[a] for a in loaded.order]
    for row in overview.assignments:
        scores = [r["score"] for r in cohort.graded(row.name).values()]
        assert row.graded == len(scores)
        assert row.mean == pytest.approx(statistics.fmean(scores))
        assert row.mean_percent == pytest.approx(100 * statistics.fmean(scores) / maxima[row.name])
        assert row.submissions == len(cohort.results[row.name]) + len(
            cohort.submitted_only[row.name]
        )
    assert [r.student for r in overview.students] == sorted(STUDENTS)
    for row in overview.students:
        total = sum(cohort.graded(a).get(row.student, {"score": 0})["score"] for a in TESTS)
        assert row.total == pytest.approx(total)
        assert row.max_total == sum(maxima.values())
    nina = next(r for r in overview.students if r.student == "nina")
    assert nina.cells["diffusion"].status == "absent" and nina.cells["diffusion"].score is None


def test_roster_students_without_submissions_appear():
    """Does a student on the gradebook roster with no submission get an all-absent row?"""
    from dlgrade.report.load import GradebookInfo, StudentInfo

    info = GradebookInfo(students={"zed": StudentInfo("zed")})
    overview = course_overview({"a": []}, ["a"], info)
    assert [(r.student, r.total, r.cells["a"].status) for r in overview.students] == [
        ("zed", 0.0, "absent")
    ]
