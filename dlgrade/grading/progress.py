"""What a TA sees while a batch is graded, and what `dlgrade status` shows.

On a terminal: a live rich bar with ETA, counts per status and the last few finished
submissions. Elsewhere (CI, cron, a log file): one plain line per finished submission.
"""

from __future__ import annotations

import json
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType

from rich.console import Console, Group
from rich.live import Live
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from dlgrade.grading.results import (
    MAX_FILE_BYTES,
    Result,
    Status,
    Unrecorded,
    lenient_result,
)

STATUS_STYLES = {
    Status.GRADED: "green",
    Status.TIMEOUT: "yellow",
    Status.CRASHED: "red",
    Status.INVALID: "magenta",
    Unrecorded.UNREADABLE: "red",
    Unrecorded.PENDING: "cyan",
    Unrecorded.CHANGED: "cyan",
}


def score_text(result: Result) -> str:
    """`score/max`, with the extra credit apart: `40/41 +4 extra`."""
    extra = result.extra_credit_score
    text = f"{result.score - extra:g}/{result.max_score:g}"
    return text + (f" +{extra:g} extra" if extra else "")


class BatchProgress:
    """A `progress(job, result)` callback for `run_batch`, used as a context manager."""

    def __init__(
        self, total: int, label: str = "", console: Console | None = None, recent: int = 5
    ) -> None:
        self.total = total
        self.label = label
        self.console = console or Console(stderr=True, highlight=False)
        self.counts: Counter[str] = Counter()
        self.recent: deque[tuple[str, str, str, float]] = deque(maxlen=recent)
        self.done = 0
        self._live: Live | None = None
        self._bar = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=self.console,
        )
        self._task = self._bar.add_task(label or "grading", total=max(total, 1))

    def __enter__(self) -> BatchProgress:
        if self.console.is_terminal and self.total:
            self._live = Live(self._view(), console=self.console, refresh_per_second=4)
            self._live.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._live is not None:
            self._live.update(self._view())
            self._live.__exit__(kind, exc, tb)
            self._live = None

    def __call__(self, job, result: Result) -> None:
        status = result.status
        elapsed = result.execution_time or 0.0
        self.done += 1
        self.counts[status] += 1
        self.recent.appendleft((job.student, status, score_text(result), elapsed))
        self._bar.update(self._task, completed=self.done)
        if self._live is not None:
            self._live.update(self._view())
        else:
            prefix = f"{self.label}: " if self.label else ""
            self.console.print(
                f"{prefix}[{self.done}/{self.total}] {job.student} {status} "
                f"{score_text(result)} ({elapsed:.1f} s)",
                markup=False,
                soft_wrap=True,
            )

    def _view(self) -> Group:
        counts = Text("  ")
        for status in Status:
            counts.append(f"{status} {self.counts.get(status, 0)}  ", STATUS_STYLES[status])
        table = Table(box=None, show_header=False, pad_edge=False)
        for student, status, score, elapsed in self.recent:
            table.add_row(
                Text(student),
                Text(status, STATUS_STYLES.get(status, "")),
                score,
                f"{elapsed:.1f} s",
            )
        return Group(self._bar, counts, table)


def _read(path) -> Result | None:
    """The results.json at `path` read leniently (it may be an older version's); None when
    there is none."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return Result(Unrecorded.UNREADABLE, "results.json is too large")
        return lenient_result(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as err:
        return Result(Unrecorded.UNREADABLE, f"cannot read results.json: {err}")


@dataclass(frozen=True)
class StatusRow:
    """One row of `dlgrade status`."""

    student: str
    state: Status | Unrecorded
    score: str = ""
    detail: str = ""


def submission_states(paths, assignment: str) -> list[StatusRow]:
    """Every submission of `assignment` as graded / timeout / crashed / invalid / pending
    (no results yet) / changed (submitted again after it was graded) / unreadable,
    without grading."""
    rows = []
    for student in paths.students(assignment):
        results = paths.results(student, assignment)
        result = _read(results)
        if result is None:
            rows.append(StatusRow(student, Unrecorded.PENDING))
            continue
        state = result.status
        detail = result.status_detail
        notebook = paths.submitted(student, assignment) / f"{paths.notebook(assignment)}.ipynb"
        try:
            if notebook.lstat().st_mtime > results.stat().st_mtime:
                state = Unrecorded.CHANGED
                detail = "submitted again after grading (autograde --force re-grades)"
        except OSError:
            pass
        rows.append(StatusRow(student, state, score_text(result), detail))
    return rows


def status_table(rows: Sequence[StatusRow], title: str) -> Table:
    """`dlgrade status`: one row per submission (student, state, score, detail)."""
    table = Table(title=title, title_justify="left")
    for column in ("student", "state", "score", "detail"):
        table.add_column(column, overflow="fold")
    for row in rows:
        style = STATUS_STYLES.get(row.state, "")
        table.add_row(Text(row.student), Text(row.state, style), row.score, Text(row.detail))
    return table
