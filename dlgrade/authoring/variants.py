"""Build submissions from the reference solution: `reference`, `blank` and variants.

A variant lives in ``graders/<a>/variants/<name>.py`` (see docs/GRADERS.md) and patches
solution cells of the reference. Used by the tests (grader quality) and by the demo.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from dlgrade.notebook import grade_id, is_solution, read_notebook, unwrap_solution


@dataclass
class Variant:
    name: str
    kind: str
    doc: str
    cells: dict[str, str] = field(default_factory=dict)
    replace: list[tuple[str, str, str]] = field(default_factory=list)
    expect_fail: dict[str, str] = field(default_factory=dict)
    extra_cells: list[str] = field(default_factory=list)
    files: dict[str, str | None] = field(default_factory=dict)
    """Changes to the reference's other files: relative path -> new text (None removes)."""


def load_variant(path: Path) -> Variant:
    spec = importlib.util.spec_from_file_location(f"_variant_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return Variant(
        name=path.stem,
        kind=getattr(module, "KIND", "bug"),
        doc=(module.__doc__ or "").strip().splitlines()[0] if module.__doc__ else path.stem,
        cells=dict(getattr(module, "CELLS", {})),
        replace=[tuple(r) for r in getattr(module, "REPLACE", [])],
        expect_fail=dict(getattr(module, "EXPECT_FAIL", {})),
        extra_cells=list(getattr(module, "EXTRA_CELLS", [])),
        files=dict(getattr(module, "FILES", {})),
    )


def list_variants(graders_dir: Path) -> list[Variant]:
    folder = graders_dir / "variants"
    if not folder.is_dir():
        return []
    return [load_variant(p) for p in sorted(folder.glob("*.py")) if not p.name.startswith("_")]


def reference_submission(source_nb: NotebookNode) -> NotebookNode:
    """What a student who wrote exactly the solution would submit."""
    nb = nbformat.from_dict(source_nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        if is_solution(cell):
            cell.source = unwrap_solution(cell.source)
    return nb


def apply_variant(reference: NotebookNode, variant: Variant) -> NotebookNode:
    nb = nbformat.from_dict(reference)
    by_id = {grade_id(c): c for c in nb.cells if is_solution(c)}
    for gid, src in variant.cells.items():
        if gid not in by_id:
            raise KeyError(f"variant {variant.name}: no solution cell {gid!r}")
        by_id[gid].source = src
    for gid, old, new in variant.replace:
        cell = by_id.get(gid)
        if cell is None or old not in cell.source:
            raise KeyError(f"variant {variant.name}: {old!r} not found in cell {gid!r}")
        cell.source = cell.source.replace(old, new)
    for src in variant.extra_cells:
        nb.cells.append(nbformat.v4.new_code_cell(src))
    return nb


def build(
    graders_dir: Path, source_path: Path, release_path: Path | None, name: str
) -> NotebookNode:
    """The submission notebook for `name`: 'reference', 'blank' or a variant's name."""
    if name == "blank":
        if release_path is None or not release_path.exists():
            raise FileNotFoundError("the blank submission needs release/ (run the release step)")
        return read_notebook(release_path)
    ref = reference_submission(read_notebook(source_path))
    if name == "reference":
        return ref
    return apply_variant(ref, load_variant(graders_dir / "variants" / f"{name}.py"))


REFERENCE_FILES = "reference_files"
"""graders/<a>/reference_files/: the other files a reference submission holds (hidden)."""


def submission_files(graders_dir: Path, name: str) -> dict[str, bytes]:
    """The files besides the notebook that the submission `name` holds: none for 'blank',
    graders/<a>/reference_files/ for 'reference', those with a variant's FILES applied."""
    if name == "blank":
        return {}
    base = Path(graders_dir) / REFERENCE_FILES
    files = {
        p.relative_to(base).as_posix(): p.read_bytes()
        for p in sorted(base.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }
    if name != "reference":
        for path, text in load_variant(Path(graders_dir) / "variants" / f"{name}.py").files.items():
            if text is None:
                files.pop(path, None)
            else:
                files[path] = text.encode("utf-8")
    return files


def write_submission(folder: Path, notebook_name: str, nb, files: dict[str, bytes]) -> None:
    """`folder`/<notebook_name> and the other files, as a student's submission folder."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / notebook_name
    if isinstance(nb, bytes):
        target.write_bytes(nb)
    else:
        nbformat.write(nb, target)
    write_files(folder, files)


def write_files(folder: Path, files: dict[str, bytes]) -> None:
    """The submission's other files (relative path -> bytes) below `folder`."""
    for rel, data in files.items():
        path = Path(folder) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def build_for(paths, assignment: str, name: str) -> NotebookNode:
    """`build` with the assignment's paths taken from a CoursePaths."""
    nb_name = paths.notebook(assignment) + ".ipynb"
    return build(
        paths.graders(assignment),
        paths.source(assignment) / nb_name,
        paths.release(assignment) / nb_name,
        name,
    )


if __name__ == "__main__":
    from dlgrade.apps.variant import main

    main()
