"""Statistics of one assignment, checked against direct counts and scipy."""

from __future__ import annotations

import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import pointbiserialr

from dlgrade.grading.results import TestResult as Result
from dlgrade.report import stats
from dlgrade.report.load import load_assignment
from dlgrade.report.model import GradedSubmission


def sub(student, score, status="graded", tests=(), max_score=10.0, **kw) -> GradedSubmission:
    return GradedSubmission(
        student, "a", status, score=score, max_score=max_score, tests=tuple(tests), **kw
    )


def tr(test_id, passed, score=1.0, output="", status=None) -> Result:
    return Result(
        test_id, test_id, "t", score if passed else 0.0, score, False,
        status or ("passed" if passed else "failed"), output, "hidden", 0.1,
    )  # fmt: skip


def test_summary_and_histogram_match_the_results_files(cohort):
    """Do mean, median and bin counts equal those computed straight from results.json?"""
    subs = load_assignment(cohort.paths, "attention")
    graded = cohort.graded("attention")
    scores = [r["score"] for r in graded.values()]
    summary = stats.score_summary(subs)
    assert summary.n == len(scores)
    assert summary.mean == pytest.approx(statistics.fmean(scores))
    assert summary.median == pytest.approx(statistics.median(scores))
    assert summary.max_score == 10
    bins = stats.histogram(subs, 5)
    assert [(b.lo, b.hi) for b in bins] == [(0, 2), (2, 4), (4, 6), (6, 8), (8, 10)]
    for b in bins:
        inside = {
            s for s, r in graded.items() if b.lo <= r["score"] < b.hi or b.hi == r["score"] == 10
        }
        assert set(b.students) == inside and b.count == len(inside)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.floats(-5, 60, allow_nan=False), max_size=40),
    st.integers(1, 12),
    st.sampled_from([0.0, 10.0, 40.0]),
)
def test_histogram_keeps_every_graded_submission(scores, bins, max_score):
    """Does every graded score land in exactly one bin, whatever the range (extra credit too)?"""
    subs = [sub(f"s{i}", v, max_score=max_score) for i, v in enumerate(scores)]
    subs.append(sub("crash", 0.0, status="crashed"))
    hist = stats.histogram(subs, bins)
    assert len(hist) == bins
    assert sum(b.count for b in hist) == len(scores)
    assert sorted(s for b in hist for s in b.students) == sorted(
        f"s{i}" for i in range(len(scores))
    )
    assert hist[0].lo <= min(scores, default=0) and hist[-1].hi >= max(scores, default=0)


def test_item_analysis_matches_direct_counts_and_scipy(cohort):
    """Are pass counts and point-biserial correlations those of the raw files (and scipy)?"""
    subs = load_assignment(cohort.paths, "attention")
    graded = cohort.graded("attention")
    items = {i.id: i for i in stats.item_analysis(subs)}
    rates = [i.pass_rate for i in stats.item_analysis(subs)]
    assert rates == sorted(rates)
    for test_id, item in items.items():
        rows = [(r["score"], t) for r in graded.values() for t in r["tests"] if t["id"] == test_id]
        passed = [1.0 if t["status"] == "passed" else 0.0 for _, t in rows]
        assert item.n == len(rows) and item.passed == sum(passed)
        totals = [score for score, _ in rows]
        rest = [score - t["score"] for score, t in rows]
        if 0 < sum(passed) < len(passed):
            assert item.r_total == pytest.approx(pointbiserialr(passed, totals).statistic)
            assert item.r_rest == pytest.approx(pointbiserialr(passed, rest).statistic)


def test_correlation_is_undefined_when_everyone_passes_or_too_few():
    """Is r None (not NaN, not a crash) when a test or the totals do not vary, or n < 3?"""
    same = [sub(f"s{i}", 5.0, tests=[tr("x", True), tr("y", i % 2 == 0)]) for i in range(4)]
    items = {i.id: i for i in stats.item_analysis(same)}
    assert items["x"].r_total is None and items["x"].pass_rate == 1.0
    assert items["y"].r_total is None  # totals all equal
    assert stats.pearson([1, 0], [3, 1]) is None
    assert stats.pearson([1, 0, 1], [3.0, 1.0, 2.0]) == pytest.approx(3**0.5 / 2)


def test_failures_are_grouped_by_test_and_message_up_to_numbers(cohort):
    """Are messages differing only in numbers one group, with every student behind it?"""
    subs = [
        sub("a", 0, tests=[tr("t1", False, output="max abs diff 0.51")]),
        sub("b", 0, tests=[tr("t1", False, output="max abs diff  1e-3 ")]),
        sub("c", 0, tests=[tr("t1", False, output="wrong shape")]),
        sub("d", 0, tests=[tr("t2", False, output="max abs diff 7")]),
        sub("e", 0, tests=[tr("t1", False, status="timeout")]),
        sub("f", 0, status="crashed", tests=[tr("t1", False, output="max abs diff 9")]),
        sub("g", 1, tests=[tr("t1", True)]),
    ]
    groups = stats.failure_groups(subs)
    top = groups[0]
    assert (top.test_id, top.students, top.variants) == ("t1", ("a", "b"), 2)
    assert sum(g.count for g in groups) == 5  # f did not grade, g passed
    assert any(g.statuses == {"timeout": 1} and g.students == ("e",) for g in groups)
    real = stats.failure_groups(load_assignment(cohort.paths, "attention"))
    for g in real:
        for student in g.students:
            outputs = {t["output"] for t in cohort.results["attention"][student]["tests"]
                       if t["id"] == g.test_id and t["status"] != "passed"}  # fmt: skip
            assert any(stats.message_key(o) == stats.message_key(g.message) for o in outputs)


def test_not_graded_late_and_timing_lists(cohort):
    """Are timeouts/crashes/invalid/missing listed apart from real zeros, late and times right?"""
    subs = load_assignment(cohort.paths, "attention")
    assert {(s.student, s.status) for s in stats.not_graded(subs)} == {
        ("cleo", "timeout"), ("farid", "crashed"), ("ivan", "invalid"), ("jules", "missing"),
    }  # fmt: skip
    zeros = {s.student for s in subs if s.graded and s.score == 0}
    assert "gus" in zeros and not zeros & {"cleo", "farid", "ivan", "jules"}
    assert [s.student for s in stats.late(subs)] == ["ben", "lea"]
    timed = stats.timed(subs)
    assert timed[0].student == "cleo" and timed[0].execution_time == 120.4
    summary, total = stats.timing_summary(subs)
    raw = [r["execution_time"] for r in cohort.results["attention"].values()]
    assert total == pytest.approx(sum(raw)) and summary.n == len(raw)
    assert stats.count_statuses(subs) == {
        "graded": len(cohort.graded("attention")), "crashed": 1, "invalid": 1, "missing": 1,
        "timeout": 1,
    }  # fmt: skip
