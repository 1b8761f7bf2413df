"""Release: nbgrader's generate_assignment, then a check that nothing hidden survived."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from dlgrade.notebook import Delimiters, is_solution, read_notebook, without_magics
from dlgrade.paths import CoursePaths

MIN_LINE = 12  # shorter lines ("return x", "pass") are too common to mean a leak


@dataclass
class Leak:
    file: str
    what: str
    line: str

    def __str__(self) -> str:
        return f"{self.file}: {self.what}: {self.line.strip()[:120]!r}"


def _significant_lines(lines: list[str]) -> set[str]:
    out = set()
    for ln in lines:
        s = ln.strip()
        if len(s) >= MIN_LINE and not s.startswith("#") and s not in ('"""', "'''"):
            out.add(s)
    return out


def secret_lines(paths: CoursePaths, assignment: str) -> dict[str, set[str]]:
    """Lines that must never appear in the student version, by where they come from."""
    delimiters = Delimiters.from_config(paths.config)
    secrets: dict[str, set[str]] = {
        "solution code": set(),
        "hidden test": set(),
        "grader source": set(),
    }
    source_visible = set()
    for nb_path in sorted(paths.source(assignment).glob("*.ipynb")):
        for cell in read_notebook(nb_path).cells:
            outside, solution, hidden = delimiters.split(cell.source)
            if is_solution(cell):
                secrets["solution code"] |= _significant_lines(solution)
            secrets["hidden test"] |= _significant_lines(hidden)
            source_visible |= _significant_lines(outside)
    graders = paths.graders(assignment)
    for py in sorted(graders.rglob("*.py")) if graders.is_dir() else []:
        secrets["grader source"] |= {
            s
            for s in _significant_lines(py.read_text().splitlines())
            if not s.startswith(("import ", "from "))
        }
    # Lines the instructor shows students on purpose (outside solution/hidden blocks) are not secrets.
    for key in secrets:
        secrets[key] -= source_visible
    return secrets


def verify_release(paths: CoursePaths, assignment: str) -> list[Leak]:
    """Every trace of solutions, hidden tests or grader code found in release/<a>/."""
    release = paths.release(assignment)
    if not release.is_dir():
        return [Leak(str(release), "missing", "the release folder does not exist")]
    secrets = secret_lines(paths, assignment)
    delimiters = Delimiters.from_config(paths.config)
    leaks: list[Leak] = []
    grader_names = (
        {p.name for p in paths.graders(assignment).rglob("*.py")}
        if paths.graders(assignment).is_dir()
        else set()
    )
    for path in sorted(p for p in release.rglob("*") if p.is_file()):
        rel = str(path.relative_to(paths.root))
        if path.name in grader_names and path.suffix == ".py":
            leaks.append(Leak(rel, "grader file", path.name))
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if path.suffix == ".ipynb":
            text = "\n".join(c.source for c in read_notebook(path).cells)
        leaks += [
            Leak(rel, "nbgrader marker", marker)
            for marker in delimiters.all()
            for _ in range(text.count(marker))
        ]
        lines = {ln.strip() for ln in text.splitlines()}
        for what, secret in secrets.items():
            for line in sorted(secret & lines):
                leaks.append(Leak(rel, what, line))
    return leaks


def undefinable_classes(paths: CoursePaths, assignment: str) -> list[str]:
    """Classes of the student version whose definition itself raises: a solution region
    directly in a class body becomes ``raise NotImplementedError()`` there, so the class,
    and every later cell naming it, fails before the student has written anything."""
    found = []
    for path in sorted(paths.release(assignment).glob("*.ipynb")):
        for i, cell in enumerate(read_notebook(path).cells):
            if cell.cell_type != "code":
                continue
            try:
                tree = ast.parse(without_magics(cell.source))
            except SyntaxError:
                continue
            found += [
                f"{path.name}, cell {i}: class {node.name}"
                for node in ast.walk(tree)
                if isinstance(node, ast.ClassDef)
                and any(isinstance(stmt, ast.Raise) for stmt in node.body)
            ]
    return found


def generate(api, assignment: str) -> None:
    """nbgrader's own generate_assignment (it also registers the assignment in the gradebook)."""
    result = api.generate_assignment(assignment, force=True, create=True)
    if not result.get("success"):
        raise RuntimeError(
            f"nbgrader generate_assignment failed:\n{result.get('log', '')}\n"
            f"{result.get('error', '')}"
        )


def release_assignment(api, paths: CoursePaths, assignment: str) -> Path:
    generate(api, assignment)
    leaks = verify_release(paths, assignment)
    if leaks:
        raise RuntimeError("hidden content survived into release/:\n" + "\n".join(map(str, leaks)))
    broken = undefinable_classes(paths, assignment)
    if broken:
        raise RuntimeError(
            "a solution region sits directly in a class body, so the student version cannot "
            "define the class (put it inside a method):\n" + "\n".join(broken)
        )
    return paths.release(assignment)
