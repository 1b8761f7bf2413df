"""What the e2e test needs to know about the course: which assignment, what two students
type, and the fingerprints of hidden content that must never reach a student's page."""

from __future__ import annotations

import ast
import html
import os
import re
from dataclasses import dataclass
from pathlib import Path

from nbformat import NotebookNode

from dlgrade.authoring.variants import build, list_variants
from dlgrade.notebook import grade_id, is_experiment, is_grade, is_solution, read_notebook

MIN_FRAGMENT = 12  # shorter code fragments ("return x") are too common to prove a leak


@dataclass(frozen=True)
class Assignment:
    name: str
    course: Path  # a course root holding source/, release/ (optional) and graders/
    bug: str  # name of the bug variant the second student submits

    @property
    def source_nb(self) -> Path:
        return self.course / "source" / self.name / f"{self.name}.ipynb"

    @property
    def graders(self) -> Path:
        return self.course / "graders" / self.name


def candidates(course: Path) -> list[Assignment]:
    """Assignments with a notebook, hidden graders and at least one bug variant."""
    found = []
    source = course / "source"
    for folder in sorted(source.iterdir()) if source.is_dir() else []:
        graders = course / "graders" / folder.name
        bugs = [v.name for v in list_variants(graders) if v.kind == "bug" and not v.extra_cells]
        if (folder / f"{folder.name}.ipynb").exists() and list(graders.glob("test_*.py")) and bugs:
            found.append(Assignment(folder.name, course, bugs[0]))
    return found


def size(assignment: Assignment) -> tuple[int, int, int]:
    """How much a student runs and types: written answers (a TA grades them, the browser
    types only code), code cells outside experiments, then characters of the solution cells."""
    nb = read_notebook(assignment.source_nb)
    runnable = [c for c in nb.cells if c.cell_type == "code" and not is_experiment(c)]
    written = [c for c in nb.cells if c.cell_type == "markdown" and is_solution(c)]
    return len(written), len(runnable), sum(len(c.source) for c in nb.cells if is_solution(c))


def pick_assignment(course: Path) -> Assignment:
    """$DLGRADE_E2E_ASSIGNMENT (and $DLGRADE_E2E_BUG), else the smallest usable assignment."""
    found = candidates(course)
    wanted = os.environ.get("DLGRADE_E2E_ASSIGNMENT")
    if wanted:
        found = [a for a in found if a.name == wanted]
    if not found:
        raise LookupError(
            f"no assignment in {course} has source/<a>/<a>.ipynb, graders/<a>/test_*.py and a "
            "bug variant in graders/<a>/variants/" + (f" (wanted {wanted!r})" if wanted else "")
        )
    chosen = min(found, key=size)
    bug = os.environ.get("DLGRADE_E2E_BUG")
    return Assignment(chosen.name, chosen.course, bug) if bug else chosen


def answers(assignment: Assignment, variant: str) -> dict[str, str]:
    """grade_id → text of each code solution cell in the `variant` submission (what the
    browser types; written answers are left to a TA)."""
    nb = build(assignment.graders, assignment.source_nb, None, variant)
    return {grade_id(c): c.source for c in nb.cells if is_solution(c) and c.cell_type == "code"}


def cell_indices(release_nb: NotebookNode) -> tuple[dict[str, int], list[int], list[int]]:
    """Positions in the student's notebook: solution cells by grade_id, the code cells a
    student runs (everything but `experiment` cells), and the visible test cells."""
    solutions, runnable, tests = {}, [], []
    for index, cell in enumerate(release_nb.cells):
        if cell.cell_type != "code":
            continue
        if is_solution(cell):
            solutions[grade_id(cell)] = index
        if not is_experiment(cell):
            runnable.append(index)
        if is_grade(cell) and not is_solution(cell):
            tests.append(index)
    return solutions, runnable, tests


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def grader_files(assignment: Assignment) -> list[Path]:
    """The hidden graders' Python files (variants are sample submissions, not graders)."""
    return sorted(
        p
        for p in assignment.graders.rglob("*.py")
        if "variants" not in p.relative_to(assignment.graders).parts
    )


def significant(line: str) -> bool:
    s = line.strip()
    return len(s) >= MIN_FRAGMENT and not s.startswith(
        ("#", "import ", "from ", '"', "'", '"""', "@pytest.mark")
    )


def hidden_fragments(assignment: Assignment, shown: list[str]) -> set[str]:
    """Code that only the graders know: significant lines of the grader files and every
    statement of every test function. Docstrings and messages (written for students), and
    code the student was shown or typed (`shown`), are not secrets."""
    fragments: set[str] = set()
    for py in grader_files(assignment):
        source = py.read_text(encoding="utf-8")
        fragments |= {squash(line) for line in source.splitlines() if significant(line)}
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
                for stmt in node.body:
                    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                        continue
                    fragments.add(squash(ast.get_source_segment(source, stmt) or ""))
    messages = {squash(m) for m in string_literals(grader_files(assignment))}
    public = [squash(c.source) for c in read_notebook(assignment.source_nb).cells]
    public += [squash(text) for text in shown]
    return {
        f
        for f in fragments
        if len(f) >= MIN_FRAGMENT and f not in messages and not any(f in p for p in public)
    }


def string_literals(files: list[Path]) -> set[str]:
    """Every string constant in the graders: test names and messages written for students."""
    out = set()
    for py in files:
        for node in ast.walk(ast.parse(py.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                out.add(node.value)
    return out


def leaks(page_text: str, page_html: str, fragments: set[str]) -> list[str]:
    """Hidden fragments found in the page's text or its HTML source."""
    haystacks = [squash(page_text), squash(html.unescape(re.sub(r"<[^>]+>", " ", page_html)))]
    haystacks.append(squash(html.unescape(page_html)))
    found = sorted(f for f in fragments if any(f in h for h in haystacks))
    if re.search(r"graders/[\w.-]+/", page_html):
        found.append("a path into graders/")
    return found
