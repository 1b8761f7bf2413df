"""Loading results.json files: every submission shows up, nothing crashes a report."""

from __future__ import annotations

import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st
from synthetic_class import DUEDATES, make_paths, write_course

from dlgrade.report.load import (
    GradebookInfo,
    graded_students,
    load_assignment,
    load_gradebook,
    order_assignments,
)
from dlgrade.report.model import parse_results

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=6)
    ),
    max_leaves=25,
)
result_like = st.fixed_dictionaries(
    {},
    optional={
        "status": st.sampled_from(["graded", "timeout", "crashed", "invalid", "weird", 3, None]),
        "score": json_values,
        "max_score": json_values,
        "execution_time": json_values,
        "late": json_values,
        "submitted_at": json_values,
        "tests": st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    k: json_values
                    for k in ("id", "name", "score", "max_score", "status", "output", "duration")
                },
            )
            | json_values,
            max_size=5,
        )
        | json_values,
    },
)


@settings(max_examples=80, deadline=None)
@given(result_like)
def test_any_json_parses_into_a_sane_submission(data):
    """Does any JSON value parse without raising, into finite numbers and a known status?"""
    sub = parse_results(data, "stu", "a1")
    assert sub.status in ("graded", "timeout", "crashed", "invalid", "unreadable")
    assert math.isfinite(sub.score) and math.isfinite(sub.max_score)
    assert sub.execution_time is None or math.isfinite(sub.execution_time)
    assert isinstance(sub.late, bool)
    for t in sub.tests:
        assert t.id and isinstance(t.output, str) and math.isfinite(t.score)
        assert t.visibility in ("visible", "hidden")


def test_unknown_status_is_unreadable_not_graded():
    """Is a status outside the contract reported as unreadable (and kept in the detail)?"""
    sub = parse_results({"status": "great", "score": 10}, "s", "a")
    assert sub.status == "unreadable" and "great" in sub.status_detail
    assert not sub.graded


def test_every_submission_is_loaded_including_broken_ones(tmp_path):
    """Do missing, corrupt and non-object results.json files each become one submission?"""
    cohort = write_course(tmp_path / "c")
    paths = cohort.paths
    paths.results("ada", "mlp").write_text('{"status": "graded", "score": ')
    paths.results("ben", "mlp").write_text("[1, 2, 3]")
    paths.results("cleo", "mlp").write_bytes(b"\xff\xfe\x00")
    paths.results("dmitri", "mlp").unlink()
    orphan = paths.results("zoe", "mlp")  # graded but no submitted/ folder left
    orphan.parent.mkdir(parents=True)
    orphan.write_text(json.dumps({"status": "graded", "score": 4, "max_score": 8}))
    subs = {s.student: s for s in load_assignment(paths, "mlp")}
    assert set(subs) == set(cohort.results["mlp"]) | {"zoe"}
    assert subs["ada"].status == subs["ben"].status == subs["cleo"].status == "unreadable"
    assert subs["dmitri"].status == "missing"
    assert subs["zoe"].graded and subs["zoe"].score == 4


def test_results_are_found_under_a_root_with_glob_characters(tmp_path):
    """Does a course root like `term[1]*` still find every results.json?"""
    cohort = write_course(tmp_path / "term[1]*?")
    assert graded_students(cohort.paths, "mlp") == sorted(cohort.results["mlp"])


def test_no_gradebook_means_name_order_and_no_file_created(tmp_path):
    """Without a gradebook, is the term order by name, and is no gradebook.db created?"""
    paths = make_paths(tmp_path)
    info = load_gradebook(paths)
    assert info == GradebookInfo()
    assert not (tmp_path / "gradebook.db").exists()
    assert order_assignments(["mlp", "diffusion", "attention"], info) == [
        "attention",
        "diffusion",
        "mlp",
    ]


def test_gradebook_due_dates_order_the_term(cohort_with_gradebook):
    """Do due dates from nbgrader's gradebook order the assignments, undated ones last?"""
    info = load_gradebook(cohort_with_gradebook.paths)
    assert info.duedates == DUEDATES
    assert order_assignments(["diffusion", "attention", "mlp"], info) == [
        "mlp",
        "attention",
        "diffusion",
    ]
    assert info.student("ada").email == "ada@uni.example"
    assert info.student("nobody").display_name == "nobody"
