"""Submissions as the reports see them: results.json read leniently into typed records.

The schema and the reader are `dlgrade.grading.results` (`lenient_result`): a malformed
or truncated results.json becomes a submission with status `unreadable`, never an
exception that stops a report.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dlgrade.grading.results import (
    Result,
    Status,
    TestResult,
    Unrecorded,
    lenient_result,
    text,
)

TEXT_LIMIT = 4000


@dataclass(frozen=True)
class GradedSubmission:
    """One student's submission of one assignment, as the reports see it: its result, or
    an `Unrecorded` status (missing, unreadable) when there is no usable results.json."""

    student: str
    assignment: str
    status: Status | Unrecorded
    status_detail: str = ""
    score: float = 0.0
    max_score: float = 0.0
    execution_time: float | None = None
    submitted_at: str | None = None
    late: bool = False
    tests: tuple[TestResult, ...] = ()
    flags: tuple[str, ...] = ()

    @classmethod
    def of(cls, result: Result, student: str, assignment: str) -> GradedSubmission:
        return cls(
            student=student,
            assignment=assignment,
            status=result.status,
            status_detail=result.status_detail,
            score=result.score,
            max_score=result.max_score,
            execution_time=result.execution_time,
            submitted_at=result.submitted_at,
            late=result.late,
            tests=result.tests,
            flags=result.flags,
        )

    @property
    def graded(self) -> bool:
        return self.status == Status.GRADED

    @property
    def scored(self) -> bool:
        """Grading ran: the earned points are this submission's grade (even when a test
        timed out or crashed, which costs only that test's points)."""
        return isinstance(self.status, Status) and self.status.scored

    @property
    def needs_review(self) -> bool:
        """Not fully graded, or graded with a flag (a cell or test timed out, crashed...)."""
        return not self.graded or bool(self.flags)

    @property
    def percent(self) -> float | None:
        return 100.0 * self.score / self.max_score if self.max_score > 0 else None


def parse_results(data: Any, student: str, assignment: str) -> GradedSubmission:
    """A `GradedSubmission` from the decoded results.json of `student`/`assignment`.

    Only the documented fields are read; anything else in the file is ignored (see
    `dlgrade.grading.results.lenient_result` for the defaults and fallbacks)."""
    return GradedSubmission.of(lenient_result(data, TEXT_LIMIT), student, assignment)


def summary_submission(result: Result) -> GradedSubmission:
    """A result the batch just wrote, under its own student and assignment."""
    return GradedSubmission.of(result, text(result.student, 200), text(result.assignment, 200))
