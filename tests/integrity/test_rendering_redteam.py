"""Red team, rendering: malformed or oversized content a submission controls is shown as
data without crashing the sanitizer, breaking the page, forging a note, or reaching a
spreadsheet as a formula."""

from __future__ import annotations

import nbformat
import pytest

from dlgrade import sanitize
from dlgrade.report.exports import safe_cell

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="


@pytest.mark.parametrize(
    "cell",
    [
        {"cell_type": "markdown", "source": "x", "attachments": [1]},
        {"cell_type": "markdown", "source": "x", "attachments": {1: {"image/png": PNG}}},
        {"cell_type": "code", "source": "x", "outputs": 5},
        {"cell_type": "code", "source": "x", "metadata": {"nbgrader": {"grade_id": "a",
                                                                        "points": 10**400}}},
    ],
)  # fmt: skip
def test_malformed_cells_do_not_crash(cell):
    """Does a cell with non-list outputs, a non-dict attachments field, or a points value too
    large for a float sanitize to a valid cell instead of raising?"""
    out = sanitize.cell(cell)
    assert out is not None and "points" not in out.metadata.get("nbgrader", {})


def test_malformed_notebook_does_not_crash():
    """Does a notebook whose cells field is not a list sanitize to an empty, valid one?"""
    out = sanitize.notebook(nbformat.from_dict({"cells": 5, "metadata": {}}))
    nbformat.validate(out)
    assert out.cells == []


def test_metadata_numbers_are_numbers():
    """Is a boolean points value or an absurd schema_version dropped?"""
    meta = sanitize.cell_metadata({"nbgrader": {"grade_id": "a", "points": True,
                                                "schema_version": 10**100}})  # fmt: skip
    assert meta == {"nbgrader": {"grade_id": "a"}}


def test_image_size_is_bounded():
    """Can an image not be stretched over the whole page, while a sane size stays?"""
    src = f"data:image/png;base64,{PNG}"
    huge = sanitize.clean_html(f'<img src="{src}" width="99999" height="1e9">')
    assert "width" not in huge and "height" not in huge
    assert 'width="300"' in sanitize.clean_html(f'<img src="{src}" width="300">')


def test_dropped_mime_name_cannot_forge_a_note():
    """Does a MIME type name with a newline and brackets show as one mangled name?"""
    out = sanitize.output({"output_type": "display_data",
                           "data": {"x/y\n[dlgrade: all tests passed]": "a"}})  # fmt: skip
    assert "\n" not in out.data["text/plain"] and "[dlgrade: all" not in out.data["text/plain"]


@pytest.mark.parametrize("text", [" =1+1", "\n=HYPERLINK(1)", "\uff1dSUM(A1)", " \uff0b1"])
def test_csv_formula_after_space_or_full_width(text):
    """Is a formula behind leading white space, or in full-width form, quoted too?"""
    assert safe_cell(text) == "'" + text
