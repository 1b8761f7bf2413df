"""The overview across courses: two courses in one repository, graded for real, and a
student enrolled in both shows in both."""

from __future__ import annotations

import re
import shutil
import uuid

import pytest
from nbgrader.apps import NbGraderAPI

from dlgrade.courses import every_course
from dlgrade.release import release_assignment
from dlgrade.report.courses import courses_overview, write_overview
from tests.conftest import FIXTURE_COURSE, REPO, WORK, Course

STUDENTS = {"advanced": ["alice", "bob"], "intro": ["alice"]}


@pytest.fixture(scope="module")
def two_courses():
    """This repository's course configs with the fixture assignment `hello` in each course
    (source/hello and source/intro/hello), alice in both, the reference submitted and graded."""
    root = WORK / f"courses-{uuid.uuid4().hex[:8]}"
    root.mkdir(parents=True)
    shutil.copy(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
    shutil.copytree(REPO / "courses", root / "courses")
    for name in STUDENTS:
        course = Course(root, "hello", name)
        for folder, part in (
            (course.paths.source("hello"), "source"),
            (course.paths.graders("hello"), "graders"),
        ):
            shutil.copytree(FIXTURE_COURSE / part / "hello", folder)
        api = NbGraderAPI(coursedir=course.paths.coursedir, config=course.config)
        release_assignment(api, course.paths, "hello")
        nb = course.notebook("reference")
        for student in STUDENTS[name]:
            course.submit(student, nb)
        course.submit("carol" if name == "intro" else "dave", course.notebook("blank"))
        course.grade(workers=2)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def test_every_course_has_its_own_folders_and_gradebook(two_courses):
    """Do the two courses keep their assignments, results and gradebooks apart?"""
    courses = dict(every_course(two_courses))
    assert set(courses) == {"advanced", "intro"}
    adv, intro = courses["advanced"], courses["intro"]
    assert adv.assignments() == ["hello"] and intro.assignments() == ["hello"]
    assert adv.source("hello") != intro.source("hello")
    assert adv.coursedir.db_url != intro.coursedir.db_url
    assert adv.coursedir.course_id == "dl-advanced" and intro.coursedir.course_id == "dl-intro"
    assert adv.students("hello") == ["alice", "bob", "dave"]
    assert intro.students("hello") == ["alice", "carol"]


def test_overview_shows_each_student_in_each_course_they_take(two_courses):
    """Is alice (in both) in both columns, bob only in the advanced course, carol's blank 0 %?"""
    courses = [paths for _, paths in every_course(two_courses)]
    dest = two_courses / "reports"
    overview = courses_overview(courses, dest)
    assert [c.course_id for c in overview.courses] == ["dl-advanced", "dl-intro"]
    assert overview.students["alice"] == {"dl-advanced": 100.0, "dl-intro": 100.0}
    assert overview.students["bob"] == {"dl-advanced": 100.0}
    assert overview.students["carol"] == {"dl-intro": 0.0}
    html = write_overview(courses, dest).read_text()
    row = re.search(r'<tr data-student="bob">(.*?)</tr>', html, re.S).group(1)
    assert "not enrolled" in row and "100" in row
    assert 'href="course.html"' in html and 'href="intro/course.html"' in html


def test_one_autograder_grades_each_course_in_its_own_folders(two_courses):
    """Does one Autograder (made with the default course's settings, as the demo's is)
    grade the other course's submissions from that course's submitted/ into its own
    autograded/, never the default course's folders?"""
    from dlgrade.grading.autograder import Autograder

    courses = dict(every_course(two_courses))
    adv, intro = courses["advanced"], courses["intro"]
    shutil.rmtree(intro.autograded("carol", "hello"))
    grader = Autograder(config=adv.config, workers=1)
    [result] = grader.grade_assignment(intro, "hello", ["carol"])
    assert result.status.value == "graded" and result.student == "carol"
    assert intro.results("carol", "hello").is_file()
    assert not adv.autograded("carol", "hello").exists()
