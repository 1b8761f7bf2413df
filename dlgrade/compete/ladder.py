"""The Ladder (Blum & Hardt, "The Ladder: A Reliable Leaderboard for Machine Learning
Competitions", ICML 2015), for accuracies (higher is better).

A team's public score on the board changes only when a new submission's exact public
accuracy beats the exact accuracy behind the team's shown best by more than the margin
(`CompetitionRules.ladder_margin`); what is shown is that accuracy rounded to
`score_decimals`. Submissions that do not clear the margin change nothing anyone else can
see, so probing the public part with many small variations reveals little about it.

The margin's default, 0.01: the public part has ~1200 examples, so an accuracy near 0.8
has a standard error of sqrt(0.8 * 0.2 / 1200) ≈ 0.012; a step of more than 0.01 is about
one standard error (~12 more examples right), and scores shown to 2 decimals carry about
as much as one such step.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


def round_score(value: float, decimals: int) -> float:
    """`value` rounded half up to `decimals` (not banker's rounding)."""
    scale = 10**decimals
    return int(value * scale + 0.5 + 1e-9) / scale


@dataclass(frozen=True)
class Attempt:
    """One scored submission of a team, in submission order."""

    submission_id: int
    at: datetime
    score: float


@dataclass(frozen=True)
class Step:
    """A submission that moved the team's board score: `shown` is what the board says."""

    submission_id: int
    at: datetime
    exact: float
    shown: float


def climb(attempts: Iterable[Attempt], margin: float, decimals: int) -> list[Step]:
    """The steps of one team's ladder: the first attempt, then each attempt whose exact
    score beats the exact score of the last step by more than `margin` (in the order of
    `attempts`, which should be submission order)."""
    steps: list[Step] = []
    for a in attempts:
        if not steps or a.score > steps[-1].exact + margin + 1e-12:
            steps.append(Step(a.submission_id, a.at, a.score, round_score(a.score, decimals)))
    return steps


def best(attempts: Iterable[Attempt], margin: float, decimals: int) -> Step | None:
    """The team's current board score (the last step), None without scored attempts."""
    steps = climb(attempts, margin, decimals)
    return steps[-1] if steps else None
