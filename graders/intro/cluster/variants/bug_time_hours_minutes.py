"""Bug: 'a:b' read as hours:minutes (30:00 becomes thirty hours)."""

KIND = "bug"
REPLACE = [
    (
        "time_impl",
        "hours, minutes, seconds = 0, parts[0], parts[1]",
        "hours, minutes, seconds = parts[0], parts[1], 0",
    )
]
EXPECT_FAIL = {"test_time.py::test_without_days": "minutes:seconds"}
