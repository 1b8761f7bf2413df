"""`make gpu-check`: the course on a GPU, in one command.

On a machine with CUDA it runs, per assignment, every code cell of the reference
(source) notebook in a Jupyter kernel: the experiment cells (tag ``experiment``) and the
visible-test cells are timed and their peak GPU memory is recorded
(``torch.cuda.max_memory_allocated``); it grades the reference and two correct variants
with the hidden graders, on every sandbox backend available here, with
``SandboxBackend.allow_gpu`` on (a probe checks that the sandbox sees the GPU); and, where
docker is installed, it builds the CUDA notebook image. Everything goes to
``artifacts/gpu-check/RESULTS.md`` and ``results.json``; the exit status is 1 when anything
failed. Without CUDA it prints "no CUDA device: gpu-check skipped" and exits 0;
``--dry-run`` writes the plan in the results format without running anything.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from traitlets import Bool, Integer, List, Unicode

from dlgrade.apps.base import DlGradeApp, base_aliases, base_flags
from dlgrade.authoring.variants import build_for, list_variants
from dlgrade.notebook import (
    grade_id,
    is_experiment,
    is_grade,
    is_locked,
    is_solution,
    read_notebook,
)
from dlgrade.paths import atomic_write

SKIP_MESSAGE = "no CUDA device: gpu-check skipped"
PEAK_MARK = "GPUCHECK-PEAK"
BEFORE_CELL = """import torch as _gpu_check_torch
if _gpu_check_torch.cuda.is_available():
    _gpu_check_torch.cuda.synchronize()
    _gpu_check_torch.cuda.reset_peak_memory_stats()
"""
AFTER_CELL = f"""if _gpu_check_torch.cuda.is_available():
    _gpu_check_torch.cuda.synchronize()
    print("{PEAK_MARK}", _gpu_check_torch.cuda.max_memory_allocated())
"""
PROBE = """import torch
CUDA = {"available": torch.cuda.is_available(), "devices": torch.cuda.device_count()}
if CUDA["available"]:
    CUDA["name"] = torch.cuda.get_device_name(0)
    CUDA["sum"] = float(torch.ones(1000, device="cuda").sum())
"""


@dataclass
class CellRun:
    """One measured cell of a reference notebook."""

    assignment: str
    index: int
    kind: str
    """``experiment`` or ``visible`` (an autograded test cell)."""
    label: str
    """The test cell's grade_id, or the experiment cell's first line."""
    status: str = "planned"
    seconds: float | None = None
    peak_gpu_mb: float | None = None
    error: str = ""


@dataclass
class Grading:
    assignment: str
    backend: str
    submission: str
    status: str = "planned"
    score: float | None = None
    max_score: float | None = None
    seconds: float | None = None
    sandbox_cuda: dict = field(default_factory=dict)
    error: str = ""


def is_visible_test(cell: nbformat.NotebookNode) -> bool:
    """An autograded test cell, or a locked cell of visible checks (``test_*``, e.g. for
    extra credit, whose points the hidden graders award)."""
    if cell.get("cell_type") != "code" or is_solution(cell) or is_experiment(cell):
        return False
    return is_grade(cell) or (is_locked(cell) and (grade_id(cell) or "").startswith("test_"))


def measured_cells(assignment: str, nb: nbformat.NotebookNode) -> list[CellRun]:
    """The cells gpu-check times: every experiment cell and every visible-test cell."""
    out = []
    for i, cell in enumerate(nb.cells):
        if cell.get("cell_type") == "code" and is_experiment(cell):
            first = next((ln for ln in cell.source.splitlines() if ln.strip()), "")
            out.append(CellRun(assignment, i, "experiment", first[:60]))
        elif is_visible_test(cell):
            out.append(CellRun(assignment, i, "visible", grade_id(cell) or f"cell {i}"))
    return out


def submissions_to_grade(graders_dir: Path, correct_variants: int = 2) -> list[str]:
    """The reference and the first `correct_variants` correct variants (by name)."""
    names = sorted(v.name for v in list_variants(graders_dir) if v.kind == "correct")
    return ["reference", *names[:correct_variants]]


def available_backends(docker_image: str) -> dict[str, str]:
    """Backend name → "" when it can run here, else why not."""
    found = {"local": "" if shutil.which("bwrap") else "bubblewrap is not installed"}
    if not shutil.which("docker"):
        found["docker"] = "docker is not installed"
    else:
        probe = subprocess.run(
            ["docker", "image", "inspect", docker_image], capture_output=True, timeout=60
        )
        found["docker"] = "" if probe.returncode == 0 else f"no image {docker_image}"
    return found


def _error_text(cell: nbformat.NotebookNode) -> str:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return f"{out.get('ename', '')}: {out.get('evalue', '')}"[:300]
    return ""


def _peak(cell: nbformat.NotebookNode) -> float | None:
    for out in cell.get("outputs", []):
        for line in out.get("text", "").splitlines():
            if line.startswith(PEAK_MARK):
                return int(line.split()[1]) / 2**20
    return None


def run_notebook(
    nb_path: Path, runs: list[CellRun], cell_timeout: int, hide_gpu: bool = False
) -> None:
    """Execute every code cell of `nb_path` in a fresh kernel (working directory: the
    notebook's folder) and fill in `runs` for the measured cells; `hide_gpu`: the kernel
    sees no CUDA device, so the notebooks take their CPU sizes."""
    from nbclient import NotebookClient

    nb = read_notebook(nb_path)
    by_index = {r.index: r for r in runs}
    client = NotebookClient(
        nb,
        timeout=cell_timeout,
        allow_errors=True,
        kernel_name="python3",
        resources={"metadata": {"path": str(nb_path.parent)}},
    )
    kernel = {"env": {**os.environ, "CUDA_VISIBLE_DEVICES": ""}} if hide_gpu else {}
    with client.setup_kernel(**kernel):
        for i, cell in enumerate(nb.cells):
            if cell.get("cell_type") != "code":
                continue
            run = by_index.get(i)
            if run is None:
                client.execute_cell(cell, i)
                continue
            before = nbformat.v4.new_code_cell(BEFORE_CELL)
            after = nbformat.v4.new_code_cell(AFTER_CELL)
            client.execute_cell(before, i)
            started = time.monotonic()
            try:
                client.execute_cell(cell, i)
            except Exception as exc:  # noqa: BLE001 - a timeout: record it, go on
                run.status, run.error = "timeout", f"{type(exc).__name__}: {exc}"[:300]
            client.execute_cell(after, i)
            run.seconds = round(time.monotonic() - started, 2)
            run.peak_gpu_mb = _peak(after)
            if run.status == "planned":
                run.error = _error_text(cell)
                run.status = "error" if run.error else "ok"


def probe_sandbox(grader, paths) -> dict:
    """What torch sees of CUDA inside one sandbox of `grader`'s backend."""
    from dlgrade.notebook import CodeCell
    from dlgrade.sandbox.protocol import Ref
    from dlgrade.sandbox.session import SandboxSession, SessionSettings

    job = grader.job(paths, 0, "gpu-check-probe")
    session = SandboxSession(grader.backend, job, [CodeCell(0, PROBE)], "", SessionSettings())
    try:
        return session.request("get", {"target": Ref("ns", ("CUDA",))}, 0, time.monotonic() + 120)
    finally:
        session.close()


def failures(cells: list[CellRun], gradings: list[Grading], docker: dict) -> list[str]:
    """What went wrong: cells that did not run cleanly, gradings short of full marks."""
    out = [f"{r.assignment} cell {r.index}: {r.status}" for r in cells if r.status != "ok"]
    for g in gradings:
        if g.status == "skipped":
            continue
        if g.status != "graded" or g.score is None or g.score < g.max_score:
            out.append(f"{g.assignment} {g.backend} {g.submission}: {g.status} {g.score}")
        elif g.backend == "local" and not g.sandbox_cuda.get("available"):
            out.append(f"{g.assignment}: the local sandbox does not see the GPU (allow_gpu)")
    if docker["status"] == "failed":
        out.append("the CUDA notebook image did not build")
    return out


def write_results(out_dir: Path, report: dict) -> None:
    """`results.json` (everything) and `RESULTS.md` (tables) in `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write(out_dir / "results.json", json.dumps(report, indent=1) + "\n")
    atomic_write(out_dir / "RESULTS.md", render_markdown(report))


def render_markdown(report: dict) -> str:
    env = report["environment"]
    lines = [
        "# gpu-check",
        "",
        f"{'Dry run (nothing executed)' if report['dry_run'] else 'Run'} on {env['device']}, "
        f"torch {env['torch']} (CUDA {env['cuda']}), {report['finished']}; "
        f"total {report['total_seconds']} s; ok: {report['ok']}.",
        "",
        "## Cells of the reference notebooks",
        "",
        "| assignment | cell | kind | what | status | seconds | peak GPU MiB |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for c in report["cells"]:
        what = c["label"].replace("|", "\\|")
        peak = "" if c["peak_gpu_mb"] is None else f"{c['peak_gpu_mb']:.1f}"
        status = c["status"] + (f" ({c['error']})" if c["error"] else "")
        seconds = "" if c["seconds"] is None else c["seconds"]
        lines.append(
            f"| {c['assignment']} | {c['index']} | {c['kind']} | `{what}` | {status} "
            f"| {seconds} | {peak} |"
        )
    lines += [
        "",
        "## Grading with `allow_gpu`",
        "",
        "| assignment | backend | submission | status | score | seconds | CUDA in the sandbox |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for g in report["grading"]:
        score = "" if g["score"] is None else f"{g['score']}/{g['max_score']}"
        cuda = g["sandbox_cuda"].get("name") or g["sandbox_cuda"].get("available", "")
        status = g["status"] + (f" ({g['error']})" if g["error"] else "")
        seconds = "" if g["seconds"] is None else g["seconds"]
        lines.append(
            f"| {g['assignment']} | {g['backend']} | {g['submission']} | {status} | {score} "
            f"| {seconds} | {cuda} |"
        )
    if report["failures"]:
        lines += ["", "## Failures", ""] + [f"* {f}" for f in report["failures"]]
    d = report["docker_build"]
    lines += ["", "## CUDA notebook image", "", f"{d['status']} {d.get('detail', '')}".strip()]
    return "\n".join(lines) + "\n"


class GpuCheckApp(DlGradeApp):
    """Run the reference notebooks and the graders on the GPU; write timings and memory."""

    name = "dlgrade-gpu-check"
    out_dir = Unicode("artifacts/gpu-check", help="Folder for RESULTS.md and results.json.").tag(
        config=True
    )
    dry_run = Bool(
        False, help="Write the plan (cells, gradings) in the results format; run nothing."
    ).tag(config=True)
    cell_timeout = Integer(300, help="Seconds one notebook cell may run.").tag(config=True)
    correct_variants = Integer(2, help="Correct variants graded beside the reference.").tag(
        config=True
    )
    backends = List(
        Unicode(), ["local", "docker"], help="Sandbox backends to grade with, where available."
    ).tag(config=True)
    docker_image = Unicode(
        "dlgrade-grader:latest", help="Grader image the docker backend needs (else skipped)."
    ).tag(config=True)
    build_image = Bool(True, help="Build the CUDA notebook image when docker is installed.").tag(
        config=True
    )
    build_timeout = Integer(300, help="Seconds the image build may take.").tag(config=True)
    on_cpu = Bool(
        False,
        help="Run the measured cells on this machine's CPU instead (no CUDA needed): the "
        "timings the notebooks promise for 2 CPU cores. Grading and the image build are "
        "left out.",
    ).tag(config=True)

    aliases = {**base_aliases, "out": "GpuCheckApp.out_dir"}
    flags = {
        **base_flags,
        "dry-run": ({"GpuCheckApp": {"dry_run": True}}, "Write the plan only."),
        "no-build": ({"GpuCheckApp": {"build_image": False}}, "Do not build the image."),
        "cpu": (
            {"GpuCheckApp": {"on_cpu": True}},
            "Time the experiment and visible-test cells on the CPU; no grading, no image.",
        ),
    }

    def start(self) -> None:
        import torch

        cuda = torch.cuda.is_available()
        if not cuda and not self.dry_run and not self.on_cpu:
            print(SKIP_MESSAGE)
            return
        started = time.monotonic()
        assignments = self.assignment_list()
        env = {
            "device": torch.cuda.get_device_name(0) if cuda else f"CPU, {os.cpu_count()} cores",
            "torch": torch.__version__,
            "cuda": torch.version.cuda,
            "python": platform.python_version(),
        }
        cells, gradings = [], []
        for a in assignments:
            nb_path = self.paths.source(a) / f"{self.paths.notebook(a)}.ipynb"
            runs = measured_cells(a, read_notebook(nb_path))
            if not self.dry_run:
                where = "CPU" if self.on_cpu else "GPU"
                self.log.info("%s: running %d measured cells on the %s", a, len(runs), where)
                run_notebook(nb_path, runs, self.cell_timeout, hide_gpu=self.on_cpu)
            cells += runs
        found = {} if self.dry_run else available_backends(self.docker_image)
        for a in [] if self.on_cpu else assignments:
            for name in self.backends:
                for sub in submissions_to_grade(self.paths.graders(a), self.correct_variants):
                    g = Grading(a, name, sub)
                    if found.get(name):
                        g.status, g.error = "skipped", found[name]
                    gradings.append(g)
        if not self.dry_run:
            self.grade_all([g for g in gradings if g.status == "planned"])
        if self.dry_run:
            docker = {"status": "planned"}
        elif self.on_cpu:
            docker = {"status": "skipped", "detail": "--cpu: cells only"}
        else:
            docker = self.build_notebook_image()
        problems = [] if self.dry_run else failures(cells, gradings, docker)
        report = {
            "dry_run": self.dry_run,
            "ok": None if self.dry_run else not problems,
            "failures": problems,
            "finished": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
            "total_seconds": round(time.monotonic() - started, 1),
            "environment": env,
            "cells": [asdict(r) for r in cells],
            "grading": [asdict(g) for g in gradings],
            "docker_build": docker,
        }
        out = Path(self.out_dir)
        write_results(out, report)
        print(f"gpu-check: {out / 'RESULTS.md'} (ok: {report['ok']})")
        if not report["ok"] and not self.dry_run:
            self.exit(1)

    def grade_all(self, gradings: list[Grading]) -> None:
        """Grade each planned submission in a sandbox that may use the GPU."""
        from dlgrade.grading.autograder import Autograder

        self.config.SandboxBackend.allow_gpu = True
        scratch = Path(tempfile.mkdtemp(prefix="gpu-check-"))
        try:
            for name in dict.fromkeys(g.backend for g in gradings):
                grader = Autograder(parent=self, sandbox_backend=name)
                try:
                    try:
                        cuda = probe_sandbox(grader, self.paths)
                    except Exception as exc:  # noqa: BLE001 - recorded beside each grading
                        cuda = {"available": False, "error": f"{type(exc).__name__}: {exc}"}
                    for g in (g for g in gradings if g.backend == name):
                        g.sandbox_cuda = cuda
                        self.grade_one(grader, g, scratch)
                finally:
                    grader.close()
        finally:
            shutil.rmtree(scratch)

    def grade_one(self, grader, g: Grading, scratch: Path) -> None:
        nb_path = scratch / f"{g.assignment}-{g.submission}.ipynb"
        nbformat.write(build_for(self.paths, g.assignment, g.submission), nb_path)
        started = time.monotonic()
        try:
            result, _ = grader.grade_notebook(
                self.paths, g.assignment, nb_path, label=f"gpu-check-{g.assignment}"
            )
        except Exception as exc:  # noqa: BLE001 - recorded, the other gradings go on
            g.status, g.error = "failed", f"{type(exc).__name__}: {exc}"[:300]
        else:
            g.status, g.score, g.max_score = str(result.status), result.score, result.max_score
            g.error = result.status_detail[:300]
        g.seconds = round(time.monotonic() - started, 1)

    def build_notebook_image(self) -> dict:
        if not self.build_image:
            return {"status": "skipped", "detail": "--no-build"}
        if not shutil.which("docker"):
            return {"status": "skipped", "detail": "docker is not installed"}
        cmd = ["make", "docker-build", "TORCH_VARIANT=cuda", "DOCKER_IMAGES=notebook"]
        started = time.monotonic()
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=self.build_timeout)
        except subprocess.TimeoutExpired:
            return {"status": "failed", "detail": f"over {self.build_timeout} s"}
        seconds = round(time.monotonic() - started, 1)
        if done.returncode:
            return {"status": "failed", "seconds": seconds, "detail": done.stderr[-500:]}
        return {"status": "built", "seconds": seconds, "detail": "dlgrade-notebook (cuda)"}


def main(argv: list[str] | None = None) -> None:
    GpuCheckApp.launch_instance(argv=argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
