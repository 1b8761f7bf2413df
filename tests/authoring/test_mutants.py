"""Mutant generation: operators, solution regions only, a reproducible sample."""

from __future__ import annotations

import nbformat
import pytest
from cosmic_ray.mutating import mutate_code

from dlgrade.authoring.mutants import (
    OWN_OPERATORS,
    all_operators,
    cell_mutants,
    operator_for,
    sample_mutants,
    solution_lines,
)
from dlgrade.notebook import read_notebook
from tests.conftest import REPO

CELL = """import torch
def scores(q, k):
    ### BEGIN SOLUTION
    d = q.shape[-1]
    w = (q @ k.transpose(-2, -1)) / d ** 0.5
    return torch.softmax(w, dim=-1).mean(0)
    ### END SOLUTION
LIMIT = 3 + 4
"""


def _solution_nb(*sources: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    for i, src in enumerate(sources):
        meta = {
            "nbgrader": {"solution": True, "grade": False, "grade_id": f"c{i}", "locked": False}
        }
        nb.cells.append(nbformat.v4.new_code_cell(src, metadata=meta))
    return nb


@pytest.mark.parametrize("name", sorted(OWN_OPERATORS))
def test_own_operators_do_what_their_examples_say(name):
    """Does each operator written here turn its example into the documented mutant?"""
    for example in type(operator_for(name)).examples():
        got = mutate_code(example.pre_mutation_code, operator_for(name), example.occurrence)
        assert got is not None, name
        assert " ".join(got.split()) == " ".join(example.post_mutation_code.split()), (name, got)


@pytest.mark.parametrize(
    "code", ["y = x.transpose(1, 2)\n", "y = min(k, n)\n", "y = torch.maximum(a, b)\n"]
)
def test_arguments_of_symmetric_calls_are_not_swapped(code):
    """Swapping the arguments of a symmetric call changes nothing, so it is no mutant."""
    assert mutate_code(code, operator_for("dl/SwapArguments"), 0) is None
    assert mutate_code("y = f(a, b)\n", operator_for("dl/SwapArguments"), 0) == "y = f(b, a)\n"


def test_only_solution_lines_are_mutated():
    """Are lines outside BEGIN/END SOLUTION (imports, constants) never touched?"""
    code, allowed = solution_lines(CELL)
    assert "BEGIN SOLUTION" not in code and allowed == {3, 4, 5}
    mutants = list(cell_mutants("c", CELL, all_operators()))
    assert mutants
    for m in mutants:
        pairs = zip(code.splitlines(), m.source.splitlines())
        changed = [i + 1 for i, (a, b) in enumerate(pairs) if a != b]
        assert len(m.source.splitlines()) == len(code.splitlines())
        assert set(changed) <= allowed and changed, (m.operator, m.diff())
    kinds = {m.operator for m in mutants}
    for expected in ("dl/RemoveMethod", "dl/SwapReduction", "dl/MatmulToMul"):
        assert expected in kinds
    assert "core/NumberReplacer" in kinds


def test_mutants_compile_and_are_distinct():
    """Does every mutant compile, differ from the reference and from every other mutant?"""
    mutants = list(cell_mutants("c", CELL, all_operators()))
    sources = [m.source for m in mutants]
    assert len(set(sources)) == len(sources)
    code, _ = solution_lines(CELL)
    for src in sources:
        assert src != code
        compile(src, "<m>", "exec")


def test_the_sample_is_reproducible_and_spread_over_cells():
    """Same seed, same mutants (stable ids); a different seed draws others; every cell gets some."""
    nb = _solution_nb(CELL, CELL.replace("scores", "other").replace("0.5", "0.25"))
    a, b = sample_mutants(nb, 10, seed=1), sample_mutants(nb, 10, seed=1)
    assert [m.id for m in a] == [m.id for m in b] and len(a) == 10
    assert {m.cell for m in a} == {"c0", "c1"}
    assert [m.id for m in sample_mutants(nb, 10, seed=2)] != [m.id for m in a]


def test_real_assignments_have_enough_mutants():
    """Does every real assignment yield a full sample of 60 mutants?"""
    for assignment in ("attention", "diffusion", "energy", "represent"):
        nb = read_notebook(REPO / "source" / assignment / f"{assignment}.ipynb")
        assert len(sample_mutants(nb, 60, seed=0)) == 60, assignment
