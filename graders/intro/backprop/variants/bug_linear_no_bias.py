"""Bug: The linear forward forgets the bias."""

KIND = "bug"
REPLACE = [("linear_impl", "out = x @ W.T + b", "out = x @ W.T")]
EXPECT_FAIL = {"test_linear.py::test_forward": "bias is missing"}
