"""`dlgrade status`: what is graded, pending or failed (and why), without grading."""

from __future__ import annotations

from collections import Counter

from rich.console import Console

from dlgrade.apps.base import DlGradeApp
from dlgrade.grading.progress import status_table, submission_states
from dlgrade.grading.service import GradingService, ping


class StatusApp(DlGradeApp):
    """Show each submission's grading state for one assignment (or all)."""

    name = "dlgrade-status"

    def _classes_default(self):
        return [*super()._classes_default(), GradingService]

    def start(self) -> None:
        console = Console(highlight=False)
        for assignment in self.assignment_list():
            rows = submission_states(self.paths, assignment)
            counts = Counter(r.state for r in rows)
            title = f"{assignment}: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
            console.print(status_table(rows, title if rows else f"{assignment}: no submissions"))
        path = GradingService(parent=self).socket_path(self.paths)
        pong = ping(path, 2.0)
        if pong:
            console.print(
                f"grading service: ready at {path} ({pong.get('workers')} workers)", soft_wrap=True
            )
        else:
            console.print(
                f"grading service: none at {path} (`make serve` starts one)", soft_wrap=True
            )
