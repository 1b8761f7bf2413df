"""Readers of results.json: strict (what the trusted side wrote; a ResultError naming the
field for anything off-schema) and lenient (reports of older or damaged files)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import replace
from enum import StrEnum
from typing import Any

from dlgrade.grading.results import (
    _RESULT_KEYS,
    _TEST_KEYS,
    MAX_NAME,
    MAX_PATH,
    MAX_POINTS,
    MAX_SECONDS,
    MAX_TESTS,
    MAX_TEXT,
    SCHEMA_VERSION,
    TOLERANCE,
    CellError,
    Flag,
    GraderInfo,
    NotebookRun,
    Result,
    ResultError,
    Status,
    TaskScore,
    TestResult,
    TestStatus,
    Unrecorded,
    Visibility,
)


def finite(value: Any, default: float | None = 0.0) -> float | None:
    """`value` as a finite float, or `default` for anything else (bools, strings, NaN)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    value = float(value)
    return value if math.isfinite(value) else default


def text(value: Any, limit: int = MAX_TEXT) -> str:
    """`value` as a string of at most `limit` characters ("" for anything not text)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        value = str(value) if isinstance(value, int | float) else ""
    return value if len(value) <= limit else value[:limit] + "…"


def lenient_result(data: Any, limit: int = 4000) -> Result:
    """A Result from any decoded JSON (reports of older or damaged files); never raises.

    Missing keys get defaults; numbers that are not finite read as absent. Fallbacks:
    an unknown or missing status reads as ``Unrecorded.UNREADABLE`` (kept in the
    detail; a TA reviews it) with the file's points kept; a missing or unusable score
    is the sum of the tests' scores (never a silent zero), likewise max_score and the
    extra credit; an unknown test status reads as ``error``, an unknown visibility as
    ``hidden``. Strings are cut at `limit` characters, flags at 20."""
    if not isinstance(data, dict):
        return Result(Unrecorded.UNREADABLE, "results.json is not a JSON object")
    raw_tests = data.get("tests")
    tests = [
        _lenient_test(t, i, limit)
        for i, t in enumerate(raw_tests if isinstance(raw_tests, list) else [])
        if isinstance(t, dict)
    ]
    sums = Result.from_tests(Status.GRADED, tests)
    sums = replace(
        sums, **{k: finite(getattr(sums, k)) for k in ("score", "max_score", "extra_credit_score")}
    )
    detail = text(data.get("status_detail"), min(limit, 1000))
    status: Status | Unrecorded
    try:
        status = Status(data.get("status"))
    except ValueError:
        status = Unrecorded.UNREADABLE
        detail = f"unknown status {text(data.get('status'), 40)!r}" + (
            f": {detail}" if detail else ""
        )
    raw_flags = data.get("flags")
    flags = {text(f, 40) for f in (raw_flags if isinstance(raw_flags, list) else [])[:20]}
    submitted_at = data.get("submitted_at")
    return Result(
        status=status,
        status_detail=detail,
        flags=tuple(sorted(f for f in flags if f)),
        score=finite(data.get("score"), sums.score),
        max_score=finite(data.get("max_score"), sums.max_score),
        extra_credit_score=finite(data.get("extra_credit_score"), sums.extra_credit_score),
        tests=tuple(tests),
        tasks=sums.tasks,
        execution_time=finite(data.get("execution_time"), None),
        assignment=text(data.get("assignment"), 200),
        student=text(data.get("student"), 200),
        submitted_at=text(submitted_at, 64) if isinstance(submitted_at, str) else None,
        late=data.get("late") is True,
    )


def _lenient_test(data: dict, index: int, limit: int) -> TestResult:
    name = text(data.get("name"), 500)
    test_id = text(data.get("id"), 500) or name or f"test #{index + 1}"
    try:
        status: TestStatus | str = TestStatus(data.get("status"))
    except ValueError:
        status = TestStatus.ERROR
    try:
        visibility: Visibility | str = Visibility(data.get("visibility"))
    except ValueError:
        visibility = Visibility.HIDDEN
    return TestResult(
        name=name or test_id,
        id=test_id,
        task=text(data.get("task"), 200),
        score=finite(data.get("score")),
        max_score=finite(data.get("max_score")),
        extra_credit=data.get("extra_credit") is True,
        status=status,
        output=text(data.get("output"), limit),
        visibility=visibility,
        duration=finite(data.get("duration"), None),
    )


def _fail(where: str, problem: str) -> ResultError:
    return ResultError(f"{where}: {problem}" if where else problem)


def _object(data: Any, where: str, required: Iterable[str], optional: Iterable[str] = ()) -> dict:
    if not isinstance(data, dict):
        raise _fail(where, f"expected an object, got {type(data).__name__}")
    required = tuple(required)
    unknown = sorted(set(data) - set(required) - set(optional), key=str)
    if unknown:
        raise _fail(where, f"unknown key {text(unknown[0], 60)!r}")
    missing = [k for k in required if k not in data]
    if missing:
        raise _fail(where, f"missing key {missing[0]!r}")
    return data


def _number(value: Any, where: str, high: float = MAX_POINTS) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(where, f"expected a number, got {type(value).__name__}")
    if not math.isfinite(value) or not 0 <= value <= high:
        raise _fail(where, f"{value!r} is not a number between 0 and {high:g}")
    return float(value)


def _integer(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 2**31:
        raise _fail(where, f"expected a non-negative integer, got {text(repr(value), 60)}")
    return value


def _string(value: Any, where: str, limit: int = MAX_NAME) -> str:
    if not isinstance(value, str):
        raise _fail(where, f"expected a string, got {type(value).__name__}")
    if len(value) > limit:
        raise _fail(where, f"{len(value)} characters, more than {limit}")
    return value


def _member(value: Any, kind: type[StrEnum], where: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        known = ", ".join(m.value for m in kind)
        raise _fail(where, f"{text(repr(value), 60)} is not one of {known}") from None


def _close(a: float, b: float, count: int) -> bool:
    return abs(a - b) <= TOLERANCE * (1 + count) * max(1.0, abs(b))


def _strict_test(data: Any, where: str) -> TestResult:
    _object(data, where, _TEST_KEYS)
    score = _number(data["score"], f"{where}.score")
    max_score = _number(data["max_score"], f"{where}.max_score")
    if score > max_score:
        raise _fail(where, f"score {score:g} exceeds max_score {max_score:g}")
    if not isinstance(data["extra_credit"], bool):
        raise _fail(f"{where}.extra_credit", "expected true or false")
    return TestResult(
        name=_string(data["name"], f"{where}.name"),
        id=_string(data["id"], f"{where}.id"),
        task=_string(data["task"], f"{where}.task"),
        score=score,
        max_score=max_score,
        extra_credit=data["extra_credit"],
        status=_member(data["status"], TestStatus, f"{where}.status"),
        output=_string(data["output"], f"{where}.output", MAX_TEXT),
        visibility=_member(data["visibility"], Visibility, f"{where}.visibility"),
        duration=_number(data["duration"], f"{where}.duration", MAX_SECONDS),
    )


def _strict_notebook(data: Any) -> NotebookRun | None:
    if data == {}:
        return None
    _object(data, "notebook", ("cells_skipped", "cell_errors"))
    skipped, errors = data["cells_skipped"], data["cell_errors"]
    if not isinstance(skipped, list) or not isinstance(errors, list):
        raise _fail("notebook", "cells_skipped and cell_errors must be lists")
    return NotebookRun(
        tuple(_integer(c, f"notebook.cells_skipped[{i}]") for i, c in enumerate(skipped)),
        tuple(
            CellError(
                _integer(_object(e, w, ("cell", "ename"))["cell"], f"{w}.cell"),
                _string(e["ename"], f"{w}.ename", 200),
            )
            for i, e in enumerate(errors)
            for w in (f"notebook.cell_errors[{i}]",)
        ),
    )


def _strict_grader(data: Any) -> GraderInfo:
    _object(data, "grader", ("backend", "graders_sha256", "sandbox_restarts"))
    return GraderInfo(
        _string(data["backend"], "grader.backend", 200),
        _string(data["graders_sha256"], "grader.graders_sha256", 64),
        _integer(data["sandbox_restarts"], "grader.sandbox_restarts"),
    )


def _strict_result(data: Any) -> Result:
    required = ("schema", *(k for k in _RESULT_KEYS if k != "grader"))
    _object(data, "", required, ("grader",))
    if data["schema"] != SCHEMA_VERSION or isinstance(data["schema"], bool):
        raise _fail("schema", f"{text(repr(data['schema']), 60)}, expected {SCHEMA_VERSION}")
    raw_tests, raw_flags, raw_tasks = data["tests"], data["flags"], data["tasks"]
    if not isinstance(raw_tests, list) or len(raw_tests) > MAX_TESTS:
        raise _fail("tests", f"expected a list of at most {MAX_TESTS} tests")
    if not isinstance(raw_flags, list) or len(raw_flags) > len(Flag):
        raise _fail("flags", "expected a list of flags")
    if len(set(map(str, raw_flags))) != len(raw_flags):
        raise _fail("flags", "a flag is listed twice")
    if not isinstance(raw_tasks, dict) or len(raw_tasks) > MAX_TESTS:
        raise _fail("tasks", "expected an object of task scores")
    tests = tuple(_strict_test(t, f"tests[{i}]") for i, t in enumerate(raw_tests))
    tasks = {}
    for name, value in raw_tasks.items():
        where = f"tasks[{text(name, 60)!r}]"
        _object(value, where, ("score", "max_score"))
        tasks[_string(name, where)] = TaskScore(
            _number(value["score"], f"{where}.score"),
            _number(value["max_score"], f"{where}.max_score"),
        )
    submitted_at = data["submitted_at"]
    if not isinstance(data["late"], bool):
        raise _fail("late", "expected true or false")
    result = Result(
        status=_member(data["status"], Status, "status"),
        status_detail=_string(data["status_detail"], "status_detail", MAX_TEXT),
        flags=tuple(_member(f, Flag, f"flags[{i}]") for i, f in enumerate(raw_flags)),
        score=_number(data["score"], "score"),
        max_score=_number(data["max_score"], "max_score"),
        extra_credit_score=_number(data["extra_credit_score"], "extra_credit_score"),
        tests=tests,
        tasks=tasks,
        notebook=_strict_notebook(data["notebook"]),
        grader=_strict_grader(data["grader"]) if "grader" in data else None,
        execution_time=_number(data["execution_time"], "execution_time", MAX_SECONDS),
        assignment=_string(data["assignment"], "assignment", MAX_PATH),
        student=_string(data["student"], "student", MAX_PATH),
        submitted_at=None if submitted_at is None else _string(submitted_at, "submitted_at", 64),
        late=data["late"],
    )
    _check_sums(result)
    return result


def _check_sums(result: Result) -> None:
    regular = result.score - result.extra_credit_score
    if regular > result.max_score + TOLERANCE * max(1.0, result.max_score):
        raise _fail(
            "score",
            f"{result.score:g} exceeds max_score {result.max_score:g} "
            f"(+{result.extra_credit_score:g} extra credit)",
        )
    sums = Result.from_tests(Status.GRADED, result.tests)
    n = len(result.tests)
    for key in ("score", "max_score", "extra_credit_score"):
        if not _close(getattr(result, key), getattr(sums, key), n):
            raise _fail(key, f"{getattr(result, key):g} is not the sum over the tests")
