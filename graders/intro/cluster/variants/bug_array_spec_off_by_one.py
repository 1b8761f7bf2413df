"""Bug: --array=0-N starts N+1 tasks."""

KIND = "bug"
REPLACE = [("array_impl", 'f"0-{n_tasks - 1}"', 'f"0-{n_tasks}"')]
EXPECT_FAIL = {"test_array.py::test_array_spec": "array_spec"}
