"""The course overview: per-student totals, per-assignment averages, the trend over the term."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from dlgrade.grading.results import Status, Unrecorded
from dlgrade.report.load import GradebookInfo
from dlgrade.report.model import GradedSubmission
from dlgrade.report.stats import assignment_max


@dataclass(frozen=True)
class AssignmentRow:
    name: str
    duedate: datetime | None
    max_score: float
    submissions: int
    graded: int
    not_graded: int
    late: int
    mean: float | None
    median: float | None

    def _pct(self, value: float | None) -> float | None:
        return None if value is None or self.max_score <= 0 else 100.0 * value / self.max_score

    @property
    def mean_percent(self) -> float | None:
        return self._pct(self.mean)

    @property
    def median_percent(self) -> float | None:
        return self._pct(self.median)


@dataclass(frozen=True)
class Cell:
    """One student's result for one assignment: a score whenever grading ran (graded,
    timeout, crashed); None for invalid, missing or unreadable results."""

    status: str
    score: float | None
    late: bool = False
    raw_score: float | None = None
    flags: tuple[str, ...] = ()

    @property
    def needs_review(self) -> bool:
        return self.status not in (Status.GRADED, Unrecorded.ABSENT) or bool(self.flags)


@dataclass(frozen=True)
class StudentRow:
    student: str
    cells: dict[str, Cell]
    total: float
    max_total: float

    @property
    def percent(self) -> float | None:
        return 100.0 * self.total / self.max_total if self.max_total > 0 else None


@dataclass(frozen=True)
class CourseOverview:
    assignments: list[AssignmentRow]
    students: list[StudentRow]

    @property
    def names(self) -> list[str]:
        return [a.name for a in self.assignments]


def assignment_row(
    name: str, subs: Sequence[GradedSubmission], duedate: datetime | None
) -> AssignmentRow:
    scores = [s.score for s in subs if s.graded]
    return AssignmentRow(
        name=name,
        duedate=duedate,
        max_score=assignment_max(subs),
        submissions=len(subs),
        graded=len(scores),
        not_graded=sum(1 for s in subs if not s.graded),
        late=sum(1 for s in subs if s.late),
        mean=statistics.fmean(scores) if scores else None,
        median=statistics.median(scores) if scores else None,
    )


def course_overview(
    by_assignment: Mapping[str, Sequence[GradedSubmission]],
    order: Sequence[str],
    gradebook: GradebookInfo | None = None,
) -> CourseOverview:
    """Overview of the assignments in `order` (term order).

    A student's total sums the earned scores (graded, timeout, crashed); assignments not
    submitted, invalid or unreadable count 0 towards the total and are marked in their cell. The maximum is the sum of
    every assignment's maximum. Students come from the results and the gradebook roster.
    """
    gradebook = gradebook or GradebookInfo()
    rows = [assignment_row(a, by_assignment.get(a, ()), gradebook.duedates.get(a)) for a in order]
    max_total = sum(r.max_score for r in rows)
    students = set(gradebook.students)
    for a in order:
        students.update(s.student for s in by_assignment.get(a, ()))
    lookup = {(s.assignment, s.student): s for a in order for s in by_assignment.get(a, ())}
    student_rows = []
    for student in sorted(students):
        cells = {}
        for a in order:
            sub = lookup.get((a, student))
            if sub is None:
                cells[a] = Cell(Unrecorded.ABSENT, None)
            else:
                score = sub.score if sub.scored else None
                cells[a] = Cell(sub.status, score, sub.late, sub.score, sub.flags)
        total = sum(c.score for c in cells.values() if c.score is not None)
        student_rows.append(StudentRow(student, cells, total, max_total))
    return CourseOverview(rows, student_rows)
