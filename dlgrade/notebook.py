"""Notebook helpers: reading safely, classifying cells, rebuilding what gets executed."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

import nbformat
from nbformat import NotebookNode

EXPERIMENT_TAG = "experiment"
MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Delimiters:
    """nbgrader's region markers (the ClearSolutions and ClearHiddenTests traits). As in
    nbgrader, a line that contains one opens or closes a region."""

    begin_solution: str = "BEGIN SOLUTION"
    end_solution: str = "END SOLUTION"
    begin_hidden: str = "BEGIN HIDDEN TESTS"
    end_hidden: str = "END HIDDEN TESTS"

    @classmethod
    def from_config(cls, config) -> Delimiters:
        from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions

        solutions, hidden = ClearSolutions(config=config), ClearHiddenTests(config=config)
        return cls(
            solutions.begin_solution_delimeter,
            solutions.end_solution_delimeter,
            hidden.begin_test_delimeter,
            hidden.end_test_delimeter,
        )

    def all(self) -> tuple[str, ...]:
        return (self.begin_solution, self.end_solution, self.begin_hidden, self.end_hidden)

    def split(self, source: str) -> tuple[list[str], list[str], list[str]]:
        """(lines outside every region, solution lines, hidden-test lines); marker lines
        belong to none of them."""
        outside, solution, hidden, inside = [], [], [], None
        for line in source.splitlines():
            if self.begin_solution in line:
                inside = solution
            elif self.begin_hidden in line:
                inside = hidden
            elif self.end_solution in line or self.end_hidden in line:
                inside = None
            else:
                (outside if inside is None else inside).append(line)
        return outside, solution, hidden


DELIMITERS = Delimiters()


class InvalidNotebook(Exception):
    """The submission is not a readable, valid Jupyter notebook."""


def nbgrader_meta(cell: NotebookNode) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def grade_id(cell: NotebookNode) -> str | None:
    gid = nbgrader_meta(cell).get("grade_id")
    return gid if isinstance(gid, str) else None


def is_solution(cell: NotebookNode) -> bool:
    return bool(nbgrader_meta(cell).get("solution"))


def is_grade(cell: NotebookNode) -> bool:
    return bool(nbgrader_meta(cell).get("grade"))


def is_locked(cell: NotebookNode) -> bool:
    meta = nbgrader_meta(cell)
    return bool(meta.get("locked")) or (bool(meta.get("grade")) and not meta.get("solution"))


def is_experiment(cell: NotebookNode) -> bool:
    tags = cell.get("metadata", {}).get("tags", [])
    return isinstance(tags, list) and EXPERIMENT_TAG in tags


def read_notebook(path: os.PathLike | str) -> NotebookNode:
    """Read and validate a notebook; any problem becomes :class:`InvalidNotebook`."""
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise InvalidNotebook(f"cannot read the notebook: {exc.strerror}") from None
    if size > MAX_NOTEBOOK_BYTES:
        raise InvalidNotebook(f"the notebook is {size / 2**20:.0f} MiB, over the limit")
    try:
        with open(path, encoding="utf-8") as fh:
            nb = nbformat.read(fh, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # nbformat raises many kinds: JSON, validation, unicode
        raise InvalidNotebook(f"not a valid Jupyter notebook ({type(exc).__name__})") from None
    for cell in nb.cells:
        if not isinstance(cell.get("source"), str):
            raise InvalidNotebook("a cell has no source text")
    return nb


def sha256_file(path: os.PathLike | str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def restore_locked_cells(submitted: NotebookNode, release: NotebookNode) -> NotebookNode:
    """The submission with every locked cell of the release put back as released.

    Edited locked cells are replaced, deleted ones re-inserted after their released
    predecessor, and cells a student added or answered are kept as written.
    """
    nb = nbformat.from_dict(submitted)
    locked = {grade_id(c): c for c in release.cells if is_locked(c) and grade_id(c)}
    kept = []
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid in locked:
            kept.append(nbformat.from_dict(locked[gid]))
        elif is_locked(cell) or is_grade(cell):
            continue  # a forged locked/grade cell that the release does not have
        else:
            kept.append(cell)
    present = {grade_id(c) for c in kept}
    for pos, cell in enumerate(release.cells):
        gid = grade_id(cell)
        if gid in locked and gid not in present:
            prev_ids = [grade_id(c) for c in release.cells[:pos] if grade_id(c)]
            at = 0
            for i, c in enumerate(kept):
                if grade_id(c) in prev_ids:
                    at = i + 1
            kept.insert(at, nbformat.from_dict(cell))
            present.add(gid)
    nb.cells = kept
    return nb


@dataclass(frozen=True)
class CodeCell:
    index: int
    source: str


def cells_to_run(nb: NotebookNode, *, include_tests: bool = True) -> list[CodeCell]:
    """Code cells executed when grading: all but experiments (and tests, if asked)."""
    out = []
    for i, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code" or is_experiment(cell):
            continue
        if not include_tests and is_grade(cell) and not is_solution(cell):
            continue
        out.append(CodeCell(i, cell.source))
    return out


def unwrap_solution(source: str, delimiters: Delimiters = DELIMITERS) -> str:
    """A solution cell as a student would have written it: the marker lines removed."""
    markers = (delimiters.begin_solution, delimiters.end_solution)
    return "\n".join(ln for ln in source.splitlines() if not any(m in ln for m in markers))


def solution_cells(source_nb: NotebookNode) -> dict[str, str]:
    """grade_id → solution source (markers removed) for every solution cell."""
    return {
        grade_id(c): unwrap_solution(c.source)
        for c in source_nb.cells
        if is_solution(c) and grade_id(c) and c.cell_type == "code"
    }


def without_magics(source: str) -> str:
    """A code cell's source as plain Python: IPython magics and shell lines dropped."""
    return "\n".join(ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!")))


def code_of(nb: NotebookNode) -> str:
    """All code of the notebook's code cells, for static checks (magics dropped)."""
    return "\n\n".join(
        without_magics(cell.source) for cell in nb.cells if cell.get("cell_type") == "code"
    )
