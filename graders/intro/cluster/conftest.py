"""Shared helpers of the cluster graders (trusted side)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

from dlgrade.grading import StudentError, expect


def call(fn, *args, what: str):
    """The student's result, or a failed test naming the exception."""
    try:
        return fn(*args)
    except StudentError as exc:
        expect.fail(f"{what} raised {exc.type}")


def raises_value_error(fn, *args, what: str) -> None:
    try:
        fn(*args)
    except StudentError as exc:
        expect.true(exc.type == "ValueError", f"{what} must raise ValueError, not {exc.type}")
    else:
        expect.fail(f"{what} must raise ValueError")


@pytest.fixture
def trusted_folder():
    """A function writing {name: text} into a fresh folder of the trusted process."""
    with tempfile.TemporaryDirectory() as root:

        def write(files: dict) -> str:
            folder = Path(tempfile.mkdtemp(dir=root))
            for name, text in files.items():
                (folder / name).parent.mkdir(parents=True, exist_ok=True)
                (folder / name).write_text(text, encoding="utf-8")
            return str(folder)

        yield write


def record(task_id, **changes) -> dict:
    base = {
        "task_id": task_id,
        "job_id": "4711",
        "params": {"lr": 0.01 * (task_id + 1), "hidden": 16},
        "val_accuracy": 0.5 + 0.01 * task_id,
        "val_loss": 1.0 - 0.01 * task_id,
        "seconds": 1.5,
    }
    return base | changes


def dumps(rec) -> str:
    return json.dumps(rec)
