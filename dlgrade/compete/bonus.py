"""The final private ranking → extra credit in nbgrader's gradebook, and so in the exports.

Rule (`CompetitionRules`): a team ranked r of N (by the best private linear-probe accuracy
of its final selections) is in the band [top_fraction, points] when r <= ceil(top_fraction
* N) and gets the points of the best band it is in; a team that beats every pinned
baseline except the reference ones (`reference_baselines`, the supervised encoder) gets at
least `bonus_floor`; with `bands_require_baselines` a team that does not beat them gets
nothing. Both members of a team get the team's points. Only after the reveal.

`write_bonus` sets those points as the extra credit of the assignment (`represent`) in
the gradebook (`dlgrade.gradebook.store_extra_credit`: set, not added, so writing twice
changes nothing), where nbgrader's totals and the LMS exports read it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from dlgrade.compete.board import Ranked, private_ranking
from dlgrade.compete.rules import CompetitionRules

ASSIGNMENT = "represent"


def beats_baselines(ranked: Ranked, baselines: list[Any], rules: CompetitionRules) -> bool:
    """Whether the team's private probe accuracy is above every non-reference baseline's."""
    score = ranked.submission.probe_private or 0.0
    refs = set(rules.reference_baselines)
    return all(score > b.probe_private for b in baselines if b.name not in refs)


def band_points(rank: int, teams: int, rules: CompetitionRules) -> float:
    """The points of the best band rank `rank` of `teams` is in (0 when in none)."""
    found = [p for f, p in rules.bonus_bands if rank <= math.ceil(f * teams - 1e-9)]
    return max(found, default=0.0)


def team_points(ranking: list[Ranked], baselines: list[Any], rules: CompetitionRules) -> list:
    """(Ranked, points) of every team on the private ranking."""
    out = []
    for r in ranking:
        beats = beats_baselines(r, baselines, rules)
        points = band_points(r.rank, len(ranking), rules)
        if rules.bands_require_baselines and not beats:
            points = 0.0
        if beats:
            points = max(points, rules.bonus_floor)
        out.append((r, float(points)))
    return out


def bonus_points(store: Any, rules: CompetitionRules | None = None) -> dict[str, float]:
    """user → extra credit for every competitor on the final private ranking (0.0 for
    those who earned none, so a rewrite after a change of rules resets them); ValueError
    before the private board is revealed."""
    rules = rules or store.rules
    snap = store.snapshot()
    if snap.revealed_at is None:
        raise ValueError("the bonus is computed from the private board: reveal it first")
    points: dict[str, float] = {}
    for ranked, p in team_points(private_ranking(snap, rules), snap.baselines, rules):
        for user in ranked.team:
            points[user] = p
    return dict(sorted(points.items()))


def write_bonus(paths: Any, assignment: str, points: Mapping[str, float]) -> int:
    """Set `points` as each student's extra credit of `assignment` in nbgrader's gradebook
    (idempotent); returns how many students were written. LookupError when the gradebook
    does not know the assignment (release it first)."""
    from dlgrade.gradebook import store_extra_credit

    return store_extra_credit(paths, assignment, points)
