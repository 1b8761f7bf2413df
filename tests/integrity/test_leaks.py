"""Hidden inputs never reach what students read.

A student's function can read the hidden inputs a test passes in and try to carry them
out in any string the trusted side might echo: the name of an exception class (also one
posing as a builtin), an exception's message, the ``repr``/``str`` of a returned object,
dict keys, or printed output that a restarted sandbox records. Each attack wraps every
function and class the notebook defines; the hidden tests' messages in results.json (and,
for printed output, the executed notebook) must hold none of it.
"""

from __future__ import annotations

import json

import nbformat
import pytest

from tests.conftest import copy_of_assignment

pytestmark = pytest.mark.slow

MARK = "LEAK"  # built at run time ("LE" + "AK"), so the attack's source never holds it
WRAP = """
import os, torch

def _enc(args):
    ts = [a for a in args if isinstance(a, torch.Tensor)]
    vals = ts[0].flatten()[:4].tolist() if ts else [len(args)]
    return "LE" + "AK_" + "_".join(f"{float(v):.4f}".replace("-", "m").replace(".", "p")
                                  for v in vals)

def _leaky(args):
    how, text = MODE, _enc(args)
    if how == "exc_class":
        raise type(text, (Exception,), {"__module__": "torch.leak"})("boom")
    if how == "exc_message":
        raise ValueError(text)
    if how == "forged_builtin":
        raise type("AssertionError", (Exception,), {"__module__": "builtins"})(text)
    if how == "repr_obj":
        return type(text, (), {"__repr__": lambda s: text, "__str__": lambda s: text})()
    if how == "dict_keys":
        return {text: 1.0, text + "_weight": torch.ones(2)}
    if how == "printed":
        if any(abs(v) > 100 for t in args if isinstance(t, torch.Tensor)
               for v in t.flatten().tolist()):
            open("leak.txt", "w").write(text)
            os._exit(1)
        raise ValueError("no")

def _wrap(obj):
    def wrapped(*args, **kwargs):
        return _leaky(args)
    return wrapped

for _name, _obj in list(globals().items()):
    if not _name.startswith("_") and getattr(_obj, "__module__", "") == "__main__" \\
            and callable(_obj):
        globals()[_name] = _wrap(_obj)
"""
# Printed output after a restart: on the first run the cell announces "ready" itself, so
# its own outputs would only be recorded when it runs again, after hidden inputs leaked.
PRINT_LATER = """
import gc, os
if os.path.exists("leak.txt"):
    print(open("leak.txt").read())
else:
    from dlgrade.sandbox.worker import Worker
    for _w in gc.get_objects():
        if isinstance(_w, Worker):
            _w.send({"event": "ready"})
            break
"""
HELLO_MODES = ["exc_class", "exc_message", "forged_builtin", "repr_obj", "dict_keys", "printed"]
ATTENTION_MODES = ["exc_class", "exc_message", "forged_builtin", "repr_obj", "dict_keys"]


def _attack(course, mode: str) -> nbformat.NotebookNode:
    nb = course.notebook("reference")
    nb.cells.append(nbformat.v4.new_code_cell(f"MODE = {mode!r}\n" + WRAP))
    if mode == "printed":
        nb.cells.append(nbformat.v4.new_code_cell(PRINT_LATER))
    return nb


def _grade(course, modes: list[str], **traits) -> dict[str, dict]:
    for mode in modes:
        course.submit(mode, _attack(course, mode))
    return course.grade(workers=2, **traits)


def _leaks(result: dict) -> list[tuple[str, str]]:
    return [
        (t["id"], t["output"])
        for t in result["tests"]
        if t["visibility"] == "hidden" and (MARK in t["output"] or "AssertionError" in t["output"])
    ]


def _executed_text(course, student: str) -> str:
    folder = course.paths.autograded(student, course.assignment)
    nb = json.loads((folder / f"{course.assignment}.ipynb").read_text())
    return json.dumps([c.get("outputs", []) for c in nb["cells"]])


@pytest.fixture(scope="module")
def hello(module_course):
    results = _grade(
        module_course,
        HELLO_MODES,
        Autograder__test_time_limit=10.0,
        Autograder__cell_time_limit=10.0,
        Autograder__notebook_time_limit=40.0,
    )
    return module_course, results


@pytest.mark.parametrize("mode", HELLO_MODES)
def test_hidden_inputs_do_not_leak_in_hello(hello, mode):
    """Does no hidden test of the fixture course echo what the student's code encoded
    from its hidden inputs, and does every attack score only what it earned (0 here)?"""
    course, results = hello
    r = results[mode]
    assert r["tests"] and not _leaks(r), _leaks(r)
    hidden = [t for t in r["tests"] if t["visibility"] == "hidden"]
    assert all(t["score"] == 0 for t in hidden)
    assert "1000p0000" not in json.dumps(r) and "1000p0000" not in _executed_text(course, mode)


@pytest.fixture(scope="module")
def attention():
    course = copy_of_assignment("leaks-attention", "attention")
    return _grade(course, ATTENTION_MODES)


@pytest.mark.parametrize("mode", ATTENTION_MODES)
def test_hidden_inputs_do_not_leak_in_attention(attention, mode):
    """Does no hidden test of the attention assignment echo the hidden queries, keys or
    values the student's wrapped functions encoded into strings?"""
    r = attention[mode]
    hidden = [t for t in r["tests"] if t["visibility"] == "hidden"]
    assert hidden and not _leaks(r), _leaks(r)
