"""The bench's scaling runs again, with the batches sent to a warm grading service.

`dlgrade serve --Autograder.workers=2` is started in the scratch course and waited for
(its start is timed apart); then `dlgrade autograde --Autograder.executor=service` runs
with 1 and 2 workers on each batch size, exactly as the cold scaling runs do, and a
batch the service does not grade whole fails the bench (`ServiceExecutor.fallback` off).
One untimed batch of two submissions first lets each grading process execute the
reference solution it keeps (the first batch after a service starts pays that once).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from dlgrade.authoring.bench import autograde_seconds, scaling
from dlgrade.grading.service import GradingService, ping
from dlgrade.paths import CoursePaths

WORKERS = 2


def run(paths: CoursePaths, assignment: str, sizes: list[int]) -> dict:
    """1- and 2-worker batches of each size in `sizes` through a warm service."""
    path = GradingService().socket_path(paths)
    log = paths.root / "serve.log"
    cmd = [sys.executable, "-m", "dlgrade", "serve", f"--Autograder.workers={WORKERS}"]
    started = time.monotonic()
    with log.open("w") as out:
        service = subprocess.Popen(cmd, cwd=paths.root, stdout=out, stderr=subprocess.STDOUT)
    try:
        while ping(path, 1.0) is None:
            if service.poll() is not None or time.monotonic() - started > 300:
                raise RuntimeError(f"the grading service did not start:\n{log.read_text()}")
            time.sleep(0.1)
        start_s = round(time.monotonic() - started, 2)
        first = autograde_seconds(paths, assignment, WORKERS, WORKERS, "service")
        out = scaling(paths, assignment, sizes, {}, "service")
    finally:
        service.send_signal(signal.SIGTERM)
        service.wait(120)
    out |= {"service_start_s": start_s, "first_batch_s": first}
    rows = out["rows"]
    if len(rows) >= 2:
        (n1, t1), (n2, t2) = ((r["submissions"], r["seconds"]["1"]) for r in rows[:2])
        marginal = (t2 - t1) / (n2 - n1)
        out |= {"marginal_s": round(marginal, 3), "fixed_s": round(t1 - n1 * marginal, 2)}
    return out


def report_lines(section: dict | None) -> list[str]:
    if not section:
        return []
    lines = [
        "",
        f"## Scaling with the warm grading service ({section['assignment']}, `dlgrade "
        "autograde --Autograder.executor=service`; target ≥ 1.7× on 8, ≥ 1.8× on 24)",
        "",
        f"`dlgrade serve --Autograder.workers={WORKERS}` was ready {section['service_start_s']} s "
        f"after its start; a first batch of {WORKERS} submissions took "
        f"{section['first_batch_s']} s (each grading process runs the reference solution "
        "once). Then:",
        "",
        "| submissions | 1 worker s | 2 workers s | speed-up |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {r['submissions']} | {r['seconds']['1']} | {r['seconds']['2']} | {r['speedup']} |"
        for r in section["rows"]
    ]
    if "fixed_s" in section:
        lines += [
            "",
            f"One worker: {section['marginal_s']} s per submission, {section['fixed_s']} s "
            "fixed per command (the command's own start, the request, the gradebook).",
        ]
    return lines
