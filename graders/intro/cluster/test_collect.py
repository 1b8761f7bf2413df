"""Task 5: collect_results, best_run, missing_tasks, resubmit_spec. The files are written
into a sandbox folder for the submission and into a trusted one for the reference."""

import pytest
from conftest import call, dumps, raises_value_error, record

from dlgrade.grading import expect

pytestmark = pytest.mark.task("test_collect")


def compare(sub, ref, trusted_folder, files, message):
    got = call(sub.helpers.collect_from, sub.collect_results, files, what="collect_results")
    expect.true(isinstance(got, list), "collect_results must return a list")
    want = ref.collect_results(trusted_folder(files))
    expect.true(len(got) == len(want), f"collect_results: {message} (wrong number of records)")
    expect.true(got == want, f"collect_results: {message}")


@pytest.mark.points(1)
@pytest.mark.visible
def test_valid_files(sub, ref, trusted_folder):
    """Valid files, read in any order, sorted by task_id (not by file name), extra fields kept."""
    files = {f"task_{t}.json": dumps(record(t)) for t in [3, 0, 11, 2, 10, 1]}
    files["task_4.json"] = dumps(record(4, extra={"note": "kept"}, seconds=2, val_loss=1))
    compare(
        sub, ref, trusted_folder, files, "valid records must all be returned, sorted by task_id"
    )


@pytest.mark.points(1)
def test_invalid_files(sub, ref, trusted_folder):
    """Half-written, wrong types, missing fields, NaN, bools, lists, other files: skipped."""
    files = {f"task_{t}.json": dumps(record(t)) for t in range(4)}
    bad = {
        "a.json": dumps(record(20))[:-7],
        "b.json": dumps({k: v for k, v in record(21).items() if k != "val_loss"}),
        "c.json": dumps(record(22) | {"task_id": "22"}),
        "d.json": dumps(record(23, val_accuracy=float("nan"))),
        "e.json": dumps(record(24, job_id=24)),
        "f.json": dumps(record(True)),
        "g.json": dumps([record(26)]),
        "h.json": dumps(record(27, seconds=False)),
        "i.json": dumps(record(-1)),
        "j.json": dumps(record(29, params=[1, 2])),
        "k.json": dumps(record(30, val_loss=float("inf"))),
        "l.json": dumps(record(31, val_accuracy="0.9")),
        "m.json": "",
        "task_5.json.tmp": dumps(record(5)),
        "notes.txt": dumps(record(6)),
        "sub/task_7.json": dumps(record(7)),
    }
    compare(sub, ref, trusted_folder, files | bad, "invalid files must be skipped, valid ones kept")
    compare(
        sub,
        ref,
        trusted_folder,
        {"notes.txt": "x"},
        "a folder without metrics files has no results",
    )
    compare(
        sub,
        ref,
        trusted_folder,
        {"x.json": dumps(record(0, val_accuracy=1))},
        "an int is a valid float field",
    )


@pytest.mark.points(1)
def test_best_run(sub, ref):
    """The best record for max and min, ties to the smaller task_id, ValueError without results."""
    results = [record(t) for t in range(6)]
    results[4]["val_accuracy"] = results[1]["val_accuracy"] = 0.99
    results[2]["val_loss"] = results[5]["val_loss"] = 0.01
    results = results[3:] + results[:3]
    for metric, mode in [
        ("val_accuracy", "max"),
        ("val_loss", "min"),
        ("seconds", "max"),
        ("val_accuracy", "min"),
        ("val_loss", "max"),
        ("seconds", "min"),
    ]:
        got = call(sub.best_run, results, metric, mode, what="best_run")
        expect.true(
            got == ref.best_run(results, metric, mode),
            f"best_run(results, {metric!r}, mode={mode!r}) picks the wrong record "
            "(the best value; on a tie the smaller task_id)",
        )
    got = call(sub.best_run, results[:2], "val_accuracy", what="best_run")
    expect.true(got == ref.best_run(results[:2], "val_accuracy"), "mode='max' is the default")
    raises_value_error(sub.best_run, [], "val_accuracy", what="best_run([], ...)")
    raises_value_error(
        sub.best_run, results, "val_accuracy", "best", what="best_run(..., mode='best')"
    )


@pytest.mark.points(1)
def test_missing_and_resubmit(sub, ref):
    """missing_tasks and the compressed --array list of resubmit_spec."""
    results = [record(t) for t in [0, 2, 3, 7, 8, 12]]
    for n in [12, 13, 1, 0, 15]:
        got = call(sub.missing_tasks, results, n, what="missing_tasks")
        expect.true(
            got == ref.missing_tasks(results, n),
            f"missing_tasks(results, {n}) is wrong (ids 0..n-1 without a record, ascending)",
        )
    for ids, m in [
        ([9, 3, 10, 11, 7], None),
        ([1], None),
        ([4, 5], 2),
        ([0, 1, 2, 3], 1),
        ([5, 5, 2, 6, 2], None),
        ([1, 3, 5], 3),
        ([0, 2, 3, 4, 6, 7], None),
    ]:
        got = call(sub.resubmit_spec, ids, m, what="resubmit_spec")
        expect.true(
            got == ref.resubmit_spec(ids, m),
            f"resubmit_spec({ids}, {m}) is wrong (sorted, no duplicates, runs as a-b, %max_parallel)",
        )
    raises_value_error(sub.resubmit_spec, [], None, what="resubmit_spec([])")
