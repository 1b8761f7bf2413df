"""Rendering edge cases: empty, all-broken and one-student assignments still give a report."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from dlgrade.grading.results import TestResult as Result
from dlgrade.report.course import course_overview
from dlgrade.report.model import GradedSubmission
from dlgrade.report.render import assignment_html, course_html


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)


def tags(html: str) -> list[str]:
    parser = Tags()
    parser.feed(html)
    return parser.tags


def passed_test() -> Result:
    return Result("a", "t::a", "x", 1.0, 1.0, False, "passed", "", "visible", 0.1)


CASES = {
    "empty": [],
    "all broken": [
        GradedSubmission("s1", "a", "invalid", "not a notebook"),
        GradedSubmission("s2", "a", "crashed", "killed", execution_time=3.0),
        GradedSubmission("s3", "a", "missing", "no results.json"),
    ],
    "one student": [
        GradedSubmission("s1", "a", "graded", score=1.0, max_score=1.0, tests=(passed_test(),))
    ],
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_degenerate_assignments_render(case):
    """Does the report render (no exception, no script, sections present) for `case`?"""
    subs = CASES[case]
    html = assignment_html("a", subs)
    found = tags(html)
    assert "script" not in found and found.count("section") == 8
    if not any(s.graded for s in subs):
        assert "No graded submissions." in html
    for s in subs:
        assert s.student in html
    overview = course_overview({"a": subs}, ["a"])
    assert "script" not in tags(course_html(overview))


def test_markup_in_names_and_messages_is_escaped():
    """Do a student name and a failure message full of markup come out as text?"""
    evil = '<img src=x onerror="alert(1)">'
    bad = Result("a", "t::a", "x", 0.0, 1.0, False, "failed", evil, "visible", 0.1)
    subs = [
        GradedSubmission(evil, "a", "graded", score=0.0, max_score=1.0, tests=(bad,), late=True)
    ]
    html = assignment_html("a", subs) + course_html(course_overview({"a": subs}, ["a"]))
    assert "img" not in tags(html)
    assert "&lt;img src=x onerror=" in html
