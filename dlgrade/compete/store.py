"""The competition's database: SQLite (embedded, the default) or PostgreSQL by URL.

One short transaction per operation. Writes that check something first (the caps, a
team, the queue) are serialised: on SQLite every write transaction is `BEGIN IMMEDIATE`
(one writer at a time, readers go on in WAL mode); on PostgreSQL a submission locks its
team's rows, and `claim_next` takes the oldest queued row with `FOR UPDATE SKIP LOCKED`,
so two workers never claim the same submission. The schema is Alembic's (`upgrade`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from alembic import command
from sqlalchemy import func, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from dlgrade.compete.migrations import alembic_config
from dlgrade.compete.models import (
    ANONYMOUS,
    COUNTED,
    EVALUATING,
    QUEUED,
    REJECTED,
    SCORE_FIELDS,
    SCORED,
    Baseline,
    ClaimedSubmission,
    Competitor,
    Scores,
    Snapshot,
    State,
    Submission,
    SubmissionView,
    Team,
    engine_for,
)
from dlgrade.compete.rules import CompetitionRules, utc

CLAIMED = ("id", "user", "size", "weights", "hyperparams")
PSEUDONYM = re.compile(r"^[A-Za-z0-9_-]{3,24}$")
MAX_ATTEMPTS = 3
"""Claims a submission may lose to crashed workers before it is rejected."""
CRASHED = "the evaluation was interrupted {} times (the platform's worker stopped); resubmit"


class CapReached(Exception):
    """A submission refused by the rules; `reason` is the message for the student."""

    def __init__(self, cap: str, reason: str, resets_at: datetime | None = None) -> None:
        super().__init__(reason)
        self.cap = cap
        """'daily', 'total' or 'closed'."""
        self.reason = reason
        self.resets_at = resets_at


def update_rows(model: Any) -> Any:
    """An UPDATE of `model`'s rows (Core-style: no ORM session synchronisation)."""
    return update(model).execution_options(synchronize_session=False)


def day_start(when: datetime) -> datetime:
    return utc(when).replace(hour=0, minute=0, second=0, microsecond=0)


def check_scores(scores: Scores) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in SCORE_FIELDS:
        value = float(getattr(scores, name))
        if not (math.isfinite(value) and 0.0 <= value <= 1.0):
            raise ValueError(f"{name} is not an accuracy in [0, 1]: {value!r}")
        values[name] = value
    n, seconds = int(scores.n_params), float(scores.eval_seconds)
    if n < 0 or not math.isfinite(seconds) or seconds < 0:
        raise ValueError("n_params and eval_seconds must be non-negative numbers")
    return dict(values, n_params=n, eval_seconds=seconds)


class CompetitionStore:
    """Submissions, teams, pseudonyms, baselines and the reveal, in one database."""

    def __init__(self, url: str, rules: CompetitionRules) -> None:
        self.url = url
        self.rules = rules
        self.engine = engine_for(url)

    # -- plumbing ------------------------------------------------------------------------

    @contextmanager
    def session(self, write: bool = False) -> Iterator[Session]:
        """One transaction (committed on success); `write`: serialised with other writes."""
        with self.engine.connect() as conn:
            if write:
                conn.execution_options(immediate=True)
            with conn.begin(), Session(bind=conn, expire_on_commit=False) as s:
                yield s
                s.flush()

    def upgrade(self) -> None:
        """`alembic upgrade head` on this database (idempotent; concurrent callers wait)."""
        with self.engine.connect() as conn:
            conn.execution_options(immediate=True)
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.execute(text("SELECT pg_advisory_xact_lock(7305001)"))
                command.upgrade(alembic_config(conn), "head")

    def close(self) -> None:
        self.engine.dispose()

    def _competitor(self, s: Session, user: str, now: datetime) -> Competitor:
        """`user`'s row, created when new (concurrent first calls: one insert wins)."""
        user = check_user(user)
        found = s.scalar(select(Competitor).where(Competitor.name == user))
        if found is None:
            insert = pg_insert if s.bind.dialect.name == "postgresql" else sqlite_insert
            s.execute(
                insert(Competitor)
                .values(name=user, seq=0, created_at=now)
                .on_conflict_do_nothing(index_elements=["name"])
            )
            found = s.scalar(select(Competitor).where(Competitor.name == user))
        return found

    def _members(self, s: Session, who: Competitor) -> list[str]:
        if who.team_id is None:
            return [who.name]
        names = s.scalars(select(Competitor.name).where(Competitor.team_id == who.team_id))
        return sorted(names)

    # -- students ------------------------------------------------------------------------

    def set_pseudonym(self, user: str, pseudonym: str) -> None:
        """The name other students see; 3–24 of A–Z a–z 0–9 _ -, unique whatever the case,
        not another competitor's user name, not `anonymous…` (the default's prefix)."""
        pseudonym = pseudonym.strip()
        if not PSEUDONYM.match(pseudonym):
            raise ValueError("a pseudonym is 3 to 24 letters, digits, '_' or '-'")
        key = pseudonym.lower()
        if key.startswith(ANONYMOUS):
            raise ValueError(f"pseudonyms starting with {ANONYMOUS!r} are reserved")
        try:
            with self.session(write=True) as s:
                me = self._competitor(s, user, utc(None))
                taken = s.scalar(
                    select(Competitor.id).where(
                        Competitor.id != me.id,
                        (Competitor.pseudonym_key == key) | (func.lower(Competitor.name) == key),
                    )
                )
                if taken is not None:
                    raise ValueError(f"the pseudonym {pseudonym!r} is taken")
                me.pseudonym, me.pseudonym_key = pseudonym, key
        except IntegrityError:
            raise ValueError(f"the pseudonym {pseudonym!r} is taken") from None

    def form_team(self, user: str, partner: str, now: datetime | None = None) -> None:
        """Ask `partner` to team up; the team forms when `partner` has asked `user` too.
        Teams share the caps (their members' submissions count together) and the final
        selections, which a merge clears."""
        now = utc(now)
        if self.rules.is_closed(now):
            raise PermissionError("teams are closed: the deadline has passed")
        partner = check_user(partner)
        if partner == user:
            raise ValueError("a team is formed with someone else")
        with self.session(write=True) as s:
            me = self._competitor(s, user, now)
            mine = self._members(s, me)
            if partner in mine:
                raise ValueError(f"{partner} is already in your team")
            if len(mine) > 1:
                raise ValueError("you are already in a team")
            other = s.scalar(select(Competitor).where(Competitor.name == partner))
            if other is None or other.invited != me.name:
                me.invited = partner
                return
            theirs = self._members(s, other)
            if len(theirs) + len(mine) > self.rules.max_team_size:
                raise ValueError(f"teams have at most {self.rules.max_team_size} members")
            members = mine + theirs
            used = s.scalar(
                select(func.count(Submission.id)).where(
                    Submission.user.in_(members), Submission.status.in_(COUNTED)
                )
            )
            if used > self.rules.total_cap:
                raise ValueError(
                    f"together you made {used} submissions, more than a team's "
                    f"{self.rules.total_cap}: teams form before that many submissions"
                )
            if other.team_id is None:
                team = Team(created_at=now)
                s.add(team)
                s.flush()
                other.team_id = team.id
            me.team_id, me.invited, other.invited = other.team_id, None, None
            s.execute(
                update_rows(Submission).where(Submission.user.in_(members)).values(final=False)
            )

    # -- submissions ---------------------------------------------------------------------

    def add_submission(
        self,
        user: str,
        weights: bytes,
        size: str,
        hyperparams: dict,
        now: datetime | None = None,
    ) -> int:
        """Queue a checked submission; CapReached (with the student's message) when the
        team's daily or total cap is used up, or the deadline has passed."""
        now = utc(now)
        rules = self.rules
        if rules.is_closed(now):
            raise CapReached("closed", f"the competition closed at {fmt(rules.deadline_at)}")
        with self.session(write=True) as s:
            me = self._competitor(s, user, now)
            members = self._members(s, me)
            locked = (
                update_rows(Competitor)
                .where(Competitor.name.in_(members))
                .values(seq=Competitor.seq + 1)
            )
            s.execute(locked)  # row locks: the team's submissions go one at a time
            counted = select(func.count(Submission.id)).where(
                Submission.user.in_(members), Submission.status.in_(COUNTED)
            )
            who = "your team has" if len(members) > 1 else "you have"
            total = s.scalar(counted)
            if total >= rules.total_cap:
                raise CapReached(
                    "total", f"{who} made all {rules.total_cap} submissions of the competition"
                )
            start = day_start(now)
            end = start + timedelta(days=1)
            today = s.scalar(
                counted.where(Submission.created_at >= start, Submission.created_at < end)
            )
            if today >= rules.daily_cap:
                raise CapReached(
                    "daily",
                    f"{who} made {rules.daily_cap} submissions today (the daily cap); the "
                    f"next one is possible from {fmt(end)}",
                    resets_at=end,
                )
            row = Submission(
                user=me.name, status=QUEUED, reason="", size=size, hyperparams=hyperparams,
                weights=bytes(weights), created_at=now, attempts=0, final=False,
            )  # fmt: skip
            s.add(row)
            s.flush()
            return row.id

    def add_rejected(self, user: str, reason: str, now: datetime | None = None) -> int:
        """Record a submission refused at upload; it never counts against the caps."""
        now = utc(now)
        with self.session(write=True) as s:
            me = self._competitor(s, user, now)
            row = Submission(
                user=me.name, status=REJECTED, reason=str(reason)[:2000], size="",
                hyperparams={}, weights=None, created_at=now, attempts=0, final=False,
            )  # fmt: skip
            s.add(row)
            s.flush()
            return row.id

    def claim_next(self, now: datetime | None = None) -> ClaimedSubmission | None:
        """The oldest queued submission, now `evaluating` (one statement: a conditional
        UPDATE; PostgreSQL skips rows another worker has locked)."""
        oldest = (
            select(Submission.id)
            .where(Submission.status == QUEUED)
            .order_by(Submission.id)
            .limit(1)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        claim = (
            update_rows(Submission)
            .where(Submission.id == oldest, Submission.status == QUEUED)
            .values(status=EVALUATING, claimed_at=utc(now), attempts=Submission.attempts + 1)
            .returning(*(getattr(Submission, f) for f in CLAIMED))
        )
        with self.session(write=True) as s:
            row = s.execute(claim).first()
        if row is None:
            return None
        sid, user, size, weights, hyperparams = row
        return ClaimedSubmission(sid, user, size or "", bytes(weights or b""), hyperparams or {})

    def record_scores(
        self, submission_id: int, scores: Scores, now: datetime | None = None
    ) -> None:
        """A claimed (or still queued) submission is now `scored`; ValueError for scores out
        of range; a submission already scored or rejected is left as it is."""
        values = check_scores(scores)
        with self.session(write=True) as s:
            self._finish(s, submission_id, dict(values, status=SCORED, scored_at=utc(now)))

    def record_rejection(self, submission_id: int, reason: str) -> None:
        """A claimed submission is `rejected` with `reason` (no longer counted)."""
        values = {"status": REJECTED, "reason": str(reason)[:2000], "scored_at": utc(None)}
        with self.session(write=True) as s:
            self._finish(s, submission_id, values)

    def _finish(self, s: Session, submission_id: int, values: dict) -> None:
        done = s.execute(
            update_rows(Submission)
            .where(Submission.id == submission_id, Submission.status.in_((QUEUED, EVALUATING)))
            .values(**values)
        )
        known = select(Submission.id).where(Submission.id == submission_id)
        if done.rowcount == 0 and s.scalar(known) is None:
            raise LookupError(f"no submission {submission_id}")

    def requeue_stale(self, older_than_s: float, now: datetime | None = None) -> int:
        """Submissions `evaluating` for longer than `older_than_s` (a crashed worker) are
        queued again, or rejected after MAX_ATTEMPTS claims; returns how many were requeued."""
        before = utc(now) - timedelta(seconds=older_than_s)
        stale = (Submission.status == EVALUATING, Submission.claimed_at < before)
        with self.session(write=True) as s:
            s.execute(
                update_rows(Submission)
                .where(*stale, Submission.attempts >= MAX_ATTEMPTS)
                .values(status=REJECTED, reason=CRASHED.format(MAX_ATTEMPTS))
            )
            done = s.execute(
                update_rows(Submission).where(*stale).values(status=QUEUED, claimed_at=None)
            )
            return int(done.rowcount or 0)

    def submissions_of(self, user: str) -> list[SubmissionView]:
        """The submissions of `user`'s team (theirs and their partner's), oldest first."""
        with self.session() as s:
            me = s.scalar(select(Competitor).where(Competitor.name == user))
            members = self._members(s, me) if me else [user]
            rows = s.scalars(
                select(Submission)
                .options(defer(Submission.weights))
                .where(Submission.user.in_(members))
                .order_by(Submission.id)
            )
            return [SubmissionView.of(r) for r in rows]

    def select_final(
        self, user: str, submission_ids: list[int], now: datetime | None = None
    ) -> None:
        """The team's final selections (scored submissions of the team, at most
        `max_final_selections`); [] returns to the default (the best public ones)."""
        rules = self.rules
        if rules.is_closed(now) or self.revealed_at() is not None:
            raise PermissionError("final selections are closed: the deadline has passed")
        ids = [int(i) for i in submission_ids]
        if len(set(ids)) != len(ids):
            raise ValueError("a submission is selected once")
        if len(ids) > rules.max_final_selections:
            raise ValueError(f"at most {rules.max_final_selections} final selections")
        with self.session(write=True) as s:
            me = self._competitor(s, user, utc(None))
            members = self._members(s, me)
            found = {r.id: r for r in s.scalars(select(Submission).where(Submission.id.in_(ids)))}
            for i in ids:
                row = found.get(i)
                if row is None or row.user not in members:
                    raise LookupError(f"submission {i} is not one of your team's")
                if row.status != SCORED:
                    raise ValueError(f"submission {i} is {row.status}, not scored")
            s.execute(
                update_rows(Submission)
                .where(Submission.user.in_(members))
                .values(final=Submission.id.in_(ids) if ids else False)
            )

    # -- staff ---------------------------------------------------------------------------

    def reveal_private(self, by: str, now: datetime | None = None) -> None:
        """Reveal the private board (after the deadline, when there is one); once."""
        now = utc(now)
        if self.rules.deadline_at is not None and not self.rules.is_closed(now):
            raise ValueError(
                f"the private board is revealed after the deadline ({fmt(self.rules.deadline_at)})"
            )
        with self.session(write=True) as s:
            if s.get(State, "revealed") is None:
                s.add(State(key="revealed", value=str(by)[:200], at=now))

    def revealed_at(self) -> datetime | None:
        with self.session() as s:
            state = s.get(State, "revealed")
            return state.at if state else None

    def pin_baseline(self, name: str, scores: Scores, now: datetime | None = None) -> None:
        """Pin (or re-pin) a baseline's scores on every board."""
        values = check_scores(scores)
        with self.session(write=True) as s:
            row = s.get(Baseline, name)
            if row is None:
                s.add(Baseline(name=name, pinned_at=utc(now), **values))
            else:
                for key, value in values.items():
                    setattr(row, key, value)
                row.pinned_at = utc(now)

    def snapshot(self) -> Snapshot:
        """Everything the boards show, read in one transaction (weights left out)."""
        with self.session() as s:
            return Snapshot.read(s)


def check_user(name: str) -> str:
    name = str(name)
    if not name or len(name) > 64:
        raise ValueError("a user name is 1 to 64 characters")
    return name


def fmt(when: datetime | None) -> str:
    return utc(when).strftime("%Y-%m-%d %H:%M UTC") if when else ""
