"""The results model: round trip, the strict reader, the lenient one, the JSON Schema."""

from __future__ import annotations

import copy
import json
import math
import shutil

import jsonschema
import pytest

from dlgrade.feedback import render
from dlgrade.grading import batch
from dlgrade.grading.results import (
    MAX_FILE_BYTES,
    SCHEMA_FILE,
    Flag,
    GraderInfo,
    NotebookRun,
    Result,
    ResultError,
    Status,
    TestResult,
    TestStatus,
    Unrecorded,
    Visibility,
    lenient_result,
    read_result,
    write_result,
)
from tests.conftest import copy_of_assignment

SCHEMA = json.loads(SCHEMA_FILE.read_text())


def _test(name: str, score: float, max_score: float = 2.0, **fields) -> TestResult:
    values = dict(
        name=name,
        id=f"test_x.py::{name}",
        task="t1",
        score=score,
        max_score=max_score,
        extra_credit=False,
        status=TestStatus.PASSED if score == max_score else TestStatus.FAILED,
        output="" if score == max_score else "the output is wrong",
        visibility=Visibility.HIDDEN,
        duration=0.25,
    )
    return TestResult(**{**values, **fields})


def _result() -> Result:
    tests = [
        _test("a", 2.0),
        _test("b", 0.0, task="t2", status=TestStatus.TIMEOUT),
        _test("bonus", 1.0, 1.0, extra_credit=True, visibility=Visibility.VISIBLE),
    ]
    return Result.from_tests(
        Status.TIMEOUT,
        tests,
        status_detail="1 test timed out",
        flags=(Flag.CELL_TIMEOUT, Flag.TEST_TIMEOUT),
        notebook=NotebookRun(cells_skipped=(3,)),
        grader=GraderInfo("LocalSandbox", "ab" * 32, 1),
        execution_time=6.5,
        assignment="attention",
        student="ada",
        submitted_at="2026-11-20 10:00:00 UTC",
        late=True,
    )


def test_a_result_survives_the_round_trip(tmp_path):
    """Does to_json → file → strict reader give back the same result, sums included?"""
    result = _result()
    assert (result.score, result.max_score, result.extra_credit_score) == (3.0, 4.0, 1.0)
    assert {k: (v.score, v.max_score) for k, v in result.tasks.items()} == {
        "t1": (2.0, 2.0),
        "t2": (0.0, 2.0),
    }
    path = tmp_path / "results.json"
    write_result(path, result)
    assert read_result(path) == result
    assert Result.from_json(json.loads(path.read_text())) == result
    data = json.loads(path.read_text())
    assert list(data)[:4] == ["schema", "assignment", "student", "status"]
    jsonschema.validate(data, SCHEMA)


def test_the_schema_file_and_the_model_name_the_same_fields_and_values():
    """Do the JSON Schema's keys and enums match the dataclasses and enums exactly?"""
    data = _result().to_json()
    assert set(SCHEMA["properties"]) == set(data)
    assert set(SCHEMA["required"]) == set(data) - {"grader"}
    test_schema = SCHEMA["$defs"]["test"]
    assert list(test_schema["properties"]) == list(TestResult.__dataclass_fields__)
    assert SCHEMA["properties"]["status"]["enum"] == [s.value for s in Status]
    assert test_schema["properties"]["status"]["enum"] == [s.value for s in TestStatus]
    assert SCHEMA["properties"]["flags"]["items"]["enum"] == [f.value for f in Flag]
    assert test_schema["properties"]["visibility"]["enum"] == [v.value for v in Visibility]


def _set(path: str, value):
    def change(data: dict) -> None:
        *parents, last = path.split(".")
        target = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is _DELETE:
            del target[last]
        else:
            target[last] = value

    return change


_DELETE = object()
# (what is wrong, the change, whether a JSON Schema can say it)
BAD = [
    ("score is a string", _set("score", "3"), True),
    ("score is a bool", _set("score", True), True),
    ("late is a number", _set("late", 1), True),
    ("unknown status", _set("status", "great"), True),
    ("report-only status", _set("status", "unreadable"), True),
    ("unknown test status", _set("tests.0.status", "ok"), True),
    ("unknown flag", _set("flags", ["cell_timeout", "slow"]), True),
    ("negative score", _set("tests.1.score", -1.0), True),
    ("NaN score", _set("score", math.nan), False),
    ("infinite time", _set("execution_time", math.inf), False),
    ("huge score", _set("max_score", 1e12), True),
    ("test above its maximum", _set("tests.1.score", 3.0), False),
    ("score above max_score", _set("score", 9.0), False),
    ("score not the sum of the tests", _set("score", 2.0), False),
    ("unknown key", _set("expected", 42), True),
    ("unknown test key", _set("tests.0.source", "assert out == 42"), True),
    ("missing key", _set("tests", _DELETE), True),
    ("missing test key", _set("tests.0.duration", _DELETE), True),
    ("other schema version", _set("schema", 2), True),
    ("tests not a list", _set("tests", {"a": 1}), True),
    ("cell index not an integer", _set("notebook.cells_skipped", [1.5]), True),
    ("restarts negative", _set("grader.sandbox_restarts", -1), True),
    ("a flag twice", _set("flags", ["cell_timeout", "cell_timeout"]), True),
]


@pytest.mark.parametrize("change,schema_says", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_the_strict_reader_rejects_anything_off_schema(tmp_path, change, schema_says):
    """Is every kind of bad file a ResultError naming the file (and, where a JSON Schema
    can express it, invalid under results.schema.json too)?"""
    data = _result().to_json()
    change(data)
    path = tmp_path / "results.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ResultError, match="results.json: "):
        read_result(path)
    if schema_says:
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(data, SCHEMA)


def test_the_strict_reader_rejects_unreadable_files(tmp_path):
    """Are truncated JSON, a non-object, bad UTF-8, a missing and an oversized file
    ResultErrors, not crashes?"""
    path = tmp_path / "results.json"
    for content in ('{"status": "graded", "score": ', "[1, 2, 3]", "\xff"):
        path.write_text(content, encoding="latin-1")
        with pytest.raises(ResultError):
            read_result(path)
    with pytest.raises(ResultError):
        read_result(tmp_path / "nothing.json")
    with open(path, "wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(ResultError, match="bytes a result may hold"):
        read_result(path)


def test_the_lenient_reader_reads_an_older_file_without_losing_points():
    """Does a file from an older version (no schema, flags, extra credit, notebook or
    score keys) read with defaults, the score summed from its tests, never zeroed?"""
    old = {
        "status": "graded",
        "max_score": 4.0,
        "tests": [
            {"id": "t::a", "name": "a", "score": 2.0, "max_score": 2.0, "status": "passed"},
            {"id": "t::b", "score": 1.0, "max_score": 2.0, "status": "partial"},
        ],
    }
    result = lenient_result(old)
    assert (result.status, result.score, result.max_score) == (Status.GRADED, 3.0, 4.0)
    assert result.flags == () and result.extra_credit_score == 0.0
    assert [t.status for t in result.tests] == [TestStatus.PASSED, TestStatus.ERROR]
    assert result.tests[1].name == "t::b" and result.tests[1].visibility == Visibility.HIDDEN
    assert result.tasks[""].score == 3.0
    strange = lenient_result({**old, "status": "great", "score": 3.0})
    assert strange.status == Unrecorded.UNREADABLE and "great" in strange.status_detail
    assert strange.score == 3.0 and strange.needs_review
    assert lenient_result([1, 2]).status == Unrecorded.UNREADABLE


@pytest.fixture(scope="module")
def attention():
    """The attention reference and an unreadable notebook, graded once."""
    course = copy_of_assignment("results-schema", "attention")
    course.submit("reference", course.notebook("reference"))
    course.submit("broken", b"{ not a notebook")
    course.grade(workers=2)
    yield course
    shutil.rmtree(course.root, ignore_errors=True)


@pytest.mark.slow
def test_every_results_json_the_pipeline_writes_follows_the_schema(attention):
    """Do a graded, an invalid and a crash-recorded results.json all validate against
    results.schema.json and read back strictly, with the reference at full marks?"""
    paths = attention.paths
    crashed = batch._crash_result(paths, batch.Job("attention", "lost"), "the node died")
    assert read_result(paths.results("lost", "attention")) == crashed
    found = {}
    for student in ("reference", "broken", "lost"):
        path = paths.results(student, "attention")
        jsonschema.validate(json.loads(path.read_text()), SCHEMA)
        found[student] = read_result(path)
    reference = found["reference"]
    assert reference.status == Status.GRADED and reference.score == reference.max_score > 0
    assert reference.grader is not None and reference.notebook is not None
    assert all(t.passed for t in reference.tests)
    assert found["broken"].status == Status.INVALID and found["broken"].score == 0.0
    assert found["lost"].status == Status.CRASHED and found["lost"].grader is None
    tampered = copy.deepcopy(reference.to_json())
    tampered["tests"][0]["score"] = tampered["tests"][0]["max_score"] + 1
    with pytest.raises(ResultError):
        Result.from_json(tampered)
    assert 'id="total-score"' in render(reference)
