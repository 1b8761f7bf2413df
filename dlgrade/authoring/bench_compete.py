"""The competition's part of the bench: evaluation time per submission, per encoder size.

For each size of `arch.SIZES` a freshly initialised encoder (fixed seed) goes the way a
submission goes: `weights.check_submission`, then `evaluate.evaluate` on the hidden split
with the course's sandbox backend (one torch thread in the sandbox, one BLAS thread for
the probe and the k-NN here). The first evaluation boots the backend's warm template and
is reported apart; the figure per size is the median of the warm ones (target: ≤ 10 s for
`large`). A full run adds the baselines' scores (`baselines.baseline_scores`).

Called by `dlgrade bench` (`Bench.run`); ``python -m dlgrade.authoring.bench_compete``
measures only this part and adds it to the existing bench/results.json and RESULTS.md.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

TARGET_LARGE_S = 10.0


def run(paths, quick: bool = False, reps: int = 3, log=None) -> dict | None:
    """The figures, or None when the course has no competition (no competition.json)."""
    from dlgrade.compete import arch, baselines, evaluate, weights
    from dlgrade.sandbox.backends.base import get_backend_class

    path = paths.graders(evaluate.ASSIGNMENT) / evaluate.CONFIG_NAME
    if not path.is_file():
        return None
    t = time.monotonic()
    hidden = evaluate.load_hidden(path)
    figures: dict = {
        "hidden_split_s": round(time.monotonic() - t, 3),
        "probe": len(hidden.probe_x),
        "test": len(hidden.test_x),
        "public": int(hidden.public.sum()),
        "sizes": [],
    }
    name = paths.config.Autograder.get("sandbox_backend", "local")
    backend = get_backend_class(name)(config=paths.config)
    figures["backend"] = name
    try:
        first = None
        for size in arch.SIZES:
            blob = weights.save_encoder(baselines.random_encoder(size))
            t = time.monotonic()
            checked = weights.check_submission(blob, {"size": size, "hyperparams": {}})
            check_s = time.monotonic() - t
            if first is None:  # boots the backend's template: reported apart
                first = evaluate.evaluate(checked, hidden, backend).eval_seconds
            runs = [
                evaluate.evaluate(checked, hidden, backend).eval_seconds
                for _ in range(1 if quick else reps)
            ]
            row = {
                "size": size,
                "n_params": checked.n_params,
                "weights_bytes": len(blob),
                "check_s": round(check_s, 4),
                "eval_s": round(statistics.median(runs), 3),
                "runs": runs,
            }
            figures["sizes"].append(row)
            if log is not None:
                log.info("competition: %s", row)
        figures["first_eval_s"] = first
    finally:
        backend.close()
    large = next(r for r in figures["sizes"] if r["size"] == "large")
    figures["within_target"] = large["eval_s"] <= TARGET_LARGE_S
    if not quick:
        found = baselines.baseline_scores(hidden)
        figures["baselines"] = {k: v.to_json() for k, v in found.items()}
    return figures


def report_lines(figures: dict | None) -> list[str]:
    """The RESULTS.md section of `run`'s figures (nothing when there are none)."""
    if not figures:
        return []
    lines = [
        "",
        "## Competition: evaluation time per submission",
        "",
        f"Hidden split: {figures['probe']} probe, {figures['test']} test "
        f"({figures['public']} public), generated in {figures['hidden_split_s']} s once per "
        f"process. Backend `{figures['backend']}`, one torch thread in the sandbox, one BLAS "
        f"thread for the probe and the k-NN. Target: `large` ≤ {TARGET_LARGE_S:g} s "
        f"({'met' if figures['within_target'] else 'missed'}). The first evaluation of a "
        f"process, which boots the sandbox template, took {figures['first_eval_s']} s.",
        "",
        "| size | parameters | weights bytes | checks s | evaluation s (median) |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['size']} | {r['n_params']} | {r['weights_bytes']} | {r['check_s']} | {r['eval_s']} |"
        for r in figures["sizes"]
    ]
    if figures.get("baselines"):
        lines += [
            "",
            "Baselines on the hidden split (accuracy):",
            "",
            "| baseline | probe public | probe private | k-NN public | k-NN private | s |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {name} | {s['probe_public']} | {s['probe_private']} | {s['knn_public']} | "
            f"{s['knn_private']} | {s['eval_seconds']} |"
            for name, s in figures["baselines"].items()
        ]
    return lines


def main(argv: list[str] | None = None) -> None:
    """Measure the competition alone; merge into bench/results.json and RESULTS.md."""
    from nbgrader.coursedir import CourseDirectory

    from dlgrade.authoring.bench_report import merge_section
    from dlgrade.courses import load_config
    from dlgrade.paths import CoursePaths

    argv = sys.argv[1:] if argv is None else argv
    config = load_config(Path.cwd())
    paths = CoursePaths(CourseDirectory(config=config), config=config)
    section = run(paths, quick="--quick" in argv)
    merge_section(paths.root / "bench", "competition", section)
    print("\n".join(report_lines(section)))


if __name__ == "__main__":
    main()
