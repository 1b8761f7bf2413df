"""Points TAs give by hand, in nbgrader's manually graded answer cells (written answers),
added to what the hidden graders earned, so every report and export carries them."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace

from dlgrade.notebook import (
    InvalidNotebook,
    grade_id,
    is_grade,
    is_solution,
    nbgrader_meta,
    read_notebook,
)
from dlgrade.paths import CoursePaths
from dlgrade.report.model import GradedSubmission

log = logging.getLogger(__name__)
PENDING_FLAG = "manual_grading_pending"


@dataclass(frozen=True)
class ManualGrade:
    """One submission's hand-graded cells: points given, and how many await a TA."""

    score: float = 0.0
    pending: int = 0


def manual_cells(paths: CoursePaths, assignment: str) -> dict[str, float]:
    """grade_id -> points of the source notebook's manually graded cells (answer cells
    that are graded: nbgrader `solution` and `grade`)."""
    source = paths.source(assignment) / f"{paths.notebook(assignment)}.ipynb"
    try:
        cells = read_notebook(source).cells
    except (OSError, InvalidNotebook) as err:  # no readable source: no hand-graded cells
        log.info("no manually graded cells read from %s: %s", source, err)
        return {}
    return {
        grade_id(c): float(nbgrader_meta(c).get("points", 0))
        for c in cells
        if is_grade(c) and is_solution(c) and grade_id(c)
    }


def load_manual_grades(
    paths: CoursePaths, assignment: str, cells: dict[str, float]
) -> dict[str, ManualGrade]:
    """student -> ManualGrade from nbgrader's gradebook (nothing when there is none)."""
    db = paths.coursedir.db_url
    if not cells or (db.startswith("sqlite:///") and not _exists(db)):
        return {}
    from nbgrader.api import Gradebook, MissingEntry

    found: dict[str, ManualGrade] = {}
    try:
        with warnings.catch_warnings(), Gradebook(db, paths.coursedir.course_id) as gb:
            warnings.simplefilter("ignore")
            try:
                submissions = gb.find_assignment(assignment).submissions
            except MissingEntry:
                return {}
            for sub in submissions:
                score, pending = 0.0, 0
                for nb in sub.notebooks:
                    for grade in nb.grades:
                        if grade.name not in cells:
                            continue
                        if grade.manual_score is None:
                            pending += 1
                        else:
                            score += min(float(grade.manual_score), cells[grade.name])
                found[sub.student.id] = ManualGrade(score, pending)
    except Exception as err:  # a broken gradebook must not stop a report
        log.warning("cannot read the manual grades in %s: %s", db, err)
        return {}
    return found


def _exists(db_url: str) -> bool:
    from pathlib import Path
    from urllib.parse import unquote

    return Path(unquote(db_url[len("sqlite:///") :])).is_file()


def with_manual_grades(
    paths: CoursePaths, assignment: str, subs: Sequence[GradedSubmission]
) -> list[GradedSubmission]:
    """`subs` with the hand-graded points added to score and maximum; a scored submission
    whose answer cells are not all graded yet is flagged `manual_grading_pending`."""
    cells = manual_cells(paths, assignment)
    if not cells:
        return list(subs)
    manual_max = sum(cells.values())
    grades = load_manual_grades(paths, assignment, cells)
    out = []
    for s in subs:
        grade = grades.get(s.student, ManualGrade(pending=len(cells)))
        flags = s.flags + ((PENDING_FLAG,) if grade.pending and s.scored else ())
        earned = grade.score if s.scored else 0.0
        out.append(
            replace(s, score=s.score + earned, max_score=s.max_score + manual_max, flags=flags)
        )
    return out
