"""The compact terminal summary printed at the end of `dlgrade autograde`."""

from __future__ import annotations

from collections.abc import Sequence

from dlgrade.grading.results import Result
from dlgrade.report import stats
from dlgrade.report.model import GradedSubmission, summary_submission
from dlgrade.report.stats import fmt

TOP_FAILED = 5


def format_summary(results: Sequence[Result]) -> str:
    """Counts by status, mean and median of the graded scores, the five most failed tests."""
    return summary_table([summary_submission(r) for r in results])


def summary_table(subs: Sequence[GradedSubmission]) -> str:
    """`format_summary` for submissions already loaded: one block per assignment."""
    assignments = sorted({s.assignment for s in subs if s.assignment})
    if len(assignments) > 1:
        total = f"{len(subs)} submissions of {', '.join(assignments)}, by assignment:"
        return "\n".join(
            [
                total,
                *(_assignment_table([s for s in subs if s.assignment == a]) for a in assignments),
            ]
        )
    return _assignment_table(subs)


def _assignment_table(subs: Sequence[GradedSubmission]) -> str:
    assignments = sorted({s.assignment for s in subs if s.assignment})
    title = f"{len(subs)} submission{'' if len(subs) == 1 else 's'}"
    lines = [title + (f" of {', '.join(assignments)}" if assignments else "")]
    statuses = stats.count_statuses(subs)
    width = max([len("status"), *(len(k) for k in statuses)])
    lines.append(f"  {'status':<{width}}  count")
    lines += [f"  {status:<{width}}  {count:>5}" for status, count in statuses.items()]
    summary = stats.score_summary(subs)
    if summary.n:
        of = f" / {fmt(summary.max_score, 2)}" if summary.max_score else ""
        extra = any(t.extra_credit for s in subs if s.graded for t in s.tests)
        lines.append(
            f"  score: mean {fmt(summary.mean, 2)}{of}, median {fmt(summary.median, 2)}{of}"
            f" ({summary.n} graded{', extra credit included' if extra else ''})"
        )
    else:
        lines.append("  score: no graded submissions")
    failed = sorted(
        (i for i in stats.item_analysis(subs) if i.failed),
        key=lambda i: (-i.failed, i.pass_rate, i.id),
    )[:TOP_FAILED]
    if failed:
        lines.append("  most failed tests (failed/graded):")
        lines += [f"  {f'{i.failed}/{i.n}':>9}  {i.id}" for i in failed]
    elif summary.n:
        lines.append("  every test passed in every graded submission")
    return "\n".join(lines)
