"""`make gpu-check` (dlgrade.authoring.gpu_check): what can be checked without a GPU (the
skip, the cells it would run, the results format, cell timing in a real kernel, the
sandbox probe), and the real run where there is CUDA (mark gpu)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import nbformat
import pytest
import torch
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config

from dlgrade.authoring import gpu_check
from dlgrade.authoring.variants import list_variants
from dlgrade.grading.autograder import Autograder
from dlgrade.notebook import grade_id, is_grade, is_solution, read_notebook
from dlgrade.paths import CoursePaths
from tests.conftest import REPO

CUDA = torch.cuda.is_available()
ASSIGNMENTS = ["attention", "diffusion", "energy", "represent"]
UNGRADED_VISIBLE = {"diffusion": {"test_ddim"}}  # visible checks of the extra credit


def _run(*args: str, timeout: int = 240) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "dlgrade.authoring.gpu_check", *args]
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout)


@pytest.mark.skipif(CUDA, reason="a CUDA device is present")
def test_skips_cleanly_without_cuda(tmp_path):
    """Without CUDA: the clear message, exit status 0, and no results written."""
    out = tmp_path / "out"
    done = _run(f"--out={out}")
    assert done.returncode == 0, done.stderr
    assert gpu_check.SKIP_MESSAGE in done.stdout
    assert not out.exists()


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_measured_cells_are_the_experiments_and_the_visible_checks(assignment):
    """Every cell tagged `experiment` and every visible-test cell, in notebook order; no
    solution cell and no given helper."""
    nb = read_notebook(REPO / "source" / assignment / f"{assignment}.ipynb")
    runs = gpu_check.measured_cells(assignment, nb)
    tagged = [i for i, c in enumerate(nb.cells) if "experiment" in c.metadata.get("tags", [])]
    assert tagged and [r.index for r in runs if r.kind == "experiment"] == tagged
    graded = {grade_id(c) for c in nb.cells if is_grade(c) and not is_solution(c)}
    visible = {r.label for r in runs if r.kind == "visible"}
    assert visible == graded | UNGRADED_VISIBLE.get(assignment, set())
    assert [r.index for r in runs] == sorted(r.index for r in runs)
    assert not any(is_solution(nb.cells[r.index]) for r in runs)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_grades_the_reference_and_two_correct_variants(assignment):
    names = gpu_check.submissions_to_grade(REPO / "graders" / assignment)
    kinds = {v.name: v.kind for v in list_variants(REPO / "graders" / assignment)}
    assert names[0] == "reference" and len(names) == 3
    assert all(kinds[n] == "correct" for n in names[1:])


def test_dry_run_writes_the_plan_in_the_results_format(tmp_path):
    """--dry-run runs nothing and writes results.json and RESULTS.md with every cell and
    every grading planned."""
    out = tmp_path / "plan"
    done = _run("--dry-run", f"--out={out}")
    assert done.returncode == 0, done.stderr
    report = json.loads((out / "results.json").read_text())
    assert report["dry_run"] is True and report["ok"] is None and report["failures"] == []
    assert set(report["environment"]) == {"device", "torch", "cuda", "python"}
    expected = sum(
        len(gpu_check.measured_cells(a, read_notebook(REPO / "source" / a / f"{a}.ipynb")))
        for a in ASSIGNMENTS
    )
    assert len(report["cells"]) == expected
    cell = report["cells"][0]
    assert set(cell) == {
        "assignment", "index", "kind", "label", "status", "seconds", "peak_gpu_mb", "error"
    }  # fmt: skip
    assert {c["status"] for c in report["cells"]} == {"planned"}
    assert len(report["grading"]) == len(ASSIGNMENTS) * 2 * 3  # 2 backends, 3 submissions
    assert {(g["backend"], g["status"]) for g in report["grading"]} == {
        ("local", "planned"),
        ("docker", "planned"),
    }
    md = (out / "RESULTS.md").read_text()
    assert md.startswith("# gpu-check\n\nDry run")
    assert md.count("| diffusion | ") == sum(
        1 for c in report["cells"] if c["assignment"] == "diffusion"
    ) + sum(1 for g in report["grading"] if g["assignment"] == "diffusion")
    assert "| energy | local | reference | planned |" in md


@pytest.mark.slow
def test_run_notebook_times_cells_and_records_errors(tmp_path):
    """A real kernel runs every cell in the notebook's folder; measured cells get their
    time, their error (and the run goes on), and a peak GPU memory only with CUDA."""
    (tmp_path / "data.txt").write_text("2")
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import time\nx = int(open('data.txt').read())"),
        nbformat.v4.new_code_cell("time.sleep(0.3)\ny = x + 1", metadata={"tags": ["experiment"]}),
        nbformat.v4.new_code_cell("raise ValueError('boom')", metadata={"tags": ["experiment"]}),
        nbformat.v4.new_code_cell(
            "assert y == 3",
            metadata={"nbgrader": {"grade": True, "grade_id": "test_y", "points": 1}},
        ),
    ]
    path = tmp_path / "tiny.ipynb"
    nbformat.write(nb, path)
    runs = gpu_check.measured_cells("tiny", nb)
    gpu_check.run_notebook(path, runs, cell_timeout=60)
    sleep, boom, test = runs
    assert (sleep.status, boom.status, test.status) == ("ok", "error", "ok")
    assert boom.error == "ValueError: boom"
    assert sleep.seconds >= 0.3 and test.seconds < sleep.seconds
    assert (sleep.peak_gpu_mb is None) == (not CUDA)


@pytest.mark.slow
def test_run_notebook_on_the_cpu_hides_every_gpu_from_the_kernel(tmp_path):
    """--cpu's kernel sees no CUDA device, so the notebooks take their CPU sizes."""
    nb = nbformat.v4.new_notebook()
    check = "import os, torch\nassert os.environ['CUDA_VISIBLE_DEVICES'] == ''\n"
    check += "assert not torch.cuda.is_available()"
    nb.cells = [nbformat.v4.new_code_cell(check, metadata={"tags": ["experiment"]})]
    path = tmp_path / "cpu.ipynb"
    nbformat.write(nb, path)
    hidden, plain = (gpu_check.measured_cells("cpu", nb) for _ in range(2))
    gpu_check.run_notebook(path, hidden, cell_timeout=60, hide_gpu=True)
    assert hidden[0].status == "ok", hidden[0].error
    if "CUDA_VISIBLE_DEVICES" not in os.environ:  # without --cpu the kernel's is ours
        gpu_check.run_notebook(path, plain, cell_timeout=60)
        assert plain[0].status == "error" and plain[0].error.startswith("KeyError")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("bwrap") is None, reason="needs bubblewrap")
def test_allow_gpu_reaches_the_job_and_the_probe_runs_in_the_sandbox():
    """With allow_gpu the grading job asks for the GPU (the docker backend adds --gpus
    only then; it was never asked before), and the probe reports what torch sees inside
    a real local sandbox."""
    paths = CoursePaths(CourseDirectory(root=str(REPO)))
    cfg = Config()
    cfg.SandboxBackend.allow_gpu = True
    grader = Autograder(config=cfg, sandbox_backend="local")
    try:
        assert grader.job(paths, 0, "x").use_gpu
        cuda = gpu_check.probe_sandbox(grader, paths)
    finally:
        grader.close()
    assert cuda["available"] is CUDA and cuda["devices"] == torch.cuda.device_count()
    plain = Autograder(sandbox_backend="local")
    try:
        assert not plain.job(paths, 0, "x").use_gpu
    finally:
        plain.close()


@pytest.mark.gpu
@pytest.mark.slow
@pytest.mark.skipif(not CUDA, reason="needs a CUDA device")
def test_gpu_check_passes_on_cuda(tmp_path):
    """The real run for one assignment: every cell ran on the GPU, every grading full."""
    out = tmp_path / "gpu"
    done = _run("attention", "--no-build", f"--out={out}", timeout=600)
    report = json.loads((out / "results.json").read_text())
    assert done.returncode == 0 and report["ok"], report["failures"]
    assert all(c["peak_gpu_mb"] is not None for c in report["cells"])
    assert any(c["peak_gpu_mb"] > 0 for c in report["cells"] if c["kind"] == "experiment")
    local = [g for g in report["grading"] if g["backend"] == "local"]
    assert local and all(g["sandbox_cuda"]["available"] for g in local)


def test_failures_name_what_went_wrong():
    """A cell that failed, a grading short of full marks, a local sandbox that does not
    see the GPU and a failed image build are failures; a skipped backend is not."""
    cells = [
        gpu_check.CellRun("a", 1, "experiment", "x", status="ok"),
        gpu_check.CellRun("a", 2, "visible", "test_x", status="error", error="E: e"),
    ]
    full, cuda = {"status": "graded", "score": 3.0, "max_score": 3.0}, {"available": True}
    gradings = [
        gpu_check.Grading("a", "local", "reference", **full, sandbox_cuda=cuda),
        gpu_check.Grading("a", "local", "v1", **full, sandbox_cuda={"available": False}),
        gpu_check.Grading("a", "local", "v2", "graded", 2.0, 3.0, sandbox_cuda=cuda),
        gpu_check.Grading("a", "docker", "reference", "skipped", error="no image"),
    ]
    found = gpu_check.failures(cells, gradings, {"status": "failed"})
    assert found == [
        "a cell 2: error",
        "a: the local sandbox does not see the GPU (allow_gpu)",
        "a local v2: graded 2.0",
        "the CUDA notebook image did not build",
    ]
    assert gpu_check.failures(cells[:1], gradings[:1], {"status": "skipped"}) == []
