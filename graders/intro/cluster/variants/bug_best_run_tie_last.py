"""Bug: on a tie best_run returns the larger task id."""

KIND = "bug"
REPLACE = [("collect_impl", '(r[metric], -r["task_id"])', '(r[metric], r["task_id"])')]
EXPECT_FAIL = {"test_collect.py::test_best_run": "picks the wrong record"}
