"""Bug: the task id from the environment (a string) is used as an index without int()."""

KIND = "bug"
REPLACE = [("array_impl", "    task = int(task_id)\n", "    task = task_id\n")]
EXPECT_FAIL = {"test_array.py::test_task_params": "raised TypeError"}
