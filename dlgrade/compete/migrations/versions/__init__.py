"""Alembic revision scripts of the competition database (a package so installs carry them)."""
