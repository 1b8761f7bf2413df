"""Bug: a metrics file of the sweep is missing (task 7 failed and was not resubmitted)."""

KIND = "bug"
FILES = {"results/task_7.json": None}
EXPECT_FAIL = {
    "test_files.py::test_one_result_per_task": "results/task_7.json",
    "test_files.py::test_result_params": "results/task_7.json",
}
