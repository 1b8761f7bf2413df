"""The Ladder: a public score moves only past the margin; shown rounded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dlgrade.compete.ladder import Attempt, best, climb, round_score

T = datetime(2026, 12, 1, tzinfo=UTC)


def attempts(*scores: float) -> list[Attempt]:
    return [Attempt(i + 1, T + timedelta(hours=i), s) for i, s in enumerate(scores)]


def test_rounding_is_half_up_and_to_the_decimals():
    assert round_score(0.815, 2) == 0.82  # 0.815 is 0.81499999... as a float
    assert round_score(0.8149, 2) == 0.81
    assert round_score(0.81234, 3) == 0.812
    assert round_score(1.0, 2) == 1.0 and round_score(0.0, 2) == 0.0


def test_first_score_is_shown_then_only_gains_beyond_the_margin():
    steps = climb(attempts(0.80, 0.805, 0.81, 0.8101, 0.79, 0.83), margin=0.01, decimals=2)
    # 0.805 and 0.81 are within the margin of 0.80; 0.8101 clears it; 0.79 is worse
    assert [s.submission_id for s in steps] == [1, 4, 6]
    assert [s.shown for s in steps] == [0.8, 0.81, 0.83]
    assert steps[1].exact == 0.8101


def test_margin_is_measured_from_the_exact_score_behind_the_shown_one():
    # 0.8149 shows as 0.81; 0.8201 is 0.0101 above 0.81 but only 0.0052 above 0.8149
    assert [s.shown for s in climb(attempts(0.8149, 0.8201), 0.01, 2)] == [0.81]
    assert [s.shown for s in climb(attempts(0.8149, 0.8251), 0.01, 2)] == [0.81, 0.83]


def test_zero_margin_is_the_plain_best_score():
    step = best(attempts(0.7, 0.75, 0.74, 0.76), margin=0.0, decimals=3)
    assert (step.submission_id, step.shown) == (4, 0.76)


def test_no_attempts_no_score():
    assert best([], 0.01, 2) is None
