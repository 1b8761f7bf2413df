"""The hidden-grader pytest plugin, exercised with pytester."""

from __future__ import annotations

import sys
import types

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
    """Does a hidden test say only that an exception was raised (its class name, place and
    message are the student's to choose), while a visible test shows them?"""
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
    assert (hidden.status, hidden.output) == ("failed", "your code raised an exception")
    assert "secret input was [7.0]" in visible.output and "ValueError" in visible.output
    assert "\ufdd0" not in visible.output


LEAKY = """
import torch
def enc(x):
    return "LEAK" + "_".join(str(int(v)) for v in x.flatten().tolist())
class Named:
    pass
def obj(x):
    return type(enc(x), (), {"__repr__": lambda s: enc(x), "__str__": lambda s: enc(x)})()
def text(x):
    return enc(x)
def keys(x):
    return {enc(x): x}
def raise_named(x):
    raise type(enc(x), (Exception,), {"__module__": "torch.leak"})(enc(x))
def raise_builtin(x):
    raise type("AssertionError", (Exception,), {"__module__": "builtins"})(enc(x))
"""


def test_hidden_messages_hold_no_sandbox_text(pytester):
    """Is every string from the sandbox (a returned str, dict keys, a handle's class name,
    an exception's class name and message) kept out of hidden messages, however a grader
    formats it, while grader words and trusted numbers stay?"""
    state = _run(
        pytester,
        """
import torch
from dlgrade.grading import expect
from dlgrade.sandbox.session import StudentError
X = torch.tensor([4242.0, 9191.0])
def test_describe_handle(sub):
    expect.close(sub.obj(X), X, "obj is wrong")
def test_fstring(sub):
    expect.fail(f"text returned {sub.text(X)} and {sub.text(X)!r}")
def test_keys(sub):
    expect.fail(f"found parameters {sorted(sub.keys(X))}")
def test_exc_type(sub):
    try:
        sub.raise_named(X)
    except StudentError as exc:
        expect.fail(f"q_sample raised {exc.type} ({exc})")
def test_unmarked(sub):
    expect.fail("found " + "".join(sub.text(X)[i] for i in range(12)) + " here")
def test_numbers_stay(sub):
    expect.close(X + 0.25, X, "softmax is wrong")
def test_raise_named(sub):
    sub.raise_named(X)
def test_raise_builtin(sub):
    sub.raise_builtin(X)
""",
        _state(LEAKY),
    )
    out = {r.id.split("::")[1]: r.output for r in state.results}
    for name, text in out.items():
        assert "LEAK" not in text and "4242" not in text and "9191" not in text, (name, text)
        assert "\ufdd0" not in text and "AssertionError" not in text, (name, text)
    assert out["test_describe_handle"] == "obj is wrong: got an object (…), expected a tensor"
    assert out["test_fstring"] == "text returned … and …"
    assert out["test_numbers_stay"] == "softmax is wrong (largest absolute error 0.25)"
    assert out["test_unmarked"] == "found … here"
    assert out["test_raise_named"] == out["test_raise_builtin"] == "your code raised an exception"


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


def test_visible_tests_run_before_hidden_ones_and_results_keep_grader_order(pytester):
    """Do visible tests run first (a hidden test's inputs cannot be echoed in a later visible
    message) while results.json keeps the graders' order?"""
    state = _state()
    pytester.makepyfile(
        test_grader="""
import pytest
RAN = []
def test_hidden_first(sub):
    RAN.append("hidden")
@pytest.mark.visible
def test_visible_second(sub):
    RAN.append("visible")
    assert RAN == ["visible"], "a hidden test ran before me"
"""
    )
    from dlgrade.grading.plugin import run

    run(str(pytester.path), state)
    assert [r.id.split("::")[1] for r in state.results] == [
        "test_hidden_first",
        "test_visible_second",
    ]
    assert all(r.status == "passed" for r in state.results), [r.output for r in state.results]


def test_two_assignments_in_one_process_keep_their_own_graders(tmp_path):
    """Do same-named grader files of two assignments (test_train.py, conftest.py) each
    count for their own assignment when one process collects both, in either order?"""
    from dlgrade.checks import grader_points

    for name, points in (("a1", 3), ("a2", 5)):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "conftest.py").write_text(f"POINTS = {points}\n")
        (folder / "test_train.py").write_text(
            "import pytest\n\n\n"
            f"@pytest.mark.task('train')\n@pytest.mark.points({points})\n"
            "def test_train():\n    pass\n"
        )
    sys.modules["test_train"] = types.ModuleType("test_train")  # another test file's
    try:
        for order in (("a1", "a2"), ("a2", "a1")):
            got = {name: grader_points(tmp_path / name)[0] for name in order}
            assert got == {"a1": {"train": 3.0}, "a2": {"train": 5.0}}
        assert getattr(sys.modules["test_train"], "__file__", None) is None  # put back
    finally:
        sys.modules.pop("test_train", None)
