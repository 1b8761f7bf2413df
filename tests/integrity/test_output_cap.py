"""Finding 8 of issue 12: a small submission must not produce a huge executed notebook or
feedback page. Each cell stays under the per-cell caps; the total per submission is capped
(Autograder.max_output_total_kb), the cut is noted, and the grade is untouched."""

from __future__ import annotations

import json

import nbformat
import pytest

from dlgrade.feedback import write_feedback

pytestmark = pytest.mark.slow

CAP_KB = 512
CELLS = 100
LINE = 18_990  # under the 20 000 characters one stream output may keep


def test_outputs_are_cut_at_the_total_and_the_grade_stands(course):
    """100 cells printing ~19 KB each (1.9 MB in all, from a notebook of a few KB): the
    executed notebook in autograded/ keeps at most the cap of outputs, says where it cut
    them, the feedback page stays small too, and the full score still stands."""
    nb = course.notebook("reference")
    for i in range(CELLS):
        nb.cells.append(nbformat.v4.new_code_cell(f"print('cell-{i} ' + 'x' * {LINE})"))
    submitted = course.submit("chatty", nb)
    course.submit("honest", course.notebook("reference"))
    results = course.grade(workers=2, Autograder__max_output_total_kb=CAP_KB)

    chatty, honest = results["chatty"], results["honest"]
    assert chatty["status"] == "graded", chatty["status_detail"]
    assert chatty["score"] == honest["score"] == chatty["max_score"] == 5.0
    assert "outputs cut" in chatty["status_detail"], chatty["status_detail"]
    assert "outputs cut" not in honest["status_detail"]

    executed_path = course.paths.autograded("chatty", "hello") / "hello.ipynb"
    executed = nbformat.read(executed_path, as_version=4)
    outputs = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs]
    kept = sum(len(json.dumps(o)) for o in outputs)
    notes = [o for o in outputs if "[dlgrade] outputs cut" in o.get("text", "")]
    assert kept <= CAP_KB * 1024 + 1024, kept
    assert len(notes) == 1
    printed = sum("cell-" in o.get("text", "") for o in outputs)
    assert 20 <= printed < CELLS, printed  # outputs up to the cap are kept, in order
    size = executed_path.stat().st_size
    assert size <= CAP_KB * 1024 + submitted.stat().st_size + 64 * 1024, size

    feedback = write_feedback(course.paths, "hello", "chatty")
    page = feedback.read_text()
    assert "outputs cut" in page
    assert len(page.encode()) <= 2 * CAP_KB * 1024 + 512 * 1024, len(page)
