"""Task 4: array_task_params(task_id, grid) and array_spec(n_tasks, max_parallel)."""

import itertools

import pytest
from conftest import call, raises_value_error

from dlgrade.grading import expect

pytestmark = pytest.mark.task("test_array")
GRIDS = [
    {"lr": [0.1, 0.01, 0.001], "hidden": [8, 16], "wd": [0.0, 0.1]},
    {"a": [1, 2, 3, 4], "b": ["x", "y", "z"]},
    {"only": [5, 6, 7]},
    {"p": [0], "q": [1, 2], "r": [True, False], "s": ["u", "v", "w"]},
]


def first_key_fastest(task, grid):
    keys = list(grid)[::-1]
    point = list(itertools.product(*(grid[k] for k in keys)))[task]
    return dict(zip(list(grid), point[::-1]))


@pytest.mark.points(2)
@pytest.mark.visible
def test_task_params(sub, ref):
    """Every task id of several grids, as int and as a string from the environment."""
    for grid in GRIDS:
        n = len(list(itertools.product(*grid.values())))
        for task in range(n):
            for tid in (task, str(task)):
                got = call(sub.array_task_params, tid, grid, what="array_task_params")
                want = ref.array_task_params(tid, grid)
                if got != want and got == first_key_fastest(task, grid):
                    expect.fail(
                        "array_task_params: the first key varies fastest; in "
                        "itertools.product order the last key does"
                    )
                expect.true(
                    isinstance(got, dict) and list(got) == list(want),
                    "array_task_params must return a dict with the grid's keys, in its order",
                )
                expect.true(
                    got == want,
                    "array_task_params returns the wrong grid point"
                    + (" for a task id given as a string" if isinstance(tid, str) else ""),
                )


@pytest.mark.points(1)
def test_task_params_out_of_range(sub):
    """Task ids outside 0..N-1 raise ValueError."""
    for tid, grid in [
        (12, GRIDS[0]),
        (-1, GRIDS[0]),
        ("12", GRIDS[1]),
        (3, GRIDS[2]),
        (-13, GRIDS[0]),
    ]:
        raises_value_error(
            sub.array_task_params, tid, grid, what=f"array_task_params({tid!r}, ...)"
        )


@pytest.mark.points(1)
def test_array_spec(sub, ref):
    """'0-11', '0-11%4', '0', and ValueError for n_tasks < 1 or max_parallel < 1."""
    for args in [(12, 4), (12, None), (1, None), (1, 1), (2, None), (5, 10), (100, 1)]:
        got = call(sub.array_spec, *args, what="array_spec")
        expect.true(got == ref.array_spec(*args), f"array_spec{args} is wrong")
    for args in [(0, None), (-3, 2), (4, 0), (4, -1)]:
        raises_value_error(sub.array_spec, *args, what=f"array_spec{args}")
