"""A simulated class for the demo: honest students, typical bugs and a few cheats."""

from __future__ import annotations

import nbformat

from dlgrade.authoring.variants import (
    build_for,
    list_variants,
    submission_files,
    write_submission,
)
from dlgrade.paths import CoursePaths

TIMESTAMP = "2026-11-20 10:00:00.000000 UTC"
LATE_TIMESTAMP = "2026-12-24 23:59:00.000000 UTC"

# Cheats appended to the blank notebook; each must end up with 0 points.
CHEATS = {
    "cheat_patch_torch": "import torch, numpy\ntorch.allclose = lambda *a, **k: True\n"
    "numpy.allclose = lambda *a, **k: True\nprint('All tests passed! 100/100')",
    "cheat_exit": "import os\nos._exit(0)",
    "cheat_read_graders": "import glob\nfor pattern in ['/*/graders/*/*.py', '/*/*/graders/*/*.py',"
    " '../*/graders/*/*.py', '/*/*/source/*/*.ipynb']:\n    for p in glob.glob(pattern)[:3]:\n"
    "        print(open(p).read()[:200])",
    "cheat_infinite_loop": "while True:\n    try:\n        pass\n    except KeyboardInterrupt:\n"
    "        pass",
}


def _write(
    paths: CoursePaths,
    student: str,
    assignment: str,
    nb,
    timestamp: str = TIMESTAMP,
    files: dict[str, bytes] | None = None,
) -> None:
    folder = paths.submitted(student, assignment)
    write_submission(folder, f"{paths.notebook(assignment)}.ipynb", nb, files or {})
    (folder / "timestamp.txt").write_text(timestamp)


def _with_extra_cell(nb, code: str):
    """The notebook with one more code cell at the end (where a cheat would hide)."""
    nb = nbformat.from_dict(nb)
    nb.cells.append(nbformat.v4.new_code_cell(code))
    return nb


def simulate_class(
    paths: CoursePaths, assignment: str, bug_variants: int, cheats: bool = True
) -> list[str]:
    """Write submitted/<student>/<assignment>/ for a whole simulated class (with the
    cheats and a corrupt file when `cheats`)."""
    students = []

    graders = paths.graders(assignment)

    def add(student: str, nb, timestamp: str = TIMESTAMP, files: str = "") -> None:
        """`files`: whose other files the submission holds (a variant's name; '' none)."""
        _write(
            paths, student, assignment, nb, timestamp, files and submission_files(graders, files)
        )
        students.append(student)

    add("ada_reference", build_for(paths, assignment, "reference"), files="reference")
    add("ben_blank", build_for(paths, assignment, "blank"))
    add(
        "lea_late_reference",
        build_for(paths, assignment, "reference"),
        LATE_TIMESTAMP,
        files="reference",
    )
    variants = list_variants(graders)
    for v in [v for v in variants if v.kind == "correct"]:
        add(f"alt_{v.name}", build_for(paths, assignment, v.name), files=v.name)
    for v in [v for v in variants if v.kind == "bug"][:bug_variants]:
        add(
            v.name if v.name.startswith("bug_") else f"bug_{v.name}",
            build_for(paths, assignment, v.name),
            files=v.name,
        )
    if cheats:
        blank = build_for(paths, assignment, "blank")
        for name, code in CHEATS.items():
            add(name, _with_extra_cell(blank, code))
        add("zed_corrupt_file", b'{"cells": [ this is not json')
    return students
