"""Task 7: the files handed in with the notebook (train.sbatch, sweep.sbatch, results/*.json),
read in the trusted process from `submitted_files` and judged with the reference's parser."""

import json
import math
import re

import pytest

from dlgrade.grading import expect

TRAIN, SWEEP = "train.sbatch", "sweep.sbatch"


def directives(submitted_files, ref, name):
    return ref.parse_sbatch_directives(submitted_files.text(name))


def limit_ok(ref, value, limit, name):
    expect.true(value is not None, f"{name} sets no time limit (--time)")
    try:
        seconds = ref.parse_time(value)
    except ValueError:
        expect.fail(f"{name}: --time={value} is not a SLURM time limit")
    expect.true(
        0 < seconds <= ref.parse_time(limit), f"{name}: --time must be positive and within {limit}"
    )


def array_ids(spec):
    """The task ids of an --array value ('0-11%4', '0,3,5-7', '0-10:2'); None if malformed."""
    ids = set()
    for part in spec.split("%")[0].split(","):
        m = re.fullmatch(r"(\d+)(?:-(\d+)(?::(\d+))?)?", part.strip())
        if not m:
            return None
        lo = int(m[1])
        hi = int(m[2]) if m[2] else lo
        ids.update(range(lo, hi + 1, int(m[3]) if m[3] else 1))
    return ids


def grid_size(ref):
    return math.prod(len(v) for v in ref.SWEEP_GRID.values())


@pytest.mark.task("test_train_file")
@pytest.mark.points(1)
@pytest.mark.visible
def test_train_requests_gpu(submitted_files, ref):
    """train.sbatch requests at least one GPU (--gres=gpu[:type]:N or --gpus)."""
    d = directives(submitted_files, ref, TRAIN)
    gres = [g for g in d.get("gres", "").split(",") if g.startswith("gpu")]
    gpus = d.get("gpus")
    count = None
    if gres:
        last = gres[0].split(":")[-1]
        count = int(last) if last.isdigit() else 1
    elif gpus is not None:
        last = gpus.split(":")[-1]
        count = int(last) if last.isdigit() else None
    expect.true(
        count is not None and count >= 1, "train.sbatch requests no GPU (#SBATCH --gres=gpu:1)"
    )


@pytest.mark.task("test_train_file")
@pytest.mark.points(1)
def test_train_time_limit(submitted_files, ref):
    """train.sbatch sets --time within the GPU limit of the partition."""
    d = directives(submitted_files, ref, TRAIN)
    limit_ok(ref, d.get("time"), ref.GPU_MAX_TIME, TRAIN)
    expect.true(
        d.get("partition", ref.PARTITION) == ref.PARTITION,
        f"train.sbatch: the cluster's partition is {ref.PARTITION}",
    )


@pytest.mark.task("test_train_file")
@pytest.mark.points(1)
def test_train_log_name(submitted_files, ref):
    """train.sbatch writes its log to a file named with the job id (%j)."""
    d = directives(submitted_files, ref, TRAIN)
    expect.true(
        "%j" in d.get("output", ""), "train.sbatch: --output must name the log with the job id (%j)"
    )


@pytest.mark.task("test_sweep_files")
@pytest.mark.points(1)
@pytest.mark.visible
def test_sweep_array(submitted_files, ref):
    """sweep.sbatch's --array has one task per point of SWEEP_GRID (0..N-1), a time limit and %A_%a logs."""
    d = directives(submitted_files, ref, SWEEP)
    expect.true("array" in d, "sweep.sbatch is not an array job (#SBATCH --array=...)")
    ids = array_ids(d["array"])
    expect.true(ids is not None, "sweep.sbatch: the --array value is malformed")
    expect.true(
        ids == set(range(grid_size(ref))),
        "sweep.sbatch: --array must run exactly the tasks 0..N-1, one per point of SWEEP_GRID",
    )
    limit_ok(ref, d.get("time"), ref.MAX_TIME, SWEEP)
    out = d.get("output", "")
    expect.true("%A" in out and "%a" in out, "sweep.sbatch: name the logs with %A and %a")


def records(submitted_files, ref):
    n = grid_size(ref)
    out = {}
    for task in range(n):
        name = f"results/task_{task}.json"
        rec = submitted_files.json(name)
        expect.true(isinstance(rec, dict), f"{name} does not hold a JSON object")
        out[task] = (name, rec)
    return out


def valid(ref, rec, tmp_path):
    (tmp_path / "r.json").write_text(json.dumps(rec))
    got = ref.collect_results(tmp_path)
    (tmp_path / "r.json").unlink()
    return got == [rec]


@pytest.mark.task("test_sweep_files")
@pytest.mark.points(2)
def test_one_result_per_task(submitted_files, ref, tmp_path):
    """results/task_<id>.json exists for every task, is valid, and holds its own task id."""
    for task, (name, rec) in records(submitted_files, ref).items():
        expect.true(
            valid(ref, rec, tmp_path), f"{name} is not a valid metrics record (fields or types)"
        )
        expect.true(rec["task_id"] == task, f"{name} holds another task's task_id")


@pytest.mark.task("test_sweep_files")
@pytest.mark.points(1)
def test_result_params(submitted_files, ref):
    """Each task's params are array_task_params(task_id, SWEEP_GRID)."""
    for task, (name, rec) in records(submitted_files, ref).items():
        expect.true(
            rec.get("params") == ref.array_task_params(task, ref.SWEEP_GRID),
            f"{name}: params are not the grid point of task {task} (itertools.product order)",
        )


@pytest.mark.task("test_sweep_files")
@pytest.mark.points(1)
def test_result_metrics(submitted_files, ref):
    """Metrics are in range, the sweep trained (best accuracy ≥ 0.9) and the grid points all differ."""
    recs = [rec for _, rec in records(submitted_files, ref).values()]
    for rec in recs:
        acc, loss = rec.get("val_accuracy"), rec.get("val_loss")
        expect.true(
            isinstance(acc, (int, float)) and 0 <= acc <= 1, "val_accuracy must be in [0, 1]"
        )
        expect.true(isinstance(loss, (int, float)) and loss >= 0, "val_loss must be ≥ 0")
    expect.true(
        max(r["val_accuracy"] for r in recs) >= 0.9,
        "no run of the sweep reaches 90 % validation accuracy: did the tasks train?",
    )
    expect.true(
        len({repr(sorted(r["params"].items())) for r in recs}) == len(recs),
        "two tasks trained the same hyperparameters",
    )
