"""Notebook helpers: validation, locked-cell restoration, what runs when grading."""

from __future__ import annotations

import nbformat
import pytest

from dlgrade.notebook import (
    InvalidNotebook,
    cells_to_run,
    read_notebook,
    restore_locked_cells,
    unwrap_solution,
)
from tests.conftest import FIXTURE_COURSE

SOURCE = FIXTURE_COURSE / "source" / "hello" / "hello.ipynb"


def _meta(cell):
    return cell.metadata.get("nbgrader", {})


def test_edited_deleted_and_forged_locked_cells_are_restored():
    """Are edited tests put back, deleted ones re-inserted and forged ones dropped?"""
    release = read_notebook(SOURCE)
    sub = nbformat.from_dict(release)
    sub.cells[3].source = "pass"
    _meta(sub.cells[3])["points"] = 99
    del sub.cells[5]
    sub.cells.append(
        nbformat.v4.new_code_cell(
            "x = 1",
            metadata={
                "nbgrader": {"grade": True, "locked": True, "grade_id": "forged", "points": 9}
            },
        )
    )
    sub.cells.append(nbformat.v4.new_code_cell("helper = 2"))
    fixed = restore_locked_cells(sub, release)
    ids = [_meta(c).get("grade_id") for c in fixed.cells]
    assert ids.count("test_scale") == 1 and "forged" not in ids
    assert fixed.cells[3].source == release.cells[3].source and _meta(fixed.cells[3])["points"] == 3
    assert fixed.cells[-1].source == "helper = 2"


def test_experiment_cells_are_not_run():
    """Are cells tagged `experiment` left out of grading?"""
    nb = read_notebook(SOURCE)
    sources = [c.source for c in cells_to_run(nb)]
    assert not any("time.sleep(1000)" in s for s in sources)
    assert len(cells_to_run(nb, include_tests=False)) == len(sources) - 2


def test_solution_markers_are_removed():
    """Does unwrapping a solution leave only the code a student would write?"""
    src = "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION"
    assert unwrap_solution(src) == "def f():\n    return 1"


@pytest.mark.parametrize("data", [b"", b"{", b'{"a": 1}', b"\x89PNG\r\n"])
def test_bad_files_are_invalid(tmp_path, data):
    """Is anything that is not a valid notebook an InvalidNotebook?"""
    path = tmp_path / "x.ipynb"
    path.write_bytes(data)
    with pytest.raises(InvalidNotebook):
        read_notebook(path)


def test_delimiters_follow_nbgrader_config():
    """Are the region markers nbgrader's configured ones, matched as nbgrader does (a line
    containing the marker), and split into outside / solution / hidden lines?"""
    from traitlets.config import Config

    from dlgrade.notebook import Delimiters

    config = Config()
    config.ClearSolutions.begin_solution_delimeter = "<<ANSWER"
    config.ClearSolutions.end_solution_delimeter = "ANSWER>>"
    d = Delimiters.from_config(config)
    assert (d.begin_solution, d.end_solution, d.begin_hidden) == (
        "<<ANSWER",
        "ANSWER>>",
        "BEGIN HIDDEN TESTS",
    )
    src = "a = 1\n# <<ANSWER\nb = 2\n# ANSWER>>\n### BEGIN HIDDEN TESTS\nassert b\n### END HIDDEN TESTS"
    assert d.split(src) == (["a = 1"], ["b = 2"], ["assert b"])
    assert unwrap_solution(src, d).splitlines()[:2] == ["a = 1", "b = 2"]
