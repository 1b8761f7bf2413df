"""`dlgrade bench --quick`: the end-to-end path a TA runs is measured, and graded right."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def test_quick_bench_measures_autograde_end_to_end(course):
    """Does the smoke bench time `dlgrade autograde` on two batch sizes (marginal and fixed
    cost), 1 and 2 workers (cold, and through a warm grading service), and the mutation
    run, from real gradings of the reference?"""
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    done = subprocess.run(
        [sys.executable, "-m", "dlgrade", "bench", "--quick", "--assignment=hello"],
        cwd=course.root, env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads((course.root / "build" / "bench-quick" / "results.json").read_text())
    assert figures["quick"] is True
    (e2e,) = figures["end_to_end"]
    assert e2e["assignment"] == "hello" and set(e2e["seconds"]) == {"2", "4"}
    assert min(e2e["seconds"].values()) > 0  # (the order of two tiny batches is noise)
    assert e2e["marginal_s"] == pytest.approx(
        (e2e["seconds"]["4"] - e2e["seconds"]["2"]) / 2, abs=1e-3
    )
    assert e2e["fixed_s"] == pytest.approx(e2e["seconds"]["2"] - 2 * e2e["marginal_s"], abs=0.01)
    (row,) = figures["scaling"]["rows"]
    assert row["submissions"] == 4 and row["speedup"] > 0
    assert row["seconds"]["1"] == e2e["seconds"]["4"]
    service = figures["service"]  # the same batch through `dlgrade serve` (no fallback)
    assert service["assignment"] == "hello" and service["service_start_s"] > 0
    (row,) = service["rows"]
    assert row["submissions"] == 4 and min(row["seconds"].values()) > 0
    assert figures["mutation"]["graded"] == 3 and figures["mutation"]["per_minute"] > 0
    (function,) = figures["overhead"]
    assert function["scores"] == [[5.0, 5.0]]
    scratch = course.root / "build" / "bench-course"
    for n in (2, 4):
        results = [
            json.loads(p.read_text())
            for p in sorted((scratch / f"autograded-{n}").glob("*/hello/results.json"))
        ]
        assert [(r["status"], r["score"]) for r in results] == [("graded", 5.0)] * n
    text = (course.root / "build" / "bench-quick" / "RESULTS.md").read_text()
    assert "Quick (smoke) run" in text and "marginal" in text and "per minute" in text
    assert "warm grading service" in text
