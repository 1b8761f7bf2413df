"""The competition's first schema: teams, competitors, submissions, baselines, state.

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), nullable=False),
        when("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_teams"),
    )
    op.create_table(
        "competitors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("pseudonym", sa.String(24), nullable=True),
        sa.Column("pseudonym_key", sa.String(24), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("invited", sa.String(64), nullable=True),
        sa.Column("submit_seq", sa.Integer(), nullable=False),
        when("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_competitors"),
        sa.UniqueConstraint("name", name="uq_competitors_name"),
        sa.UniqueConstraint("pseudonym_key", name="uq_competitors_pseudonym_key"),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name="fk_competitors_team_id_teams"),
    )
    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_name", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("size", sa.String(32), nullable=False),
        sa.Column("hyperparams", sa.JSON(), nullable=False),
        sa.Column("weights", sa.LargeBinary(), nullable=True),
        when("created_at"),
        when("claimed_at", nullable=True),
        when("scored_at", nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        *(sa.Column(n, sa.Float(), nullable=True) for n in (
            "probe_public", "probe_private", "knn_public", "knn_private")),
        sa.Column("n_params", sa.Integer(), nullable=True),
        sa.Column("eval_seconds", sa.Float(), nullable=True),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_submissions"),
    )  # fmt: skip
    op.create_index("ix_submissions_status_id", "submissions", ["status", "id"])
    op.create_index("ix_submissions_user_created", "submissions", ["user_name", "created_at"])
    op.create_table(
        "baselines",
        sa.Column("name", sa.String(64), nullable=False),
        *(sa.Column(n, sa.Float(), nullable=False) for n in (
            "probe_public", "probe_private", "knn_public", "knn_private")),
        sa.Column("n_params", sa.Integer(), nullable=False),
        sa.Column("eval_seconds", sa.Float(), nullable=False),
        when("pinned_at"),
        sa.PrimaryKeyConstraint("name", name="pk_baselines"),
    )  # fmt: skip
    op.create_table(
        "state",
        sa.Column("key", sa.String(32), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        when("at"),
        sa.PrimaryKeyConstraint("key", name="pk_state"),
    )


def downgrade() -> None:
    op.drop_table("state")
    op.drop_table("baselines")
    op.drop_index("ix_submissions_user_created", table_name="submissions")
    op.drop_index("ix_submissions_status_id", table_name="submissions")
    op.drop_table("submissions")
    op.drop_table("competitors")
    op.drop_table("teams")
