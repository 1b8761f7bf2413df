"""Bug: records in file-name order (task_10 before task_2), not by task_id."""

KIND = "bug"
REPLACE = [
    ("collect_impl", '    return sorted(records, key=lambda r: r["task_id"])', "    return records")
]
EXPECT_FAIL = {"test_collect.py::test_valid_files": "sorted by task_id"}
