"""The competition's rules as traits: `c.CompetitionRules.*` in the course's nbgrader_config.py.

Every time the rules speak of is UTC; a day (the daily cap) is a UTC calendar day. The
hidden split's public/private cut itself lives with the hidden seed
(`graders/represent/competition.json`); `public_fraction` here is what the board says.
"""

from __future__ import annotations

import math
import os
from datetime import UTC, datetime, timedelta

from traitlets import Bool, Float, Integer, List, TraitError, Unicode, default, validate
from traitlets.config import Configurable

DATABASE_FILE = "competition.sqlite"


def parse_utc(text: str) -> datetime:
    """An ISO-8601 time as an aware UTC datetime (a time without offset is read as UTC)."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc(value: datetime | None) -> datetime:
    """`value` as an aware UTC datetime (now when None; a naive one is read as UTC)."""
    if value is None:
        return datetime.now(UTC)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class CompetitionRules(Configurable):
    """Caps, boards, the Ladder, final selections, teams and the bonus of the competition."""

    daily_cap = Integer(
        5,
        min=1,
        help="Submissions a team (a student alone is a team of one) may make per UTC day. "
        "Rejected submissions do not count; the cap resets at 00:00 UTC.",
    ).tag(config=True)
    total_cap = Integer(
        40, min=1, help="Submissions a team may make over the whole competition (rejected ones "
        "do not count)."
    ).tag(config=True)  # fmt: skip
    public_fraction = Float(
        0.3,
        min=0.0,
        max=1.0,
        help="Share of the hidden test split scored on the public board (the rest is the "
        "private board). Shown on the board; the cut itself is made with the hidden seed in "
        "graders/<assignment>/competition.json and must agree with it.",
    ).tag(config=True)
    max_final_selections = Integer(
        2,
        min=1,
        help="Submissions a team may select for the private ranking; a team that selects "
        "none is ranked by its best public ones (this many).",
    ).tag(config=True)
    deadline = Unicode(
        "",
        help="End of the competition, ISO-8601 (UTC when no offset is given), e.g. "
        "'2027-01-31T23:59:00Z'; '' for none (no freeze; the private board may be revealed "
        "at any time). Submissions and final selections close at the deadline.",
    ).tag(config=True)
    freeze_hours = Float(
        24.0,
        min=0.0,
        help="During the last this many hours before the deadline students see the public "
        "board as it stood when the freeze began, and their own new public scores are "
        "hidden until the reveal. 0: no freeze.",
    ).tag(config=True)
    max_team_size = Integer(
        2, min=1, help="Largest team. Team members share the caps and the final selections, "
        "and both get the team's bonus."
    ).tag(config=True)  # fmt: skip
    ladder_margin = Float(
        0.01,
        min=0.0,
        max=1.0,
        help="The Ladder (Blum & Hardt, 2015): a team's public score on the board changes "
        "only when a new submission beats the exact score behind the team's shown best by "
        "more than this (accuracy, not percent). The public part has ~1200 examples, so an "
        "accuracy near 0.8 has a standard error of sqrt(0.8*0.2/1200) ≈ 0.012; 0.01 (~12 "
        "more examples right, about one standard error) keeps most noise-only "
        "improvements off the board while real ones still show.",
    ).tag(config=True)
    score_decimals = Integer(
        2,
        min=0,
        max=6,
        help="Decimals of the accuracies shown on the public board (rounding hides how the "
        "hidden examples are answered one by one; 2 decimals ≈ the Ladder margin). A "
        "student's own exact public scores and the staff's views are not rounded.",
    ).tag(config=True)
    bonus_bands = List(
        default_value=[[0.1, 5.0], [0.25, 3.0], [0.5, 2.0]],
        help="Extra credit by final private rank: [top_fraction, points] pairs; a team ranked "
        "r of N is in a band when r <= ceil(top_fraction * N), and gets the points of the "
        "best band it is in. Both members of a team get the points.",
    ).tag(config=True)
    bonus_floor = Float(
        1.0,
        min=0.0,
        help="Extra credit for beating every pinned baseline except the reference ones "
        "(`reference_baselines`) on the private linear probe: the least such a team gets.",
    ).tag(config=True)
    bands_require_baselines = Bool(
        True,
        help="Whether band points (`bonus_bands`) go only to teams that beat the baselines "
        "of `bonus_floor` (else a rank alone earns them).",
    ).tag(config=True)
    reference_baselines = List(
        Unicode(),
        default_value=["supervised encoder"],
        help="Pinned baselines that are upper references (trained with labels): shown on the "
        "board, not needed to beat for the bonus.",
    ).tag(config=True)
    database_url = Unicode(
        help="SQLAlchemy URL of the competition's database: 'sqlite:///<path>' (the default: "
        f"{DATABASE_FILE} in the course root) or 'postgresql+psycopg://user@host/db'. The "
        "schema is created and upgraded by Alembic (`CompetitionStore.upgrade`).",
    ).tag(config=True)

    @default("database_url")
    def _default_database_url(self) -> str:
        root = ""
        if self.config is not None and "CourseDirectory" in self.config:
            root = self.config.CourseDirectory.get("root", "") or ""
        return f"sqlite:///{os.path.join(os.path.abspath(root or os.getcwd()), DATABASE_FILE)}"

    @validate("deadline")
    def _check_deadline(self, proposal: dict) -> str:
        value = proposal["value"].strip()
        if value:
            try:
                parse_utc(value)
            except ValueError:
                raise TraitError(f"deadline {value!r} is not an ISO-8601 time") from None
        return value

    @validate("bonus_bands")
    def _check_bands(self, proposal: dict) -> list:
        bands = []
        for band in proposal["value"]:
            ok = isinstance(band, list | tuple) and len(band) == 2
            ok = ok and all(isinstance(v, int | float) and not isinstance(v, bool) for v in band)
            if not ok or not (0.0 < band[0] <= 1.0) or not math.isfinite(band[1]) or band[1] < 0:
                raise TraitError(
                    f"bonus band {band!r} is not [top_fraction in (0, 1], points >= 0]"
                )
            bands.append([float(band[0]), float(band[1])])
        return sorted(bands)

    # -- derived -------------------------------------------------------------------------

    @property
    def deadline_at(self) -> datetime | None:
        return parse_utc(self.deadline) if self.deadline else None

    @property
    def freeze_start(self) -> datetime | None:
        """When the freeze begins (None: no deadline, or no freeze)."""
        end = self.deadline_at
        if end is None or self.freeze_hours <= 0:
            return None
        return end - timedelta(hours=self.freeze_hours)

    def is_frozen(self, now: datetime | None = None) -> bool:
        """Whether `now` is at or after the freeze's start (the reveal ends it, elsewhere)."""
        start = self.freeze_start
        return start is not None and utc(now) >= start

    def is_closed(self, now: datetime | None = None) -> bool:
        """Whether the deadline has passed."""
        end = self.deadline_at
        return end is not None and utc(now) >= end

    def summary(self) -> dict:
        """The rules as the board shows them (plain JSON)."""
        return {
            "daily_cap": self.daily_cap,
            "total_cap": self.total_cap,
            "public_fraction": self.public_fraction,
            "max_final_selections": self.max_final_selections,
            "deadline": self.deadline_at.isoformat() if self.deadline_at else None,
            "freeze_hours": self.freeze_hours if self.freeze_start else None,
            "max_team_size": self.max_team_size,
            "ladder_margin": self.ladder_margin,
            "score_decimals": self.score_decimals,
        }
