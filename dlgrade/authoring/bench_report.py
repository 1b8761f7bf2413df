"""The bench's report: bench/RESULTS.md and bench/results.json (`dlgrade.authoring.bench`)."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

from dlgrade.paths import atomic_write


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def merge_section(out_dir: Path, key: str, section: dict) -> dict:
    """Replace one section (`competition`, `board`) of the figures in `out_dir` with a new
    measurement of that part alone, and rewrite the report when the rest is there."""
    results = out_dir / "results.json"
    figures = json.loads(results.read_text()) if results.is_file() else {}
    figures.setdefault("machine", machine())
    figures[key] = section
    if {"overhead", "end_to_end", "scaling"} <= set(figures):
        write_report(out_dir, figures)
    else:
        out_dir.mkdir(parents=True, exist_ok=True)
        atomic_write(results, json.dumps(figures, indent=1))
    return figures


def write_report(out_dir: Path, figures: dict) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    atomic_write(out_dir / "results.json", json.dumps(figures, indent=1))
    lines = ["# Benchmark results", "", f"Machine: {figures['machine']}"]
    if figures.get("quick"):
        lines += ["", "**Quick (smoke) run: small batches, not figures to quote.**"]
    lines += [
        "",
        "## The grading function (one submission, warm process, medians)",
        "",
        "| assignment | bare s | sandboxed s | overhead s |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {o['assignment']} | {o['bare_s']} | {o['sandboxed_s']} | {o['overhead_s']} |"
        for o in figures["overhead"]
    ]
    lines += [
        "",
        "## `dlgrade autograde` end to end (one worker, `--force`, a fresh command)",
        "",
        "Targets: marginal ≤ bare + 0.5 s per submission, fixed ≤ 5 s per run.",
        "",
        "| assignment | runs (submissions: s) | marginal s | bare s | marginal − bare s "
        "| fixed s | within targets |",
        "|---|---|---|---|---|---|---|",
    ]
    for e in figures["end_to_end"]:
        runs = ", ".join(f"{n}: {t}" for n, t in e["seconds"].items())
        lines.append(
            f"| {e['assignment']} | {runs} | {e['marginal_s']} | {e['bare_s']} | "
            f"{e['marginal_over_bare_s']} | {e['fixed_s']} | {'yes' if e['within_targets'] else 'no'} |"
        )
    sc = figures["scaling"]
    lines += [
        "",
        f"## Scaling ({sc['assignment']}, `dlgrade autograde` end to end; target ≥ 1.7× on 8, "
        "≥ 1.8× on 24)",
        "",
        "| submissions | 1 worker s | 2 workers s | speed-up |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {r['submissions']} | {r['seconds']['1']} | {r['seconds']['2']} | {r['speedup']} |"
        for r in sc["rows"]
    ]
    from dlgrade.authoring import bench_service

    lines += bench_service.report_lines(figures.get("service"))
    mu = figures.get("mutation")
    if mu:
        lines += [
            "",
            "## Mutation testing throughput",
            "",
            f"{mu['graded']} notebooks of {mu['assignment']} (mutants and the reference) in "
            f"{mu['seconds']} s on {mu['workers']} workers: **{mu['per_minute']} per minute**.",
        ]
    nb = figures.get("nbgrader")
    if nb:
        lines += [
            "",
            "## nbgrader autograde on the same submissions",
            "",
            f"{nb['submissions']} submissions in {nb['seconds']} s "
            f"({nb['per_submission_s']} s each; nbgrader executes every cell, the "
            "experiments included, and runs only the visible tests, inside the student's "
            "own kernel).",
        ]
    from dlgrade.authoring.bench_compete import report_lines

    lines += report_lines(figures.get("competition"))
    from dlgrade.authoring import bench_board

    lines += bench_board.report_lines(figures.get("board"))
    path = out_dir / "RESULTS.md"
    atomic_write(path, "\n".join(lines) + "\n")
    return path
