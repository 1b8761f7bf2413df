"""Bug: NaN and infinite metrics are accepted."""

KIND = "bug"
REPLACE = [("collect_impl", " or not math.isfinite(value)", "")]
EXPECT_FAIL = {"test_collect.py::test_invalid_files": "invalid files must be skipped"}
