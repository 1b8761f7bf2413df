"""Reports for instructors and TAs: class reports, course overview, grade exports.

`build_reports(paths, assignments)` writes everything; `summary.format_summary(results)`
is the terminal summary. Nothing here reads more than the documented results.json fields.
"""

from __future__ import annotations

from typing import Any

__all__ = ["build_reports", "export_grades"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from dlgrade.report import build

        return getattr(build, name)
    raise AttributeError(name)
