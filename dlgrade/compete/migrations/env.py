"""Alembic's environment: migrates the connection `alembic_config` was given (online only)."""

from __future__ import annotations

from alembic import context

from dlgrade.compete.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("the competition's migrations run through CompetitionStore.upgrade()")
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
