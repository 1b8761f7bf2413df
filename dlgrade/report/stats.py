"""Statistics for one assignment: score distribution, item analysis, failures, timing."""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dlgrade.grading.results import Status, TestResult
from dlgrade.report.model import GradedSubmission

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_SPACE = re.compile(r"\s+")


def fmt(value: float, digits: int = 4) -> str:
    """A number without float noise or a trailing `.0`: 37.0 → "37", 0.125 → "0.125"."""
    out = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return "0" if out in ("-0", "") else out


@dataclass(frozen=True)
class Summary:
    """Scores of the graded submissions (not-graded ones are counted, never averaged in)."""

    n: int
    mean: float | None
    median: float | None
    std: float | None
    minimum: float | None
    maximum: float | None
    max_score: float


def assignment_max(subs: Sequence[GradedSubmission]) -> float:
    """The assignment's maximum score: the most common max_score among its results."""
    values = [s.max_score for s in subs if s.max_score > 0 and s.graded]
    values = values or [s.max_score for s in subs if s.max_score > 0]
    if not values:
        return 0.0
    counts = Counter(values)
    return max(counts, key=lambda v: (counts[v], v))


def summarize(values: Sequence[float], max_score: float = 0.0) -> Summary:
    if not values:
        return Summary(0, None, None, None, None, None, max_score)
    return Summary(
        n=len(values),
        mean=statistics.fmean(values),
        median=statistics.median(values),
        std=statistics.pstdev(values),
        minimum=min(values),
        maximum=max(values),
        max_score=max_score,
    )


def score_summary(subs: Sequence[GradedSubmission]) -> Summary:
    return summarize([s.score for s in subs if s.graded], assignment_max(subs))


def count_statuses(subs: Sequence[GradedSubmission]) -> dict[str, int]:
    counts = Counter(s.status for s in subs)
    return {
        status: counts[status] for status in sorted(counts, key=lambda k: (k != Status.GRADED, k))
    }


@dataclass(frozen=True)
class Bin:
    lo: float
    hi: float
    count: int
    students: tuple[str, ...]


def bin_values(
    values: Sequence[tuple[str, float]], lo: float, hi: float, bins: int = 10
) -> list[Bin]:
    """`(name, value)` pairs counted in `bins` equal bins over [lo, hi].

    Bins are half-open [lo, hi) except the last, which includes its upper edge; values
    outside the range fall into the first or last bin.
    """
    if hi <= lo:
        hi = lo + 1.0
    edges = np.linspace(lo, hi, max(1, bins) + 1)
    members: list[list[str]] = [[] for _ in range(len(edges) - 1)]
    for name, value in values:
        index = int(np.searchsorted(edges, value, side="right")) - 1
        members[min(max(index, 0), len(members) - 1)].append(name)
    return [
        Bin(float(edges[i]), float(edges[i + 1]), len(m), tuple(m)) for i, m in enumerate(members)
    ]


def histogram(subs: Sequence[GradedSubmission], bins: int = 10) -> list[Bin]:
    """Score distribution of the graded submissions over [0, max] (widened to fit every score)."""
    graded = [(s.student, s.score) for s in subs if s.graded]
    top = max([assignment_max(subs), *(v for _, v in graded)])
    bottom = min([0.0, *(v for _, v in graded)])
    return bin_values(graded, bottom, top, bins)


def pearson(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Pearson correlation; None with fewer than 3 pairs or a constant side."""
    if len(x) < 3 or len(x) != len(y):
        return None
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    scale = len(a) * max(1.0, float(np.abs(a).max()), float(np.abs(b).max())) ** 2
    a, b = a - a.mean(), b - b.mean()
    ss_a, ss_b = float((a * a).sum()), float((b * b).sum())
    if min(ss_a, ss_b) <= 1e-20 * scale:
        return None
    return float(np.clip((a * b).sum() / np.sqrt(ss_a * ss_b), -1.0, 1.0))


@dataclass(frozen=True)
class Item:
    """One test across the graded submissions."""

    id: str
    name: str
    task: str
    visibility: str
    max_score: float
    n: int
    passed: int
    mean_score: float
    r_total: float | None
    r_rest: float | None
    mean_duration: float | None
    statuses: dict[str, int]

    @property
    def failed(self) -> int:
        return self.n - self.passed

    @property
    def pass_rate(self) -> float:
        return self.passed / self.n if self.n else 0.0


def item_analysis(subs: Sequence[GradedSubmission]) -> list[Item]:
    """Per-test pass rates and point-biserial correlations, hardest test first.

    `r_total` correlates passing the test with the submission's total score; `r_rest`
    with the total minus this test's own points (the corrected item-total correlation).
    """
    graded = [s for s in subs if s.graded]
    by_test: dict[str, list[tuple[GradedSubmission, TestResult]]] = defaultdict(list)
    for s in graded:
        seen = set()
        for t in s.tests:
            if t.id not in seen:
                seen.add(t.id)
                by_test[t.id].append((s, t))
    items = []
    for test_id, pairs in by_test.items():
        first = pairs[0][1]
        passed = [1.0 if t.passed else 0.0 for _, t in pairs]
        totals = [s.score for s, _ in pairs]
        durations = [t.duration for _, t in pairs if t.duration is not None]
        items.append(
            Item(
                id=test_id,
                name=first.name,
                task=first.task,
                visibility=first.visibility,
                max_score=max(t.max_score for _, t in pairs),
                n=len(pairs),
                passed=int(sum(passed)),
                mean_score=statistics.fmean(t.score for _, t in pairs),
                r_total=pearson(passed, totals),
                r_rest=pearson(passed, [s.score - t.score for s, t in pairs]),
                mean_duration=statistics.fmean(durations) if durations else None,
                statuses=dict(sorted(Counter(t.status for _, t in pairs).items())),
            )
        )
    return sorted(items, key=lambda i: (i.pass_rate, i.id))


def message_key(message: str) -> str:
    """A failure message with numbers and spacing normalised, for grouping."""
    return _NUMBER.sub("#", _SPACE.sub(" ", message).strip())[:300]


@dataclass(frozen=True)
class FailureGroup:
    test_id: str
    test_name: str
    message: str
    variants: int
    students: tuple[str, ...]
    statuses: dict[str, int]

    @property
    def count(self) -> int:
        return len(self.students)


def failure_groups(subs: Sequence[GradedSubmission]) -> list[FailureGroup]:
    """Failed tests of graded submissions grouped by test and message, most frequent first."""
    groups: dict[tuple[str, str], list[tuple[str, TestResult]]] = defaultdict(list)
    for s in subs:
        if not s.graded:
            continue
        for t in s.tests:
            if not t.passed:
                key = message_key(t.output) or f"({t.status}, no message)"
                groups[(t.id, key)].append((s.student, t))
    out = []
    for (test_id, key), members in groups.items():
        messages = Counter(t.output.strip() for _, t in members)
        top = max(messages, key=lambda m: (messages[m], m))
        out.append(
            FailureGroup(
                test_id=test_id,
                test_name=members[0][1].name,
                message=top or key,
                variants=len(messages),
                students=tuple(sorted({student for student, _ in members})),
                statuses=dict(sorted(Counter(t.status for _, t in members).items())),
            )
        )
    return sorted(out, key=lambda g: (-g.count, g.test_id, g.message))


def not_graded(subs: Sequence[GradedSubmission]) -> list[GradedSubmission]:
    return sorted((s for s in subs if not s.graded), key=lambda s: (s.status, s.student))


def late(subs: Sequence[GradedSubmission]) -> list[GradedSubmission]:
    return sorted((s for s in subs if s.late), key=lambda s: (s.submitted_at or "", s.student))


def timed(subs: Sequence[GradedSubmission]) -> list[GradedSubmission]:
    """Submissions with a grading time, slowest first."""
    with_time = [s for s in subs if s.execution_time is not None]
    return sorted(with_time, key=lambda s: (-(s.execution_time or 0.0), s.student))


def timing_summary(subs: Sequence[GradedSubmission]) -> tuple[Summary, float]:
    """Summary of grading times and their total (seconds)."""
    times = [s.execution_time for s in subs if s.execution_time is not None]
    return summarize(times), float(sum(times))
