"""Alembic migrations of the competition's database, configured in code (no alembic.ini):
`alembic_config(connection)` is what `CompetitionStore.upgrade` runs `upgrade head` with."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.config import Config

HERE = Path(__file__).resolve().parent


def alembic_config(connection: Any = None) -> Config:
    """Alembic's config for these migrations; `connection` (an SQLAlchemy Connection) is
    the one env.py migrates."""
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.attributes["connection"] = connection
    return config
