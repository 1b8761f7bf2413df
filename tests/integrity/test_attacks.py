"""Integrity suite: cheating submissions score as ordinary failures.

Every attack is added to the *blank* release notebook, so an honest grade is 0. The
whole class is graded in one batch next to honest students, who must keep full marks;
nothing outside the sandbox may change.
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading

import nbformat
import pytest

pytestmark = pytest.mark.slow

SECRET_GRADER = "graders/hello/test_hello.py"

# name -> (where, code, allowed statuses). where: "cell" appends a cell to the blank
# notebook; "softmax" replaces the softmax solution cell (student code run by tests).
ATTACKS = {
    "patch_torch_numpy": (
        "cell",
        "import torch, numpy\ntorch.allclose = lambda *a, **k: True\n"
        "numpy.allclose = lambda *a, **k: True\ntorch.Tensor.__eq__ = lambda *a: True\n"
        "torch.testing.assert_close = lambda *a, **k: None",
        {"graded"},
    ),
    "patch_pytest_module": (
        "cell",
        "import sys, types\nfake = types.ModuleType('pytest')\n"
        "fake.approx = lambda x, **k: x\nsys.modules['pytest'] = fake\n"
        "import _pytest\n",
        {"graded"},
    ),
    "patch_builtins": (
        "cell",
        "import builtins\nbuiltins.isinstance = lambda *a: True\n"
        "builtins.AssertionError = type('AE', (Exception,), {})\n"
        "builtins.abs = lambda x: 0",
        {"graded", "crashed"},
    ),
    "input_transformer": (
        "cell",
        "ip = get_ipython()\nip.input_transformers_post.append(lambda lines: ['pass\\n'])",
        {"graded"},
    ),
    "display_formatter": (
        "cell",
        "ip = get_ipython()\nf = ip.display_formatter.formatters['text/plain']\n"
        "f.for_type(object, lambda o, p, c: p.text('5.0/5.0 passed'))\n"
        "print('score: 5/5 All tests passed')",
        {"graded"},
    ),
    "sys_exit_cell": ("cell", "import sys\nsys.exit(0)", {"graded"}),
    "os_exit_cell": ("cell", "import os\nos._exit(0)", {"graded"}),  # a cell: flagged
    "os_exit_in_function": (
        "softmax",
        "def softmax(x, dim=-1):\n    import os\n    os._exit(3)",
        {"crashed"},
    ),
    "sys_exit_in_function": (
        "softmax",
        "def softmax(x, dim=-1):\n    raise SystemExit(0)",
        {"graded"},
    ),
    "lone_surrogates": (
        "softmax",
        "S = chr(0xD800)\nprint('out' + S)\ndef softmax(x, dim=-1):\n"
        "    raise ValueError('bad' + S)",
        {"graded"},
    ),
    "fake_results_stdout": (
        "cell",
        "import os, json\nprint(json.dumps({'score': 5, 'max_score': 5,"
        " 'tests': []}))\nos.write(1, b'{\"score\": 5}\\n')\n"
        "os.write(1, (1000).to_bytes(4, 'big') + b'{\"event\": \"ready\"}')",
        {"graded", "crashed"},
    ),
    "write_result_files": (
        "cell",
        "import os, json, glob\nfake = json.dumps({'score': 5, "
        "'max_score': 5, 'status': 'graded'})\n"
        "for p in ['results.json', '../results.json', '/tmp/results.json', "
        "os.path.expanduser('~/results.json'), '{root}/autograded/mallory/hello/results.json', "
        "'{root}/gradebook.db', '{root}/graders/hello/test_hello.py']:\n"
        "    try:\n        os.makedirs(os.path.dirname(p) or '.', exist_ok=True)\n"
        "        open(p, 'w').write(fake)\n    except Exception as e:\n        print(p, e)",
        {"graded"},
    ),
    "read_graders_and_source": (
        "softmax",
        "def softmax(x, dim=-1):\n    src = open('{root}/source/hello/hello.ipynb').read()\n"
        "    import json\n    cells = json.loads(src)['cells']\n"
        "    ns = {{}}\n    exec(''.join(cells[2]['source']).replace('### BEGIN SOLUTION', ''), ns)\n"
        "    open('{root}/" + SECRET_GRADER + "').read()\n"
        "    return ns['softmax'](x, dim)",
        {"graded"},
    ),
    "edit_locked_tests": ("locked", "", {"graded"}),
    "evil_return_objects": (
        "softmax",
        "class Evil:\n    def __reduce__(self):\n        import os\n"
        "        return (os.system, ('touch /tmp/pwned',))\n"
        "def softmax(x, dim=-1):\n    import numpy as np\n    a = np.empty(1, dtype=object)\n"
        "    a[0] = Evil()\n    return a",
        {"graded"},
    ),
    "evil_tensor_subclass": (
        "softmax",
        "import torch\nclass T(torch.Tensor):\n"
        "    def __reduce_ex__(self, p):\n        import os\n"
        "        return (os.system, ('touch /tmp/pwned',))\n"
        "def softmax(x, dim=-1):\n    return x.as_subclass(T)",
        {"graded"},
    ),
    "infinite_loop_cell": ("cell", "while True:\n    pass", {"graded"}),  # flagged
    "loop_swallowing_interrupt": (
        "cell",
        "import time\nwhile True:\n    try:\n        time.sleep(0.1)\n"
        "    except BaseException:\n        pass",
        {"graded"},
    ),
    "infinite_loop_in_function": (
        "softmax",
        "def softmax(x, dim=-1):\n    while True:\n        pass",
        {"timeout"},
    ),
    "memory_bomb": (
        "cell",
        "blocks = []\nwhile True:\n    blocks.append(bytearray(10**8))",
        {"graded", "crashed"},
    ),
    "memory_bomb_torch": (
        "softmax",
        "def softmax(x, dim=-1):\n    import torch\n    return torch.ones(10**11)",
        {"graded", "crashed"},
    ),
    "fork_bomb": (
        "cell",
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass",
        {"graded", "timeout", "crashed"},
    ),
    "thread_bomb": (
        "cell",
        "import threading, time\nfor _ in range(10000):\n"
        "    threading.Thread(target=time.sleep, args=(100,), daemon=True).start()",
        {"graded"},
    ),
    "huge_output": (
        "cell",
        "import os, sys\nprint('x' * 50_000_000)\nsys.stderr.write('y' * 10_000_000)\n"
        "os.write(2, b'z' * 200_000_000)",
        {"graded"},
    ),
    "network": (
        "softmax",
        "def softmax(x, dim=-1):\n    import socket\n"
        "    s = socket.create_connection(('127.0.0.1', {port}), timeout=2)\n"
        "    s.sendall(b'leak')\n    return x",
        {"graded"},
    ),
    "kill_parent": (
        "cell",
        "import os, signal\nfor pid in range(1, 400):\n    try:\n"
        "        os.kill(pid, signal.SIGKILL) if pid != os.getpid() else None\n"
        "    except Exception:\n        pass",
        {"graded", "crashed"},
    ),
}
BAD_FILES = {
    "garbage_json": b"{not json",
    "empty_file": b"",
    "png_renamed": b"\x89PNG\r\n\x1a\n" + os.urandom(64),
    "json_not_notebook": b'{"hello": "world"}',
    "huge_file": b'{"cells": [' + b" " * (21 * 2**20) + b"]}",
}


def _attack_notebook(course, where: str, code: str) -> nbformat.NotebookNode:
    nb = course.notebook("blank")
    code = code.replace("{root}", str(course.root))
    if where == "cell":
        nb.cells.append(nbformat.v4.new_code_cell(code))
    elif where == "softmax":
        cell = next(
            c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "softmax_impl"
        )
        cell.source = code
    elif where == "locked":
        for cell in list(nb.cells):
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade") and meta.get("grade_id") == "test_softmax":
                cell.source = "pass"
                meta["points"] = 1000
            elif meta.get("grade_id") == "test_scale":
                nb.cells.remove(cell)
        nb.cells.append(
            nbformat.v4.new_code_cell(
                "softmax = lambda x, dim=-1: x",
                metadata={
                    "nbgrader": {
                        "grade": True,
                        "grade_id": "forged",
                        "locked": True,
                        "points": 50,
                        "schema_version": 3,
                        "solution": False,
                        "task": False,
                    }
                },
            )
        )
    return nb


def _tree_digest(root) -> dict[str, str]:
    out = {}
    for dirpath, _, files in os.walk(root):
        if "/autograded" in dirpath or "/feedback" in dirpath or "/submitted" in dirpath:
            continue
        for f in files:
            p = os.path.join(dirpath, f)
            if f.endswith(".tmp") or "__pycache__" in p:
                continue
            try:
                out[p] = hashlib.sha256(open(p, "rb").read()).hexdigest()
            except OSError:
                out[p] = "unreadable"
    return out


@pytest.fixture(scope="module")
def graded(module_course):
    """The whole class graded in one batch, with a listening socket and a file watch."""
    course = module_course
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    received = []
    stop = threading.Event()

    def accept():
        listener.settimeout(1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
                received.append(conn.recv(100))
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    course.submit("honest", course.notebook("reference"))
    noisy = course.notebook("reference")
    noisy.cells.append(
        nbformat.v4.new_code_cell(
            "import sys, warnings\nwarnings.warn('deprecated thing')\nprint('debug', file=sys.stderr)"
        )
    )
    for cell in noisy.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "softmax_impl":
            cell.source = cell.source.replace(
                '"""Softmax along `dim`."""', 'import warnings; warnings.warn("slow path")'
            )
    course.submit("honest_with_warnings", noisy)
    for name, (where, code, _) in ATTACKS.items():
        course.submit(name, _attack_notebook(course, where, code.replace("{port}", str(port))))
    for name, data in BAD_FILES.items():
        course.submit(name, data)
    (course.paths.submitted("wrong_filename", "hello")).mkdir(parents=True)
    (course.paths.submitted("wrong_filename", "hello") / "Hello (1).ipynb").write_text("{}")
    before = _tree_digest(course.root)
    outside_before = set(os.listdir("/tmp"))
    results = course.grade(
        workers=2,
        Autograder__test_time_limit=10.0,
        Autograder__cell_time_limit=10.0,
        Autograder__notebook_time_limit=40.0,
        Autograder__max_restarts=2,
    )
    stop.set()
    thread.join()
    listener.close()
    return {
        "results": results,
        "before": before,
        "after": _tree_digest(course.root),
        "received": received,
        "new_tmp": set(os.listdir("/tmp")) - outside_before,
    }


def test_every_submission_has_a_result(graded):
    """Does the batch finish with a results.json for every submission, cheats included?"""
    expected = {"honest", "honest_with_warnings", "wrong_filename", *ATTACKS, *BAD_FILES}
    assert set(graded["results"]) == expected


@pytest.mark.parametrize("student", ["honest", "honest_with_warnings"])
def test_honest_students_keep_full_marks(graded, student):
    """Do honest students graded beside attackers keep every point (warnings included)?"""
    r = graded["results"][student]
    assert r["status"] == "graded", r["status_detail"]
    assert r["score"] == r["max_score"] == 5.0, [t["output"] for t in r["tests"]]


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_attack_scores_zero_with_a_clear_status(graded, attack):
    """Does each attack on a blank solution score 0, with a status that says what happened?"""
    r = graded["results"][attack]
    allowed = ATTACKS[attack][2]
    assert r["score"] == 0.0, [(t["id"], t["status"]) for t in r["tests"] if t["score"]]
    assert r["max_score"] == 5.0
    assert r["status"] in allowed, (r["status"], r["status_detail"])
    assert len(r["tests"]) == 3 and all(t["output"] for t in r["tests"])
    if r["status"] != "graded" or r["flags"]:
        assert r["status_detail"]


@pytest.mark.parametrize("name", sorted([*BAD_FILES, "wrong_filename"]))
def test_bad_files_are_invalid_not_zero(graded, name):
    """Is a corrupt or missing notebook recorded as invalid, with a reason?"""
    r = graded["results"][name]
    assert r["status"] == "invalid" and r["status_detail"]
    assert r["score"] == 0.0 and r["tests"] == []


def test_nothing_outside_the_sandbox_changed(graded):
    """Did no attack write, delete or change a file of the course (or /tmp)?"""
    assert graded["before"] == graded["after"]
    assert not os.path.exists("/tmp/pwned")
    assert not any(n.startswith("results.json") for n in graded["new_tmp"])


def test_no_network_from_the_sandbox(graded):
    """Did no sandbox reach a socket listening on the grading machine?"""
    assert graded["received"] == []


def test_hidden_messages_reveal_nothing(graded):
    """Do hidden tests' messages avoid the student's exception text (a leak channel)?"""
    r = graded["results"]["read_graders_and_source"]
    for t in r["tests"]:
        if t["visibility"] == "hidden":
            assert "softmax" not in t["output"] or "your code raised" in t["output"]
            assert "No such file" not in t["output"] and "test_hello" not in t["output"]
