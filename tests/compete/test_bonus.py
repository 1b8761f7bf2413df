"""The final private ranking → extra credit: bands, the baseline floor, teams, the
idempotent gradebook write, and the bonus in the Canvas/Moodle exports."""

from __future__ import annotations

import csv
import io

import pytest
from nbgrader.api import Gradebook

from dlgrade.compete.bonus import band_points, bonus_points, write_bonus
from dlgrade.report.build import export_grades


@pytest.fixture
def finished(store, scores):
    """`finished({user: private})`: each scored once (public = private), baselines pinned
    (PCA 0.6, random 0.3, supervised 0.95), the private board revealed."""

    def make(private_by_user):
        for user, p in private_by_user.items():
            sid = store.add_submission(user, b"w", "small", {})
            store.claim_next()
            store.record_scores(sid, scores(p, p))
        for name, p in (("PCA", 0.6), ("random encoder", 0.3), ("supervised encoder", 0.95)):
            store.pin_baseline(name, scores(p, p))
        store.reveal_private("prof")
        return store

    return make


def test_bands_by_rank(rules):
    # default bands: top 10 % 5 points, top 25 % 3, top 50 % 2
    assert [band_points(r, 10, rules) for r in range(1, 11)] == [5, 3, 3, 2, 2, 0, 0, 0, 0, 0]
    assert [band_points(r, 4, rules) for r in range(1, 5)] == [5, 2, 0, 0]
    assert band_points(1, 1, rules) == 5


def test_points_bands_and_floor(store, rules, finished):
    finished({"ann": 0.9, "ben": 0.8, "cat": 0.7, "dan": 0.5})
    # ann top band, ben top half, cat only beats PCA and random (floor), dan beats nothing
    assert bonus_points(store, rules) == {"ann": 5.0, "ben": 2.0, "cat": 1.0, "dan": 0.0}


def test_band_points_need_the_baselines_unless_configured(store, rules, finished):
    rules.bonus_bands = [[1.0, 2.0]]
    finished({"ann": 0.9, "dan": 0.5})
    assert bonus_points(store, rules) == {"ann": 2.0, "dan": 0.0}
    rules.bands_require_baselines = False
    assert bonus_points(store, rules) == {"ann": 2.0, "dan": 2.0}


def test_supervised_reference_is_not_needed_but_others_are(store, rules, finished):
    rules.bonus_bands = []
    finished({"ann": 0.61, "ben": 0.6})  # ben ties PCA: not beating it
    assert bonus_points(store, rules) == {"ann": 1.0, "ben": 0.0}


def test_both_team_members_get_the_team_s_points(store, rules, finished):
    store.form_team("ann", "amy")
    store.form_team("amy", "ann")
    finished({"ann": 0.9, "ben": 0.8})
    assert bonus_points(store, rules) == {"amy": 5.0, "ann": 5.0, "ben": 1.0}  # 2nd of 2: floor


def test_no_bonus_before_the_reveal(store, rules):
    with pytest.raises(ValueError, match="reveal"):
        bonus_points(store, rules)


def grades(paths, student):
    with Gradebook(paths.coursedir.db_url, paths.coursedir.course_id) as gb:
        sub = gb.find_submission("represent", student)
        ec = {g.name: g.extra_credit for nb in sub.notebooks for g in nb.grades}
        return ec, sub.score


def test_gradebook_write_is_idempotent_extra_credit(gradebook_course):
    paths = gradebook_course
    assert write_bonus(paths, "represent", {"alice": 3.0, "bob": 0.0}) == 1
    assert write_bonus(paths, "represent", {"alice": 3.0, "bob": 0.0}) == 1
    ec, score = grades(paths, "alice")
    assert ec == {"test_augment": 3.0, "test_knn": None} and score == 3.0
    with Gradebook(paths.coursedir.db_url, "bonus-course") as gb:
        with pytest.raises(Exception, match="No such submission"):
            gb.find_submission("represent", "bob")  # nothing earned, nothing created
    write_bonus(paths, "represent", {"alice": 0.0})  # a changed rule: cleared
    assert grades(paths, "alice") == ({"test_augment": None, "test_knn": None}, 0.0)


def test_unknown_assignment_is_refused(gradebook_course):
    with pytest.raises(LookupError, match="release it first"):
        write_bonus(gradebook_course, "nope", {"alice": 1.0})


def test_bonus_reaches_the_lms_exports(gradebook_course):
    paths = gradebook_course
    write_bonus(paths, "represent", {"alice": 2.5})
    written = {p.name: p for p in export_grades(paths, ["represent"], course=False)}
    canvas = list(csv.DictReader(io.StringIO(written["canvas-represent.csv"].read_text())))
    by_login = {r["SIS Login ID"]: r["represent"] for r in canvas}
    assert by_login["alice"] == "2.5" and by_login["bob"] == ""
    moodle = list(csv.DictReader(io.StringIO(written["moodle-represent.csv"].read_text())))
    assert {r["Username"]: r["represent"] for r in moodle} == {"alice": "2.5", "bob": ""}


def test_bonus_adds_to_a_graded_notebook_s_points_in_the_lms_columns():
    from dlgrade.grading.results import Status
    from dlgrade.report.course import course_overview
    from dlgrade.report.exports import canvas_csv
    from dlgrade.report.load import GradebookInfo
    from dlgrade.report.model import GradedSubmission

    subs = {"represent": [GradedSubmission("alice", "represent", Status.GRADED, score=30.0,
                                           max_score=42.0)]}  # fmt: skip
    info = GradebookInfo(extra_credit={"represent": {"alice": 2.5}})
    text = canvas_csv(course_overview(subs, ["represent"], info), info)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["represent"] == "42"  # points possible unchanged: extra credit
    assert rows[1]["SIS Login ID"] == "alice" and rows[1]["represent"] == "32.5"
