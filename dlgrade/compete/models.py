"""The competition's database schema (SQLAlchemy 2 declarative models) and the plain records
the store hands out.

The schema's versions are Alembic's (`dlgrade/compete/migrations/versions/`); nothing here
creates tables. Every timestamp is timezone-aware UTC (`UTCDateTime`), on SQLite too.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    create_engine,
    event,
    select,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, defer, mapped_column

QUEUED, EVALUATING, SCORED, REJECTED = "queued", "evaluating", "scored", "rejected"
STATUSES = (QUEUED, EVALUATING, SCORED, REJECTED)
COUNTED = (QUEUED, EVALUATING, SCORED)
"""Statuses that count against the caps (a rejected submission never does)."""
ANONYMOUS = "anonymous"
"""The prefix of the pseudonym of a competitor who chose none (`anonymous-<number>`)."""
SCORE_FIELDS = ("probe_public", "probe_private", "knn_public", "knn_private")


class Scores(Protocol):
    """What `evaluate.Scores` holds (the store reads these attributes only)."""

    probe_public: float
    probe_private: float
    knn_public: float
    knn_private: float
    n_params: int
    eval_seconds: float


class UTCDateTime(TypeDecorator):
    """An aware UTC datetime in, an aware UTC datetime out (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the competition database")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Competitor(Base):
    """A student who took part: a pseudonym (what other students see), a team, an invite."""

    __tablename__ = "competitors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    pseudonym: Mapped[str | None] = mapped_column(String(24))
    pseudonym_key: Mapped[str | None] = mapped_column(String(24), unique=True)
    """The pseudonym in lower case: pseudonyms are unique whatever their case."""
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    invited: Mapped[str | None] = mapped_column(String(64))
    """The user this one asked to team up with (a team forms when both asked)."""
    seq: Mapped[int] = mapped_column("submit_seq", Integer, default=0)
    """Bumped by every submission, so concurrent ones of a team are serialised."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Submission(Base):
    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user: Mapped[str] = mapped_column("user_name", String(64))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    size: Mapped[str] = mapped_column(String(32), default="")
    hyperparams: Mapped[dict] = mapped_column(JSON, default=dict)
    weights: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scored_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    probe_public: Mapped[float | None] = mapped_column(Float)
    probe_private: Mapped[float | None] = mapped_column(Float)
    knn_public: Mapped[float | None] = mapped_column(Float)
    knn_private: Mapped[float | None] = mapped_column(Float)
    n_params: Mapped[int | None] = mapped_column(Integer)
    eval_seconds: Mapped[float | None] = mapped_column(Float)
    final: Mapped[bool] = mapped_column(Boolean, default=False)


Index("ix_submissions_status_id", Submission.status, Submission.id)
Index("ix_submissions_user_created", Submission.user, Submission.created_at)


class Baseline(Base):
    """A reference scored by the platform, pinned on every board."""

    __tablename__ = "baselines"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    probe_public: Mapped[float] = mapped_column(Float)
    probe_private: Mapped[float] = mapped_column(Float)
    knn_public: Mapped[float] = mapped_column(Float)
    knn_private: Mapped[float] = mapped_column(Float)
    n_params: Mapped[int] = mapped_column(Integer)
    eval_seconds: Mapped[float] = mapped_column(Float)
    pinned_at: Mapped[datetime] = mapped_column(UTCDateTime)


class State(Base):
    """Competition-wide facts: `revealed` (value: who revealed; at: when)."""

    __tablename__ = "state"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime)


# -- records handed out (plain, detached from any session) ---------------------------------


@dataclass(frozen=True)
class ClaimedSubmission:
    """A submission a worker now evaluates."""

    id: int
    user: str
    size: str
    weights: bytes
    hyperparams: dict = field(default_factory=dict)


@dataclass(frozen=True)
class SubmissionView:
    """One submission as the store knows it (everything but its weights)."""

    id: int
    user: str
    status: str
    reason: str
    size: str
    hyperparams: dict
    created_at: datetime
    scored_at: datetime | None
    probe_public: float | None
    probe_private: float | None
    knn_public: float | None
    knn_private: float | None
    n_params: int | None
    eval_seconds: float | None
    final: bool

    @classmethod
    def of(cls, row: Submission) -> SubmissionView:
        return cls(
            row.id, row.user, row.status, row.reason or "", row.size or "",
            dict(row.hyperparams or {}), row.created_at, row.scored_at, row.probe_public,
            row.probe_private, row.knn_public, row.knn_private, row.n_params,
            row.eval_seconds, bool(row.final),
        )  # fmt: skip


@dataclass(frozen=True)
class BaselineView:
    name: str
    probe_public: float
    probe_private: float
    knn_public: float
    knn_private: float
    n_params: int
    eval_seconds: float


@dataclass(frozen=True)
class CompetitorView:
    name: str
    pseudonym: str
    """The chosen pseudonym, else `anonymous-<number>` (never the user name)."""
    team: tuple[str, ...]
    """The user names of the competitor's team, sorted (just the competitor when alone)."""
    invited: str | None


@dataclass(frozen=True)
class Snapshot:
    """Everything the boards are computed from, read in one transaction."""

    competitors: dict[str, CompetitorView]
    submissions: list[SubmissionView]
    baselines: list[BaselineView]
    revealed_at: datetime | None
    revealed_by: str

    def team_of(self, user: str) -> tuple[str, ...]:
        found = self.competitors.get(user)
        return found.team if found else (user,)

    @classmethod
    def read(cls, s: Session) -> Snapshot:
        """The snapshot of the database `s` is a transaction on."""
        people = list(s.scalars(select(Competitor).order_by(Competitor.id)))
        teams: dict[int, list[str]] = {}
        for p in people:
            if p.team_id is not None:
                teams.setdefault(p.team_id, []).append(p.name)
        competitors = {
            p.name: CompetitorView(
                p.name,
                p.pseudonym or f"{ANONYMOUS}-{p.id}",
                tuple(sorted(teams[p.team_id])) if p.team_id is not None else (p.name,),
                p.invited,
            )
            for p in people
        }
        rows = s.scalars(
            select(Submission).options(defer(Submission.weights)).order_by(Submission.id)
        )
        baselines = [
            BaselineView(**{f.name: getattr(b, f.name) for f in fields(BaselineView)})
            for b in s.scalars(select(Baseline).order_by(Baseline.name))
        ]
        state = s.get(State, "revealed")
        return cls(
            competitors,
            [SubmissionView.of(r) for r in rows],
            baselines,
            state.at if state else None,
            state.value if state else "",
        )


def engine_for(url: str) -> Engine:
    """An engine for `url`; 'postgresql://' means psycopg 3; SQLite gets WAL, foreign keys,
    a busy timeout and real transactions (BEGIN, or BEGIN IMMEDIATE on connections with the
    execution option `immediate`: the store's writes)."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    engine = create_engine(parsed, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _connect(dbapi: Any, _record: Any) -> None:
        dbapi.isolation_level = None  # the driver's own implicit BEGINs off: ours below
        cursor = dbapi.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if parsed.database and parsed.database != ":memory:":
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("immediate")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
