"""Submissions as the reports see them: results.json parsed into typed, validated records.

Every field is coerced defensively: a malformed or truncated results.json becomes a
submission with status `unreadable`, never an exception that stops a report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

GRADED = "graded"
NOT_GRADED = ("timeout", "crashed", "invalid")
SCORED = (GRADED, "timeout", "crashed")  # their earned points are the grade, everywhere
MISSING = "missing"
UNREADABLE = "unreadable"
ABSENT = "absent"
STATUSES = (GRADED, *NOT_GRADED, MISSING, UNREADABLE)
TEST_PASSED = "passed"
TEXT_LIMIT = 4000


def number(value: Any, default: float = 0.0) -> float:
    """`value` as a finite float, or `default` for anything else (bools, strings, NaN)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    value = float(value)
    return value if math.isfinite(value) else default


def optional_number(value: Any) -> float | None:
    out = number(value, math.nan)
    return None if math.isnan(out) else out


def text(value: Any, limit: int = TEXT_LIMIT) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        value = str(value) if isinstance(value, int | float) else ""
    return value if len(value) <= limit else value[:limit] + "…"


@dataclass(frozen=True)
class TestResult:
    id: str
    name: str
    task: str
    score: float
    max_score: float
    extra_credit: bool
    status: str
    output: str
    visibility: str
    duration: float | None

    @property
    def passed(self) -> bool:
        return self.status == TEST_PASSED


@dataclass(frozen=True)
class Submission:
    student: str
    assignment: str
    status: str
    status_detail: str = ""
    score: float = 0.0
    max_score: float = 0.0
    execution_time: float | None = None
    submitted_at: str | None = None
    late: bool = False
    tests: tuple[TestResult, ...] = field(default_factory=tuple)
    flags: tuple[str, ...] = ()

    @property
    def graded(self) -> bool:
        return self.status == GRADED

    @property
    def scored(self) -> bool:
        """Grading ran: the earned points are this submission's grade (even when a test
        timed out or crashed, which costs only that test's points)."""
        return self.status in SCORED

    @property
    def needs_review(self) -> bool:
        """Not fully graded, or graded with a flag (a cell or test timed out, crashed...)."""
        return not self.graded or bool(self.flags)

    @property
    def percent(self) -> float | None:
        return 100.0 * self.score / self.max_score if self.max_score > 0 else None


def parse_test(data: Any, index: int) -> TestResult | None:
    if not isinstance(data, dict):
        return None
    name = text(data.get("name"), 500)
    test_id = text(data.get("id"), 500) or name or f"test #{index + 1}"
    visibility = data.get("visibility")
    return TestResult(
        id=test_id,
        name=name or test_id,
        task=text(data.get("task"), 200),
        score=number(data.get("score")),
        max_score=number(data.get("max_score")),
        extra_credit=data.get("extra_credit") is True,
        status=text(data.get("status"), 40) or "error",
        output=text(data.get("output")),
        visibility=visibility if visibility in ("visible", "hidden") else "hidden",
        duration=optional_number(data.get("duration")),
    )


def parse_results(data: Any, student: str, assignment: str) -> Submission:
    """A `Submission` from the decoded results.json of `student`/`assignment`.

    Only the documented fields are read; anything else in the file is ignored.
    """
    if not isinstance(data, dict):
        return Submission(student, assignment, UNREADABLE, "results.json is not a JSON object")
    status = data.get("status")
    detail = text(data.get("status_detail"), 1000)
    if status not in (GRADED, *NOT_GRADED):
        detail = f"unknown status {text(status, 40)!r}" + (f": {detail}" if detail else "")
        status = UNREADABLE
    raw_tests = data.get("tests")
    tests = [
        parse_test(t, i) for i, t in enumerate(raw_tests if isinstance(raw_tests, list) else [])
    ]
    submitted_at = data.get("submitted_at")
    raw_flags = data.get("flags")
    flags = [text(f, 40) for f in (raw_flags if isinstance(raw_flags, list) else [])[:20]]
    return Submission(
        student=student,
        assignment=assignment,
        status=status,
        status_detail=detail,
        score=number(data.get("score")),
        max_score=number(data.get("max_score")),
        execution_time=optional_number(data.get("execution_time")),
        submitted_at=text(submitted_at, 64) if isinstance(submitted_at, str) else None,
        late=data.get("late") is True,
        tests=tuple(t for t in tests if t is not None),
        flags=tuple(sorted({f for f in flags if f})),
    )
