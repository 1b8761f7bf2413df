"""The hidden grader as a pytest plugin.

Points, visibility and tasks come from markers; results are collected in hooks (as
junitxml does) into :attr:`GradingState.results`. Load it with
``-p dlgrade.grading.plugin`` and pass a :class:`GradingState` in ``plugins=[...]``.
"""

from __future__ import annotations

import os
import sys
import time
import types
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from dlgrade.grading import messages
from dlgrade.grading.files import SubmittedFiles
from dlgrade.grading.proxy import CallContext, Submission, Transport
from dlgrade.grading.results import TestResult, TestStatus, Visibility
from dlgrade.grading.static import SourceCode
from dlgrade.sandbox.session import SandboxError, SandboxTimeout, StudentError
from dlgrade.sandbox.worker import seed_torch

MARKERS = {
    "points(n)": "points this test is worth (default 1)",
    "visible": "students see this test's full message (default: hidden)",
    "task(grade_id)": "the notebook's autograded test cell this test's points belong to",
    "extra_credit": "points count towards the score but not towards max_score",
    "time_limit(seconds)": "wall-clock limit of this test's sandbox requests",
}
STATE = pytest.StashKey["GradingState"]()
HELPERS_FILE = "sandbox_helpers.py"


class OutOfTime(SandboxTimeout):
    """The submission's total time budget ran out before this test started."""


class GradingState:
    """What one grading run needs (the transport, the reference) and what it found."""

    def __init__(
        self,
        transport: Transport,
        reference: Callable[[], dict],
        source_code: str = "",
        default_time_limit: float = 60.0,
        submission_time_limit: float | None = None,
        submitted_files: SubmittedFiles | None = None,
    ):
        self.submission = Submission(transport)
        self.submitted_files = submitted_files or SubmittedFiles()
        self.started = time.monotonic()
        self.submission_time_limit = submission_time_limit
        self.cut_short: set[str] = set()
        self._reference = reference
        self._reference_ns: types.SimpleNamespace | None = None
        self.source = SourceCode(source_code)
        self.default_time_limit = default_time_limit
        self.results: list[TestResult] = []
        self.meta: dict[str, dict] = {}
        self.collection_errors: list[str] = []
        self._words: frozenset[str] | None = None

    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[STATE] = self

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collection_errors.append(f"{report.nodeid}: {report.longreprtext[-2000:]}")

    def time_left(self) -> float | None:
        """Seconds left of the submission's total budget (None: no budget)."""
        if self.submission_time_limit is None:
            return None
        return self.submission_time_limit - (time.monotonic() - self.started)

    def grader_words(self, graders_dir: Path) -> frozenset[str]:
        """The words hidden tests' messages may use (see :mod:`dlgrade.grading.messages`)."""
        if self._words is None:
            self._words = messages.grader_words(graders_dir)
        return self._words

    def reference(self) -> types.SimpleNamespace:
        if self._reference_ns is None:
            self._reference_ns = types.SimpleNamespace(**self._reference())
        return self._reference_ns


def _state(config: pytest.Config) -> GradingState:
    try:
        return config.stash[STATE]
    except KeyError:
        raise pytest.UsageError("dlgrade.grading.plugin needs a GradingState plugin") from None


def pytest_configure(config: pytest.Config) -> None:
    for marker, help_text in MARKERS.items():
        config.addinivalue_line("markers", f"{marker}: {help_text}")


@pytest.fixture(scope="session")
def sub(request: pytest.FixtureRequest) -> Submission:
    """The submission, living in the sandbox (see docs/GRADERS.md)."""
    return _state(request.config).submission


@pytest.fixture(scope="session")
def ref(request: pytest.FixtureRequest) -> types.SimpleNamespace:
    """The trusted reference solution (the source notebook, run in this process)."""
    return _state(request.config).reference()


@pytest.fixture(scope="session")
def trusted_helpers(request: pytest.FixtureRequest) -> types.ModuleType:
    """The graders' sandbox_helpers.py, loaded in this trusted process as well (with an
    empty `student_ns`): its model classes and oracles serve as grader-side twins, e.g.
    to evaluate trained weights fetched from the sandbox."""
    return load_grader_module(request.config.rootpath / HELPERS_FILE)


def load_grader_module(path: Path) -> types.ModuleType:
    """A grader file executed in this trusted process as a module of its own (with an
    empty `student_ns`, for files also meant to run next to the submission)."""
    module = types.ModuleType(f"grader_{path.parent.name}_{path.stem}")
    module.__file__ = str(path)
    module.student_ns = {}
    if path.exists():
        exec(compile(path.read_text(), str(path), "exec"), module.__dict__)
    return module


@pytest.fixture(scope="session")
def source(request: pytest.FixtureRequest) -> SourceCode:
    """The submitted code, parsed but never executed here."""
    return _state(request.config).source


@pytest.fixture(scope="session")
def submitted_files(request: pytest.FixtureRequest) -> SubmittedFiles:
    """The submission's files listed in graders/<a>/SUBMITTED_FILES, as untrusted bytes
    read by intake (see `dlgrade.grading.files`); never executed."""
    return _state(request.config).submitted_files


@pytest.fixture
def seed(request: pytest.FixtureRequest) -> int:
    """A seed derived from the test id: stable across runs and machines."""
    return zlib.crc32(request.node.nodeid.encode()) % 2**31


@pytest.fixture(autouse=True)
def _dlgrade_test_context(request: pytest.FixtureRequest, seed: int):
    import torch

    state = _state(request.config)
    torch.set_num_threads(1)
    seed_torch(torch, seed)
    limit = state.meta.get(request.node.nodeid, {}).get("time_limit", state.default_time_limit)
    left = state.time_left()
    if left is not None:
        if left <= 0:
            raise OutOfTime("the submission's total time budget is used up")
        if left < limit:
            state.cut_short.add(request.node.nodeid)
            limit = left
    state.submission._set_context(CallContext(request.node.nodeid, limit))
    yield


def _marker_arg(item: pytest.Item, name: str, default: Any) -> Any:
    marker = item.get_closest_marker(name)
    if marker is None:
        return default
    return marker.args[0] if marker.args else marker.kwargs.get("value", default)


def _display_name(item: pytest.Item) -> str:
    doc = getattr(getattr(item, "function", None), "__doc__", None)
    first = doc.strip().splitlines()[0].strip() if doc and doc.strip() else item.name
    params = getattr(getattr(item, "callspec", None), "id", None)
    return f"{first} [{params}]" if params else first


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items) -> None:
    state = config.stash.get(STATE, None)
    if state is None:
        return
    for order, item in enumerate(items):
        state.meta[item.nodeid] = {
            "order": order,
            "name": _display_name(item),
            "points": float(_marker_arg(item, "points", 1)),
            "visible": item.get_closest_marker("visible") is not None,
            "task": str(_marker_arg(item, "task", "")),
            "extra_credit": item.get_closest_marker("extra_credit") is not None,
            "time_limit": float(_marker_arg(item, "time_limit", state.default_time_limit)),
        }
    # Visible tests run first: their messages may quote the student's own text, and a
    # submission could otherwise store a hidden test's inputs and echo them in a later
    # visible test's message. Results keep the graders' order (`pytest_sessionfinish`).
    items.sort(key=lambda item: not state.meta[item.nodeid]["visible"])


def explain(
    exc: BaseException, visible: bool, when: str, words: frozenset[str] = messages.BASE_WORDS
) -> tuple[TestStatus, str]:
    """(status, message) for an exception raised by a test: messages safe for students.

    Hidden tests say only what the graders wrote and numbers the trusted side formatted
    (:func:`dlgrade.grading.messages.hidden`); nothing the sandbox sent, not even the
    name of an exception class, since student code chooses it."""
    if isinstance(exc, OutOfTime):
        return TestStatus.TIMEOUT, (
            "not run: your submission used up its total grading time in earlier tests "
            "(they were stopped at their time limits)"
        )
    if isinstance(exc, StudentError):
        if not visible:
            return TestStatus.FAILED, "your code raised an exception"
        where = f" ({messages.visible(exc.where, 200)})" if exc.where else ""
        detail = f": {messages.visible(exc.message)}" if exc.message else ""
        return (
            TestStatus.FAILED,
            f"your code raised {messages.visible(exc.type, 100)}{where}{detail}",
        )
    if isinstance(exc, SandboxError):
        status = TestStatus(exc.status) if exc.status in set(TestStatus) else TestStatus.ERROR
        return status, {
            TestStatus.TIMEOUT: "timed out: your code ran past this test's time limit and was "
            "stopped",
            TestStatus.CRASHED: "the sandbox running your code died during this test "
            "(exit, crash, or memory/process limit)",
        }.get(status, "the sandbox failed during this test")
    if isinstance(exc, AssertionError):
        text = str(exc).strip()
        if not visible:  # drop pytest's introspection: it prints the compared values
            text = "" if text.startswith("assert ") else text.split("\nassert ")[0].strip()
            text = messages.hidden(text, words)
        return TestStatus.FAILED, (messages.visible(text) or "a check failed")
    if when != "call":
        return TestStatus.ERROR, f"the grader could not set up this test ({type(exc).__name__})"
    detail = f": {messages.visible(str(exc), 300)}" if visible else ""
    return TestStatus.FAILED, f"your result could not be checked ({type(exc).__name__}{detail})"


def pytest_sessionfinish(session: pytest.Session) -> None:
    state = session.config.stash.get(STATE, None)
    if state is not None:
        last = len(state.meta)
        state.results.sort(key=lambda r: state.meta.get(r.id, {}).get("order", last))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    state = item.config.stash.get(STATE, None)
    if state is None or not (report.when == "call" or report.failed or report.skipped):
        return
    meta = state.meta.get(item.nodeid) or {
        "name": item.name,
        "points": 1.0,
        "visible": False,
        "task": "",
        "extra_credit": False,
    }
    if report.passed:
        status, message = TestStatus.PASSED, ""
    elif report.skipped:
        status, message = TestStatus.SKIPPED, "skipped"
    else:
        exc = call.excinfo.value if call.excinfo else Exception("unknown failure")
        words = state.grader_words(item.config.rootpath)
        status, message = explain(exc, meta["visible"], report.when, words)
        if status == TestStatus.TIMEOUT and item.nodeid in state.cut_short:
            message = (
                "timed out: your submission's total grading time ran out during this test "
                "(earlier tests used most of it)"
            )
    if any(r.id == item.nodeid for r in state.results):
        return  # teardown after a failed call: the call's verdict stands
    points = meta["points"]
    state.results.append(
        TestResult(
            name=meta["name"],
            id=item.nodeid,
            task=meta["task"],
            score=points if status == TestStatus.PASSED else 0.0,
            max_score=points,
            extra_credit=meta["extra_credit"],
            status=status,
            output=message,
            visibility=Visibility.VISIBLE if meta["visible"] else Visibility.HIDDEN,
            duration=round(report.duration, 4),
        )
    )


@contextmanager
def fresh_grader_modules(graders_dir: str | Path) -> Iterator[None]:
    """Drop the modules a pytest run imported from `graders_dir` when it ends.

    pytest's importlib mode names a grader file by its path below the graders folder
    (`test_train`, `conftest`) and reuses a module of that name already imported, so one
    process that collects or grades two assignments would otherwise run the first one's
    `test_train.py` for the second."""
    root = os.path.realpath(graders_dir) + os.sep
    names = {
        ".".join(p.relative_to(graders_dir).with_suffix("").parts)
        for p in Path(graders_dir).rglob("*.py")
    }
    # a module of the same name from elsewhere (another test file) steps aside meanwhile
    aside = {n: sys.modules.pop(n) for n in names if n in sys.modules}
    before = set(sys.modules)
    try:
        yield
    finally:
        for name in set(sys.modules) - before:
            path = getattr(sys.modules.get(name), "__file__", None) or ""
            if os.path.realpath(path).startswith(root):
                sys.modules.pop(name, None)
        sys.modules.update(aside)


def run(graders_dir: str, state: GradingState, extra_args: list[str] = ()) -> int:
    """Run the graders in `graders_dir` against `state`; returns pytest's exit code."""
    started = time.monotonic()
    plugins = [
        "dlgrade.grading.plugin",
        "no:cacheprovider",
        "no:randomly",
        "no:xdist",
        "no:terminal",
        "no:warnings",
        "no:logging",
        "no:unraisableexception",
        "no:threadexception",
    ]
    args = [str(graders_dir), *(a for p in plugins for a in ("-p", p)), "--assert=plain",
            "--import-mode=importlib", "--rootdir", str(graders_dir), "-c", "/dev/null",
            *extra_args]  # fmt: skip
    with fresh_grader_modules(graders_dir):
        code = pytest.main(args, plugins=[state])
    state.elapsed = time.monotonic() - started
    return int(code)
