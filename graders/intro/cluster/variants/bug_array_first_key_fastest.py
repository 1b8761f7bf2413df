"""Bug: the first key of the grid varies fastest."""

KIND = "bug"
REPLACE = [
    (
        "array_impl",
        "    points = list(itertools.product(*(grid[k] for k in keys)))\n",
        "    points = [p[::-1] for p in itertools.product(*(grid[k] for k in keys[::-1]))]\n",
    )
]
EXPECT_FAIL = {"test_array.py::test_task_params": "the first key varies fastest"}
