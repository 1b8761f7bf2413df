"""results.json: the one owner of its schema (documented in ``results.schema.json``).

* :class:`Status` of a submission, :class:`TestStatus` of one test, :class:`Flag` s, and
  :class:`Unrecorded` for states without a usable results.json (reports, `dlgrade status`);
* frozen :class:`Result` and :class:`TestResult` (with :class:`TaskScore`,
  :class:`NotebookRun`, :class:`GraderInfo`), ``to_json()`` / ``from_json()``;
* :func:`read_result`: the strict reader of what the trusted side wrote (a
  :class:`ResultError` naming the field for anything off-schema), :func:`write_result`
  (atomic), and :func:`lenient_result` for reports of older or damaged files.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from dlgrade.paths import atomic_write

SCHEMA_VERSION = 1
SCHEMA_FILE = Path(__file__).with_name("results.schema.json")
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_POINTS = 1e6
MAX_SECONDS = 1e7
MAX_TESTS = 10_000
MAX_TEXT = 100_000
MAX_NAME = 10_000
MAX_PATH = 4096
TOLERANCE = 1e-6


class Status(StrEnum):
    """A submission's status: whether every test reached a verdict."""

    GRADED = "graded"
    TIMEOUT = "timeout"
    CRASHED = "crashed"
    INVALID = "invalid"

    @property
    def scored(self) -> bool:
        """Grading ran, so the earned points are the grade (everywhere)."""
        return self is not Status.INVALID


class Unrecorded(StrEnum):
    """What a submission is when it has no usable results.json (never written to one)."""

    MISSING = "missing"  # submitted, no results.json
    UNREADABLE = "unreadable"  # a results.json that cannot be read, or an unknown status
    ABSENT = "absent"  # not submitted (course overview)
    PENDING = "pending"  # not graded yet (`dlgrade status`)
    CHANGED = "changed"  # submitted again after it was graded (`dlgrade status`)


class TestStatus(StrEnum):
    __test__ = False

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    TIMEOUT = "timeout"
    CRASHED = "crashed"
    SKIPPED = "skipped"


class Visibility(StrEnum):
    VISIBLE = "visible"
    HIDDEN = "hidden"


class Flag(StrEnum):
    """Something a TA should look at in a submission, whatever its status."""

    CELL_TIMEOUT = "cell_timeout"
    CELL_CRASHED = "cell_crashed"
    TEST_TIMEOUT = "test_timeout"
    TEST_CRASHED = "test_crashed"
    TEST_ERROR = "test_error"
    GRADER_ERROR = "grader_error"


TEST_FLAGS = {
    TestStatus.TIMEOUT: Flag.TEST_TIMEOUT,
    TestStatus.CRASHED: Flag.TEST_CRASHED,
    TestStatus.ERROR: Flag.TEST_ERROR,
}
CELL_FLAGS = {"timeout": Flag.CELL_TIMEOUT, "crashed": Flag.CELL_CRASHED}  # sandbox cell states


class ResultError(ValueError):
    """A results.json that does not follow the schema."""


@dataclass(frozen=True)
class TestResult:
    __test__ = False

    name: str
    id: str
    task: str
    score: float
    max_score: float
    extra_credit: bool
    status: TestStatus | str
    output: str
    visibility: Visibility | str
    duration: float | None

    @property
    def passed(self) -> bool:
        return self.status == TestStatus.PASSED

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in _TEST_KEYS}


@dataclass(frozen=True)
class TaskScore:
    score: float = 0.0
    max_score: float = 0.0


@dataclass(frozen=True)
class CellError:
    cell: int
    ename: str


@dataclass(frozen=True)
class NotebookRun:
    """What the sandbox's run of the notebook's cells found."""

    cells_skipped: tuple[int, ...] = ()
    cell_errors: tuple[CellError, ...] = ()


@dataclass(frozen=True)
class GraderInfo:
    backend: str
    graders_sha256: str
    sandbox_restarts: int = 0


@dataclass(frozen=True)
class Result:
    """One submission's results.json. `notebook` is None when no sandbox ran, `grader`
    when no grader ran, `execution_time` until the batch sets it."""

    status: Status | Unrecorded
    status_detail: str = ""
    flags: tuple[str, ...] = ()
    score: float = 0.0
    max_score: float = 0.0
    extra_credit_score: float = 0.0
    tests: tuple[TestResult, ...] = ()
    tasks: Mapping[str, TaskScore] = field(default_factory=dict)
    notebook: NotebookRun | None = None
    grader: GraderInfo | None = None
    execution_time: float | None = None
    assignment: str = ""
    student: str = ""
    submitted_at: str | None = None
    late: bool = False

    @classmethod
    def from_tests(cls, status: Status, tests: Iterable[TestResult], **fields: Any) -> Result:
        """A result whose scores and task scores are the sums of its tests' (extra credit
        counts towards the score, not towards max_score or the tasks)."""
        tests = tuple(tests)
        tasks: dict[str, TaskScore] = {}
        for t in tests:
            if not t.extra_credit:
                task = tasks.get(t.task, TaskScore())
                tasks[t.task] = TaskScore(task.score + t.score, task.max_score + t.max_score)
        return cls(
            status=status,
            score=round(sum(t.score for t in tests), 6),
            max_score=round(sum(t.max_score for t in tests if not t.extra_credit), 6),
            extra_credit_score=round(sum(t.score for t in tests if t.extra_credit), 6),
            tests=tests,
            tasks=tasks,
            **fields,
        )

    @property
    def scored(self) -> bool:
        """Grading ran: the earned points are the grade (graded, timeout, crashed)."""
        return isinstance(self.status, Status) and self.status.scored

    @property
    def needs_review(self) -> bool:
        """Not fully graded, or graded with a flag: a TA should look at it."""
        return self.status != Status.GRADED or bool(self.flags)

    def with_detail(self, detail: str) -> Result:
        """This result with `detail` appended to its status_detail."""
        return replace(self, status_detail="; ".join(filter(None, [self.status_detail, detail])))

    def to_json(self) -> dict[str, Any]:
        """The JSON object written to results.json (keys in the schema's order)."""
        out: dict[str, Any] = {"schema": SCHEMA_VERSION}
        for key in _RESULT_KEYS:
            value = getattr(self, key)
            if key == "tests":
                value = [t.to_json() for t in value]
            elif key == "tasks":
                value = {k: {"score": v.score, "max_score": v.max_score} for k, v in value.items()}
            elif key == "notebook":
                value = {} if value is None else _notebook_json(value)
            elif key == "grader":
                if value is None:
                    continue
                value = {k: getattr(value, k) for k in ("backend", "graders_sha256",
                                                        "sandbox_restarts")}  # fmt: skip
            elif key == "flags":
                value = list(value)
            out[key] = value
        return out

    @classmethod
    def from_json(cls, data: Any) -> Result:
        """The strict reader: `data` as the trusted side writes it, or a ResultError."""
        return _strict_result(data)


_TEST_KEYS = tuple(TestResult.__dataclass_fields__)
_RESULT_KEYS = (
    "assignment", "student", "status", "status_detail", "flags", "score", "max_score",
    "extra_credit_score", "tests", "tasks", "notebook", "grader", "execution_time",
    "submitted_at", "late",
)  # fmt: skip


def _notebook_json(run: NotebookRun) -> dict[str, Any]:
    return {
        "cells_skipped": list(run.cells_skipped),
        "cell_errors": [{"cell": e.cell, "ename": e.ename} for e in run.cell_errors],
    }


def invalid(detail: str) -> Result:
    """Nothing was graded (intake or the notebook rejected): nothing earned."""
    return Result(Status.INVALID, detail)


def not_finished(detail: str, status: Status = Status.CRASHED) -> Result:
    """Grading of the submission was stopped or died before any test verdict was kept."""
    return Result(status, detail)


def dumps(result: Result) -> str:
    return json.dumps(result.to_json(), indent=1, sort_keys=False)


def write_result(path: Path, result: Result) -> None:
    """Write `result` to `path` atomically (readers see the old file or the new one)."""
    atomic_write(path, dumps(result))


def read_result(path: Path) -> Result:
    """The result the trusted side wrote at `path`; ResultError if it is off-schema."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ResultError(f"{path}: more than the {MAX_FILE_BYTES} bytes a result may hold")
        data = json.loads(path.read_text(encoding="utf-8"))
    except ResultError:
        raise
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as err:
        raise ResultError(f"{path}: cannot read results.json: {err}") from err
    try:
        return Result.from_json(data)
    except ResultError as err:
        raise ResultError(f"{path}: {err}") from None


# The readers need the types above, so they are imported last.
from dlgrade.grading.results.read import (  # noqa: E402, I001
    _strict_result,
    finite as finite,
    lenient_result as lenient_result,
    text as text,
)
