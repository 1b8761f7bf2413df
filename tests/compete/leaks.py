"""What the competition's leak checks look for in an answer of the leaderboard."""

from __future__ import annotations

from typing import Any


def private_values(value: Any, out: list | None = None) -> list:
    """Every (key, value) of a decoded JSON answer whose key names a private score and
    whose value is not empty."""
    out = [] if out is None else out
    if isinstance(value, dict):
        for k, v in value.items():
            if "private" in str(k) and v not in (None, False, [], {}):
                out.append((k, v))
            private_values(v, out)
    elif isinstance(value, list):
        for v in value:
            private_values(v, out)
    return out
