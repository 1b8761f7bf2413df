"""The hidden-grader pytest plugin, exercised with pytester."""

from __future__ import annotations

import pytest
import torch

from dlgrade.grading.plugin import GradingState
from dlgrade.grading.proxy import InProcessTransport

SUBMISSION = """
import torch
def double(x):
    return 2 * x
def boom(x):
    raise ValueError("secret input was " + str(x.tolist()))
class Box:
    def __init__(self, v):
        self.v = v
    def get(self):
        return self.v
"""


def _state(code: str = SUBMISSION, helpers: str = "") -> GradingState:
    ns: dict = {}
    exec(code, ns)
    return GradingState(
        InProcessTransport(ns, helpers),
        reference=lambda: {"double": lambda x: 2 * x},
        source_code=code,
    )


def _run(pytester: pytest.Pytester, test_code: str, state: GradingState) -> GradingState:
    pytester.makepyfile(test_grader=test_code)
    pytester.runpytest_inprocess("-p", "dlgrade.grading.plugin", "--assert=plain", plugins=[state])
    return state


def test_points_visibility_and_task_come_from_markers(pytester):
    """Do markers set points, visibility, task and extra credit of each result?"""
    state = _run(
        pytester,
        """
import pytest
@pytest.mark.points(3)
@pytest.mark.visible
@pytest.mark.task("test_double")
def test_a(sub):
    '''Doubling works.'''
    assert sub.double(2) == 4
@pytest.mark.extra_credit
@pytest.mark.points(2)
def test_b(sub):
    assert sub.double(2) == 5, "off by one"
""",
        _state(),
    )
    a, b = state.results
    assert (a.name, a.score, a.max_score, a.visibility, a.task, a.status) == (
        "Doubling works.",
        3.0,
        3.0,
        "visible",
        "test_double",
        "passed",
    )
    assert (b.score, b.max_score, b.extra_credit, b.visibility, b.output) == (
        0.0,
        2.0,
        True,
        "hidden",
        "off by one",
    )


def test_hidden_test_hides_the_student_exception_text(pytester):
    """Does a hidden test report the exception type and place, but not its message?"""
    state = _run(
        pytester,
        """
import pytest, torch
def test_hidden(sub):
    sub.boom(torch.tensor([123.0]))
@pytest.mark.visible
def test_visible(sub):
    sub.boom(torch.tensor([7.0]))
""",
        _state(),
    )
    hidden, visible = state.results
    assert hidden.status == "failed" and "ValueError" in hidden.output
    assert "123" not in hidden.output and "secret" not in hidden.output
    assert "secret input was [7.0]" in visible.output


def test_handles_and_refs_stay_remote(pytester):
    """Can a grader construct objects, call methods and read attributes through handles?"""
    state = _run(
        pytester,
        """
import torch
def test_box(sub):
    box = sub.Box(torch.ones(2))
    assert torch.equal(box.get(), torch.ones(2))
    assert torch.equal(sub.get(box.v), torch.ones(2))
    sub.set(box.v, torch.zeros(2))
    assert torch.equal(box.get(), torch.zeros(2))
    assert sub.has("Box") and not sub.has("Nope")
""",
        _state(),
    )
    assert state.results[0].status == "passed", state.results[0].output


def test_missing_function_is_named(pytester):
    """Does calling an undefined name fail with a message naming it?"""
    state = _run(
        pytester,
        """
import pytest
@pytest.mark.visible
def test_missing(sub):
    sub.not_there(1)
""",
        _state(),
    )
    assert state.results[0].status == "failed"
    assert "not_there" in state.results[0].output and "NameError" in state.results[0].output


def test_trusted_side_errors_are_failures_not_grader_errors(pytester):
    """Does a wrongly shaped result fail the test rather than crash the grader?"""
    state = _run(
        pytester,
        """
def test_unpack(sub):
    out, attn = sub.double(3)
""",
        _state(),
    )
    assert state.results[0].status == "failed"
    assert "could not be checked" in state.results[0].output


def test_sandbox_helpers_run_next_to_the_submission(pytester):
    """Do sub.helpers functions see the student's namespace and return data?"""
    helpers = "def twice_double(x):\n    return student_ns['double'](student_ns['double'](x))\n"
    state = _run(
        pytester,
        """
import torch
def test_helper(sub):
    assert torch.equal(sub.helpers.twice_double(torch.ones(1)), torch.full((1,), 4.0))
""",
        _state(helpers=helpers),
    )
    assert state.results[0].status == "passed", state.results[0].output


def test_seed_is_stable_per_test(pytester):
    """Is the seed fixture the same across runs and different across tests?"""
    code = """
SEEN = []
def test_one(seed):
    SEEN.append(seed)
    assert seed == {seed_one}
def test_two(seed):
    assert seed != {seed_one}
"""
    import zlib

    seed_one = zlib.crc32(b"test_grader.py::test_one") % 2**31
    state = _run(pytester, code.format(seed_one=seed_one), _state())
    assert [r.status for r in state.results] == ["passed", "passed"]


def test_values_cross_as_copies():
    """Does the in-process transport copy tensors, like the sandbox boundary does?"""
    ns: dict = {}
    exec("def mutate(x):\n    x.add_(1)\n    return x\n", ns)
    state = GradingState(InProcessTransport(ns), reference=dict)
    x = torch.zeros(2)
    out = state.submission.mutate(x)
    assert torch.equal(x, torch.zeros(2)) and torch.equal(out, torch.ones(2))
