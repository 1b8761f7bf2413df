"""Grade one submission notebook: the steps, in order.

1. read     – parse and validate the notebook (else status ``invalid``)
2. restore  – put the released locked cells back (edited/deleted tests don't matter)
3. sandbox  – execute the code cells in a sandbox (experiments skipped)
4. test     – run the hidden pytest graders against it (trusted process)
5. assemble – scores, statuses and the executed notebook
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import logging
import os
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import nbformat

from dlgrade import sanitize
from dlgrade.grading import plugin
from dlgrade.grading.files import SubmittedFiles
from dlgrade.grading.proxy import InProcessTransport
from dlgrade.grading.results import (
    CELL_FLAGS,
    TEST_FLAGS,
    CellError,
    Flag,
    GraderInfo,
    NotebookRun,
    Result,
    Status,
    TestStatus,
    invalid,
)
from dlgrade.notebook import (
    InvalidNotebook,
    cells_to_run,
    code_of,
    read_notebook,
    restore_locked_cells,
    without_magics,
)
from dlgrade.sandbox.backends.base import SandboxBackend, SandboxJob
from dlgrade.sandbox.session import SandboxSession, SessionSettings

log = logging.getLogger(__name__)


@dataclass
class GradingInputs:
    assignment: str
    graders_dir: Path
    source_notebook: Path
    release_notebook: Path | None
    submission_notebook: Path
    test_time_limit: float = 60.0
    submission_time_limit: float | None = None
    settings: SessionSettings = field(default_factory=SessionSettings)
    files: SubmittedFiles = field(default_factory=SubmittedFiles)
    """The submission's other files its graders read (graders/<a>/SUBMITTED_FILES)."""


_reference_cache: dict[tuple[str, float], dict] = {}


def execute_trusted(nb: nbformat.NotebookNode, include_tests: bool = False) -> dict:
    """Run a *trusted* notebook's code cells in this process; return its namespace."""
    namespace: dict = {"__name__": "__dlgrade_reference__"}
    for cell in cells_to_run(nb, include_tests=include_tests):
        code = without_magics(cell.source)
        exec(compile(code, f"<reference cell {cell.index}>", "exec"), namespace)
    return namespace


def reference_namespace(source_notebook: Path) -> dict:
    """The source notebook's solution, executed once per process (trusted)."""
    key = (str(source_notebook), os.path.getmtime(source_notebook))
    if key not in _reference_cache:
        _reference_cache[key] = execute_trusted(read_notebook(source_notebook))
    return _reference_cache[key]


def warm_up(graders_dirs: list[Path]) -> None:
    """Import, before the first submission, what its grading would import late: the
    modules the graders import (hypothesis, torch.distributions, ...) and what torch loads
    on its first optimizer step (torch._dynamo, sympy), as the sandbox template does
    (`warm_torch`). A grading process calls this while its sandbox template boots, so the
    first submission of a batch costs what the others cost."""
    import torch

    from dlgrade.sandbox.worker import warm_torch

    for name in sorted(_imported_by(graders_dirs)):
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a grader module or a missing package: not ours
            log.debug("warm-up: %s not imported", name)
    warm_torch(torch)


def _imported_by(graders_dirs: list[Path]) -> set[str]:
    """Absolute module names imported anywhere in the graders' own files (not variants),
    less each folder's own modules."""
    names: set[str] = set()
    for graders_dir in graders_dirs:
        files = list(graders_dir.glob("*.py"))
        local = {p.stem for p in files}
        found: set[str] = set()
        for path in files:
            try:
                tree = ast.parse(path.read_bytes())
            except (SyntaxError, ValueError, OSError):
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    found.update(a.name for a in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    found.add(node.module)
        names |= {n for n in found if n.split(".")[0] not in local}
    return names


def graders_digest(graders_dir: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(graders_dir.rglob("*.py")):
        if "variants" in path.relative_to(graders_dir).parts:
            continue
        h.update(str(path.relative_to(graders_dir)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def invalid_result(detail: str) -> Result:
    return invalid(detail)


def grade(
    inputs: GradingInputs, backend: SandboxBackend, job: SandboxJob
) -> tuple[Result, nbformat.NotebookNode | None]:
    """Grade one notebook, its code run in a sandbox of `backend` (every submission)."""
    started = time.monotonic()
    read = _submission(inputs)
    if isinstance(read, Result):
        return read, None
    submitted, helpers = read
    session = SandboxSession(backend, job, cells_to_run(submitted), helpers, inputs.settings)
    state = _grading_state(inputs, submitted, session)
    try:
        try:
            session.ensure_started()
        except Exception as exc:  # noqa: BLE001 - recorded, tests then fail as crashed
            log.info("sandbox did not start: %s", exc)
        plugin.run(str(inputs.graders_dir), state)
    finally:
        session.close()
    result = _graded(inputs, state, session, type(backend).__name__, started)
    return result, executed_notebook(submitted, session)


def grade_bare(inputs: GradingInputs) -> tuple[Result, nbformat.NotebookNode | None]:
    """Grade a *trusted* notebook with its code run in this process, without a sandbox
    (grader authors' checks and the bench's baseline; never a student's submission)."""
    started = time.monotonic()
    read = _submission(inputs)
    if isinstance(read, Result):
        return read, None
    submitted, helpers = read
    transport = InProcessTransport(execute_trusted(submitted), helpers)
    state = _grading_state(inputs, submitted, transport)
    plugin.run(str(inputs.graders_dir), state)
    return _graded(inputs, state, None, "bare", started), executed_notebook(submitted, None)


def _submission(inputs: GradingInputs) -> tuple[nbformat.NotebookNode, str] | Result:
    """The submitted notebook with its locked cells restored, and the graders' sandbox
    helpers; or an invalid Result when the file is no notebook."""
    try:
        submitted = read_notebook(inputs.submission_notebook)
    except InvalidNotebook as exc:
        return invalid_result(str(exc))
    return _restored(inputs, submitted)


def _restored(inputs: GradingInputs, submitted) -> tuple[nbformat.NotebookNode, str]:
    """The submission with the released locked cells put back, and the sandbox helpers."""
    if inputs.release_notebook is not None and inputs.release_notebook.exists():
        submitted = restore_locked_cells(submitted, read_notebook(inputs.release_notebook))
    helpers_path = inputs.graders_dir / plugin.HELPERS_FILE
    return submitted, helpers_path.read_text() if helpers_path.exists() else ""


def _grading_state(inputs: GradingInputs, submitted, transport) -> plugin.GradingState:
    return plugin.GradingState(
        transport,
        reference=lambda: reference_namespace(inputs.source_notebook),
        source_code=code_of(submitted),
        default_time_limit=inputs.test_time_limit,
        submission_time_limit=inputs.submission_time_limit,
        submitted_files=inputs.files,
    )


def _graded(
    inputs: GradingInputs,
    state: plugin.GradingState,
    session: SandboxSession | None,
    backend: str,
    started: float,
) -> Result:
    return replace(
        assemble(state, session),
        assignment=inputs.assignment,
        grader=GraderInfo(
            backend=backend,
            graders_sha256=graders_digest(inputs.graders_dir),
            sandbox_restarts=max(session.restarts, 0) if session else 0,
        ),
        execution_time=round(time.monotonic() - started, 3),
    )


def assemble(state: plugin.GradingState, session: SandboxSession | None) -> Result:
    """Scores, status and flags of one graded submission.

    The status says whether every test reached a verdict: ``graded``, or ``timeout`` /
    ``crashed`` when a test was stopped (its points are lost, the others' are kept).
    A cell that timed out or crashed only raises a flag: the tests still ran."""
    tests = list(state.results)
    found = {t.status for t in tests}
    flags = {TEST_FLAGS[s] for s in found if s in TEST_FLAGS}
    events = list(session.events) if session else []
    notebook = None
    if session is not None:
        flags |= {CELL_FLAGS[r.status] for r in session.records.values() if r.status in CELL_FLAGS}
        notebook = NotebookRun(
            cells_skipped=tuple(sorted(session.skipped)),
            cell_errors=tuple(
                CellError(r.index, str((r.error or {}).get("type", ""))[:200])
                for r in session.records.values()
                if r.status == "error"
            ),
        )
    for status, verb in (
        (TestStatus.TIMEOUT, "timed out"),
        (TestStatus.CRASHED, "crashed the sandbox"),
    ):
        n = sum(t.status == status for t in tests)
        if n:
            events.append(f"{n} test{'s' if n > 1 else ''} {verb}")
    if state.collection_errors:
        found.add(TestStatus.CRASHED)
        flags.add(Flag.GRADER_ERROR)
        events.append("the graders failed to load; tell the instructor")
        log.error("grader collection errors:\n%s", "\n".join(state.collection_errors))
    status = next(
        (Status(s) for s in (TestStatus.TIMEOUT, TestStatus.CRASHED) if s in found), Status.GRADED
    )
    return Result.from_tests(
        status,
        tests,
        status_detail="; ".join(events),
        flags=tuple(sorted(flags)),
        notebook=notebook,
    )


def executed_notebook(nb: nbformat.NotebookNode, session: SandboxSession | None):
    """The submission with the sandbox's outputs attached, all of it sanitized
    (`dlgrade.sanitize`): the formgrader renders this file inside the hub's origin."""
    out = nbformat.from_dict(nb)
    for i, cell in enumerate(out.cells):
        if cell.cell_type != "code":
            continue
        cell.outputs = []
        cell.execution_count = None
        rec = session.records.get(i) if session else None
        if rec is None:
            continue
        cell.outputs = [nbformat.from_dict(o) for o in rec.outputs]
        if rec.status in CELL_FLAGS:
            cell.outputs.append(
                nbformat.v4.new_output(
                    "stream",
                    name="stderr",
                    text=f"[dlgrade] this cell {'timed out' if rec.status == 'timeout' else 'crashed the sandbox'}"
                    " and was skipped when grading\n",
                )
            )
        elif rec.error:
            cell.outputs.append(
                nbformat.v4.new_output(
                    "error",
                    ename=str(rec.error.get("type", "Error")),
                    evalue=str(rec.error.get("message", "")),
                    traceback=[],
                )
            )
    return sanitize.notebook(out)


if __name__ == "__main__":
    from dlgrade.apps.grade_one import main

    main()
