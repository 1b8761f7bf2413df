"""Integrity of the graders: doing no work earns nothing, and student values cannot
exhaust the trusted grader.

A "lazy but consistent" submission (tests/integrity/lazy_cells.py) has every documented
name, shape, dtype and parameter layout, and outputs that agree with each other, but
computes nothing the notebook asks for. A test that compares sandbox outputs only with
other sandbox outputs, or checks structure alone, would pay it; every test must either
compare with a trusted reference or be gated behind one. Each lazy submission is graded
for real, in the sandbox, and must score 0.

The token attacks send `generate` results with ids no vocabulary has (2**27, ±2**62,
negative): the trusted side validates them before counting or indexing with them, so the
grade completes, every generate test scores 0 with the grader's own message, and the
trusted process stays small.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import nbformat
import pytest

from dlgrade.authoring.variants import Variant, apply_variant, build_for
from dlgrade.notebook import grade_id, is_solution
from tests.conftest import copy_of_assignment
from tests.integrity.lazy_cells import HOSTILE_GENERATE, LAZY

pytestmark = pytest.mark.slow

# Peak RSS of the trusted process grading attention: about 0.4 GiB; counting the tokens
# of the 2**27 attack with torch.bincount took it to 3.5 GiB.
TRUSTED_RSS_LIMIT_MIB = 1536

# Grades with the real CLI (sandboxed) and writes the trusted process's own peak RSS in
# KiB; the sandbox is a child process and not counted.
RSS_PROBE = """
import resource, runpy, sys
rss_file = sys.argv[1]
sys.argv = ["dlgrade", *sys.argv[2:]]
try:
    runpy.run_module("dlgrade", run_name="__main__")
finally:
    with open(rss_file, "w") as f:
        f.write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
"""


def lazy_notebook(course, assignment: str, name: str, cells: dict) -> nbformat.NotebookNode:
    """The reference notebook with every code solution cell replaced by a lazy one (the
    written answers are graded by hand)."""
    reference = build_for(course.paths, assignment, "reference")
    solution_ids = {
        grade_id(c) for c in reference.cells if is_solution(c) and c.cell_type == "code"
    }
    assert set(cells) == solution_ids, "a lazy submission must replace every solution cell"
    return apply_variant(reference, Variant(name=name, kind="lazy", doc=name, cells=cells))


def hostile_notebook(course, name: str) -> nbformat.NotebookNode:
    """The reference solution with a `generate` that returns hostile token ids."""
    variant = Variant(name=name, kind="attack", doc=name)
    variant.cells["generate_impl"] = HOSTILE_GENERATE[name]
    return apply_variant(build_for(course.paths, "attention", "reference"), variant)


@pytest.fixture(scope="module", params=sorted(LAZY))
def graded(request):
    """Every lazy submission of one assignment (and, for attention, the token attacks that
    need no memory probe), graded in sandboxes."""
    assignment = request.param
    course = copy_of_assignment(f"lazy-{assignment}", assignment)
    for name, cells in LAZY[assignment].items():
        course.submit(f"lazy-{name}", lazy_notebook(course, assignment, name, cells))
    if assignment == "attention":
        for name in ("token_2_62", "token_negative"):
            course.submit(f"attack-{name}", hostile_notebook(course, name))
    yield assignment, course.grade(workers=2)
    shutil.rmtree(course.root, ignore_errors=True)


def _earned(result: dict) -> list[tuple[str, str]]:
    return [(t["id"], t["output"]) for t in result["tests"] if t["score"] > 0]


def _generate_tests(result: dict) -> list[dict]:
    return [t for t in result["tests"] if "test_generate.py::" in t["id"]]


def test_lazy_submissions_score_zero(graded):
    """Does every lazy-but-consistent submission score exactly 0, graded normally?"""
    assignment, results = graded
    lazy = {s: r for s, r in results.items() if s.startswith("lazy-")}
    assert len(lazy) == len(LAZY[assignment])
    for student, result in lazy.items():
        assert result["status"] == "graded", (student, result["status_detail"])
        earned = result["score"] + result["extra_credit_score"]
        assert earned == 0.0, (student, _earned(result))


def test_hostile_token_ids_fail_generate_tests_cleanly(graded):
    """Do token ids of ±2**62 or -1 from generate fail every generate test with the
    grader's own message, while the rest of the (correct) submission keeps its points?"""
    assignment, results = graded
    if assignment != "attention":
        pytest.skip("token ids come back from generate, in attention only")
    for name in ("token_2_62", "token_negative"):
        result = results[f"attack-{name}"]
        assert result["status"] == "graded", result["status_detail"]
        generate = _generate_tests(result)
        assert generate and all(t["score"] == 0 for t in generate), _earned(result)
        assert all("token id" in t["output"] for t in generate), [t["output"] for t in generate]
        others = [t for t in result["tests"] if t not in generate]
        assert all(t["status"] == "passed" for t in others), _earned(result)


def test_huge_token_ids_leave_the_trusted_grader_small(tmp_path):
    """Graded by the real CLI in its own process, does a generate returning the token
    value 2**27 everywhere keep the trusted process's peak memory bounded?"""
    course = copy_of_assignment("lazy-tokens", "attention")
    try:
        notebook = course.submit("attack", hostile_notebook(course, "token_2_27"))
        rss_file, out = tmp_path / "rss", tmp_path / "result.json"
        env = dict(
            os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]
        )
        done = subprocess.run(
            [sys.executable, "-c", RSS_PROBE, str(rss_file), "grade-one", "--assignment=attention",
             f"--notebook={notebook}", f"--json={out}"],
            cwd=course.root, env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        result = json.loads(out.read_text())
        peak_mib = int(rss_file.read_text()) / 1024
    finally:
        shutil.rmtree(course.root, ignore_errors=True)
    assert result["status"] == "graded", result["status_detail"]
    generate = _generate_tests(result)
    assert generate and all(t["score"] == 0 for t in generate), _earned(result)
    assert all("token id" in t["output"] for t in generate), [t["output"] for t in generate]
    assert peak_mib < TRUSTED_RSS_LIMIT_MIB, f"the trusted grader peaked at {peak_mib:.0f} MiB"
