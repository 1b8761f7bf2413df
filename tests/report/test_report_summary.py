"""The terminal summary printed at the end of `dlgrade autograde`."""

from __future__ import annotations

import inspect
import statistics
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st
from synthetic_class import TESTS

from dlgrade.grading.results import lenient_result
from dlgrade.report.summary import format_summary


def summary_of(results) -> str:
    return format_summary([lenient_result(r) for r in results])


def test_signature_is_the_one_the_autograder_calls():
    """Is it `format_summary(results: Sequence[Result]) -> str`?"""
    sig = inspect.signature(format_summary)
    assert list(sig.parameters) == ["results"]
    assert sig.return_annotation in (str, "str")


def test_summary_counts_statuses_and_names_the_most_failed_tests(cohort):
    """Does the table show the status counts, mean/median and the top five failed tests?"""
    results = list(cohort.results["attention"].values())
    text = summary_of(results)
    lines = text.splitlines()
    counts = Counter(r["status"] for r in results)
    for status, n in counts.items():
        assert any(line.split() == [status, str(n)] for line in lines), status
    graded = [r["score"] for r in results if r["status"] == "graded"]
    assert f"mean {statistics.fmean(graded):.2f}".rstrip("0").rstrip(".") in text
    assert f"median {statistics.median(graded):g}" in text
    failed = Counter(
        t["id"] for r in results if r["status"] == "graded" for t in r["tests"]
        if t["status"] != "passed"
    )  # fmt: skip
    shown = [
        line.split()[-1]
        for line in lines[lines.index("  most failed tests (failed/graded):") + 1 :]
    ]
    assert len(shown) == min(5, len(failed))
    assert [failed[t] for t in shown] == sorted(failed.values(), reverse=True)[: len(shown)]
    assert len(lines) <= 16


def test_summary_of_nothing_and_of_garbage():
    """Does it cope with no results and with entries that are not results at all?"""
    assert "0 submissions" in format_summary([])
    text = summary_of([{}, {"status": "graded", "score": "x"}, None, 3])
    assert "4 submissions" in text and "unreadable" in text


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from(sorted(TESTS)), max_size=6), st.integers(0, 99))
def test_summary_never_raises_on_generated_classes(assignments, seed):
    """Does any mix of synthetic results give a non-empty summary?"""
    import random

    from synthetic_class import make_result

    rng = random.Random(seed)
    results = [make_result(a, f"s{i}", rng.random(), rng) for i, a in enumerate(assignments)]
    text = summary_of(results)
    assert text.splitlines()[0].startswith(f"{len(results)} submission")


def test_summary_says_when_extra_credit_is_in_the_scores():
    """Is a median above the maximum explained (extra credit counts in the score)?"""

    def result(extra: bool) -> dict:
        test = {"id": "t", "name": "t", "score": 2.0, "max_score": 2.0, "status": "passed"}
        bonus = dict(test, id="bonus", extra_credit=True)
        tests = [test, bonus] if extra else [test]
        score = 4.0 if extra else 2.0
        return {"status": "graded", "score": score, "max_score": 2.0, "tests": tests,
                "student": "s", "assignment": "a"}  # fmt: skip

    assert "extra credit included" in summary_of([result(True), result(False)])
    assert "extra credit" not in summary_of([result(False)])
