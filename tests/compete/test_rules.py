"""The competition's rules: traits, their validation, the deadline and the freeze."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from traitlets import TraitError
from traitlets.config import Config

from dlgrade.compete.rules import CompetitionRules, parse_utc
from dlgrade.courses import load_config

REPO = Path(__file__).resolve().parents[2]


def test_defaults_are_the_issue_s(rules):
    assert (rules.daily_cap, rules.total_cap, rules.max_final_selections) == (5, 40, 2)
    assert (rules.public_fraction, rules.freeze_hours, rules.max_team_size) == (0.3, 24.0, 2)
    assert rules.deadline == "" and rules.deadline_at is None and rules.freeze_start is None
    assert not rules.is_frozen() and not rules.is_closed()
    # the margin is about one standard error of an accuracy near 0.8 on ~1200 examples
    assert 0.5 * (0.8 * 0.2 / 1200) ** 0.5 < rules.ladder_margin <= (0.8 * 0.2 / 1200) ** 0.5


def test_every_trait_has_help():
    for name, trait in CompetitionRules.class_traits(config=True).items():
        assert len(trait.help) > 20, name


def test_database_defaults_to_sqlite_in_the_course_root(tmp_path):
    config = Config()
    config.CourseDirectory.root = str(tmp_path)
    url = CompetitionRules(config=config).database_url
    assert url == f"sqlite:///{tmp_path / 'competition.sqlite'}"


def test_the_advanced_course_sets_the_rules():
    rules = CompetitionRules(config=load_config(REPO))
    assert rules.database_url == f"sqlite:///{REPO / 'competition.sqlite'}"
    assert rules.bonus_bands == [[0.1, 5.0], [0.25, 3.0], [0.5, 2.0]]
    assert rules.reference_baselines == ["supervised encoder"]


def test_deadline_freeze_and_close():
    rules = CompetitionRules(deadline="2027-01-31T23:00:00Z", freeze_hours=24)
    assert rules.deadline_at == datetime(2027, 1, 31, 23, tzinfo=UTC)
    assert rules.freeze_start == datetime(2027, 1, 30, 23, tzinfo=UTC)
    assert not rules.is_frozen(datetime(2027, 1, 30, 22, 59, tzinfo=UTC))
    assert rules.is_frozen(datetime(2027, 1, 30, 23, tzinfo=UTC))
    assert not rules.is_closed(datetime(2027, 1, 31, 22, 59, tzinfo=UTC))
    assert rules.is_closed(datetime(2027, 1, 31, 23, tzinfo=UTC))
    rules.freeze_hours = 0
    assert rules.freeze_start is None and not rules.is_frozen(rules.deadline_at)


def test_times_without_offset_are_utc():
    assert parse_utc("2027-01-31T23:00") == datetime(2027, 1, 31, 23, tzinfo=UTC)
    assert parse_utc("2027-02-01T01:00+02:00") == datetime(2027, 1, 31, 23, tzinfo=UTC)


@pytest.mark.parametrize(
    "change",
    [
        {"deadline": "next friday"},
        {"bonus_bands": [[0.0, 3.0]]},
        {"bonus_bands": [[0.5, -1.0]]},
        {"bonus_bands": [[0.5]]},
        {"daily_cap": 0},
        {"ladder_margin": -0.1},
    ],
)
def test_bad_rules_are_refused_when_read(change):
    with pytest.raises(TraitError):
        CompetitionRules(**change)


def test_bands_are_kept_sorted_by_fraction():
    rules = CompetitionRules(bonus_bands=[[0.5, 2], [0.1, 5]])
    assert rules.bonus_bands == [[0.1, 5.0], [0.5, 2.0]]


def test_summary_is_what_the_board_shows():
    summary = CompetitionRules(deadline="2027-01-31T23:00:00Z").summary()
    assert summary["deadline"] == "2027-01-31T23:00:00+00:00"
    assert summary["freeze_hours"] == 24.0 and summary["daily_cap"] == 5
