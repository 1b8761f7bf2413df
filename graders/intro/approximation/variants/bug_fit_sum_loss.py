"""Bug: the squared errors are summed, not averaged."""

KIND = "bug"
REPLACE = [("fit_impl", "** 2).mean()", "** 2).sum()")]
EXPECT_FAIL = {"test_fit.py::test_history_and_start": "summed, not averaged"}
