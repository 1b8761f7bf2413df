"""Bug: a day counted as 60 minutes (days * 60 instead of days * 24 hours)."""

KIND = "bug"
REPLACE = [("time_impl", "((days * 24 + hours) * 60", "((days + hours) * 60")]
EXPECT_FAIL = {"test_time.py::test_with_days": "days-hours"}
